// The runtime API on `stats socket`s (HAProxy's CLI): opened before the process daemonizes
// (so errors reach the terminal), then attached to the first worker's event loop.
#pragma once

#include <memory>
#include <vector>

#include "core/result.h"
#include "proxy/runtime.h"
#include "proxy/worker.h"

namespace sluice::admin {

struct Sockets {
  std::vector<int> fds;
  std::vector<config::StatsSocket> specs;
};

Result<Sockets> open_sockets(proxy::Runtime& rt);
void attach(proxy::Runtime& rt, std::vector<std::unique_ptr<proxy::Worker>>& workers, Sockets& s);
void close_sockets();
// Serves the runtime API on `fd`, the master's end of a socketpair (master-worker mode), in
// prompt mode with no idle timeout. Call after attach(); takes ownership of `fd`.
void adopt_master_channel(int fd);

}  // namespace sluice::admin
