// The file descriptor budget, as haproxy sizes it. Every proxied connection needs two
// descriptors (the client's and the server's); on top of that the process keeps a reserve
// for its listeners, runtime API sockets and connections, log sockets, health checks and
// each thread's own descriptors (epoll, wakeup, signals).
//
//   maxconn unset:   maxconn = (limit - reserve) / 2, limit = ulimit-n, or the hard
//                    RLIMIT_NOFILE (the soft one is raised to it, as haproxy does)
//   maxconn set:     RLIMIT_NOFILE is raised to 2 * maxconn + reserve if lower (the hard
//                    limit too when that is needed: root only); failing is a startup error
//   ulimit-n set:    RLIMIT_NOFILE is set to it, whatever maxconn needs (warned if short)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/model.h"
#include "core/result.h"

namespace sluice::app {

struct FdPlan {
  uint32_t maxconn = 0;   // the effective global maxconn
  uint64_t maxsock = 0;   // descriptors that maxconn needs: 2 * maxconn + reserve
  uint64_t nofile = 0;    // the RLIMIT_NOFILE soft limit to run with
  bool above_hard = false;   // nofile exceeds the hard limit: only root may get it
  std::vector<std::string> warnings;
};

// Descriptors kept for everything but proxied connections.
uint64_t reserved_fds(const config::Config& cfg);

// Pure: the plan for `cfg` under the current soft and hard RLIMIT_NOFILE.
Result<FdPlan> plan_fds(const config::Config& cfg, uint64_t soft, uint64_t hard);

// Plans, sets RLIMIT_NOFILE, and stores the effective maxconn in cfg.global.maxconn (the
// runtime and the workers take it from there). Warnings are logged.
Result<FdPlan> apply_fd_limits(config::Config& cfg);

}  // namespace sluice::app
