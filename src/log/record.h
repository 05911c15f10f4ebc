// What the access log needs to know about one finished exchange (HTTP) or session (TCP).
// Filled by proxy/ at the end of each transaction; formatted by log/ (httplog, tcplog,
// log-format) and sent to the proxy's log targets without blocking.
//
// Timers follow haproxy's names (all milliseconds, -1 when the phase was not reached):
//   TR  time to receive the full request head (from the first byte, or accept)
//   Tw  time spent waiting in queues
//   Tc  time to establish the connection to the server
//   Tr  time for the server to send its response head
//   Ta  active time of the request (from the start of the request to the end of the response)
//   Tt  total session duration (TCP: whole session; HTTP: accept to end of this exchange)
//   Ti  idle time before the request (keep-alive)
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::proxy {
class Frontend;
}
namespace sluice::backend {
class Backend;
class Server;
}

namespace sluice::rules {
class VarStore;
}

namespace sluice::log {

struct TxRecord {
  bool http = true;
  const proxy::Frontend* fe = nullptr;
  const backend::Backend* be = nullptr;      // null when no backend was chosen
  const backend::Server* srv = nullptr;      // null when no server was chosen
  sockaddr_storage client{};
  sockaddr_storage local{};                  // address the client connected to (%fi %fp);
                                             // AF_UNSPEC = unknown, printed "-"
  sockaddr_storage server_addr{};            // address connected to (%si %sp); AF_UNSPEC = none
  uint64_t accept_wall_us = 0;               // wall clock (us since epoch) of accept
  uint64_t request_wall_us = 0;              // wall clock of the start of this request
  int64_t Ti = 0, TR = -1, Tw = -1, Tc = -1, Tr = -1, Ta = -1, Tt = 0;
  int status = -1;                           // HTTP status sent to the client, -1 none
  uint64_t bytes_in = 0;                     // bytes received from the client
  uint64_t bytes_out = 0;                    // bytes sent to the client
  // Termination state (haproxy's 4 characters): who/why ended it, in which phase, then the
  // persistence cookie status seen on the request and the one set on the response.
  char term[4] = {'-', '-', '-', '-'};
  uint32_t actconn = 0, feconn = 0, beconn = 0, srv_conn = 0, retries = 0, srv_queue = 0,
           be_queue = 0;
  std::string request_line;                  // "GET /path HTTP/1.1" ("<BADREQ>" on errors)
  std::vector<std::string> req_captures, rsp_captures;  // `capture request|response header`
  const char* service = nullptr;             // "<STATS>" / "<PROMEX>": answered by sluice itself
  bool redispatched = false;
  bool error = false;                        // counts as an error for log-separate-errors
  bool empty = false;                        // no data exchanged (dontlognull)
  std::string unique_id;                     // %ID, %[unique-id]: empty when none was generated
  // The transaction's variables for %[var(...)]: valid while emit() runs (it renders
  // synchronously), null when there are none.
  rules::VarStore* sess_vars = nullptr;
  rules::VarStore* txn_vars = nullptr;
};

}  // namespace sluice::log
