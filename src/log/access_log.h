// Access logging entry points. emit() formats a record according to the frontend's options
// (option httplog / tcplog / log-format, dontlognull, dontlog-normal, log-separate-errors)
// and hands it to the log targets without blocking (a ring buffer drained by the log
// writer; a full ring drops the line and counts it). Safe to call from any worker thread.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <vector>

#include "config/model.h"
#include "log/record.h"

namespace sluice::proxy {
class Frontend;
}

namespace sluice::log {

// Once per configuration generation, on the main thread, before workers serve traffic:
// records the global `log` targets (for `log global`), log-tag / log-send-hostname, and
// sends process messages (core::log) to the global targets too. Returns the problems found
// (unresolvable targets, unsupported log-format parts), one message each, for startup
// warnings.
std::vector<std::string> configure(const config::GlobalConfig& global);

// End of an HTTP exchange or a TCP session.
void emit(const TxRecord& rec);

// haproxy's default format (a frontend with log targets but neither httplog, tcplog nor
// log-format): "Connect from SRC:PORT to DST:PORT (FRONTEND/MODE)", once per accepted
// connection. Called by proxy/ at accept; does nothing for other frontends.
void emit_connect(const proxy::Frontend& fe, const sockaddr_storage& src,
                  const sockaddr_storage& dst);

// The log format a proxy uses: its log-format line, else option httplog / httplog clf /
// tcplog (HAProxy's predefined strings); empty when none. proxy::Runtime::build compiles it.
std::string_view format_text(const config::ProxyConfig& c);

// Opens the log targets of `fe` now rather than at its first log line: before the process
// drops its privileges or enters its chroot.
void open_proxy_logs(const proxy::Frontend& fe);

uint64_t dropped_lines();

}  // namespace sluice::log
