// What a rule sees while it runs: the phase, the connection, the messages, the variables
// and the per-transaction arena. The proxy layer fills one Ctx per connection and updates
// it as the transaction moves on; fetches read it, actions change it.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rules/arena.h"
#include "rules/sample.h"
#include "rules/vars.h"

namespace sluice::backend {
class Backend;
class Server;
struct FrontendCounters;
}  // namespace sluice::backend

namespace sluice::rules {

// Where a rule, fetch or converter may run (bit flags). A fetch lists the phases whose data
// it needs; a rule set runs in one phase; compiling refuses a fetch outside its phases, as
// HAProxy does ("fetch method 'res.hdr' extracts information from 'response', none of
// which is available here").
enum Phase : uint16_t {
  kConn = 1 << 0,         // tcp-request connection
  kSess = 1 << 1,         // tcp-request session
  kReqContent = 1 << 2,   // tcp-request content
  kHttpReq = 1 << 3,      // http-request, use_backend, ...
  kResContent = 1 << 4,   // tcp-response content
  kHttpRes = 1 << 5,      // http-response
  kAfterRes = 1 << 6,     // http-after-response
  kCheck = 1 << 7,        // health checks
  kLog = 1 << 8,          // log-format, unique-id-format at log time
  kCfg = 1 << 9,          // while the configuration loads (global set-var, CLI set var)
};
// Every phase of traffic and checks.
constexpr uint16_t kAnyPhase = 0x1ff;
// Fetches and converters that need nothing but the process (constants, variables, env...):
// valid everywhere, including at load time.
constexpr uint16_t kInternalPhases = kAnyPhase | kCfg;
// Phases where the request's head (headers, target) is available. As in HAProxy, not after
// it is forwarded: response rules and log formats see what was captured or kept in
// variables, never the request's headers (HAProxy: "needs 'HTTP request headers' which is
// not available here"). What outlives the request is listed apart: kTxnPhases.
constexpr uint16_t kReqPhases = kHttpReq | kReqContent;
// Phases where the response's head is available.
constexpr uint16_t kResPhases = kHttpRes | kAfterRes | kResContent;
// What the transaction keeps from its request (method, first request...): every phase
// from the request on, log included.
constexpr uint16_t kTxnPhases = kReqPhases | kResPhases | kLog;
constexpr uint16_t kL4Phases = kAnyPhase & ~kCheck;
std::string phase_names(uint16_t phases);   // "http-request, http-response"

// What an action decided. Continue: next rule. Stop: this rule set ends, processing goes
// on (allow, accept). Answered: the transaction is answered or closed here (deny, return,
// redirect, reject, ...): the caller reads Ctx::reply.
enum class Verdict : uint8_t { Continue, Stop, Answered };

// A reply an action produced. The proxy layer renders and sends it.
//   Error: the proxy's error page for `status` (or raw_page), `headers` added to it (auth).
//   Full:  a response built from status, reason, headers, content_type and body (return,
//          redirect). Close / SilentDrop: no answer (reject, silent-drop).
// `tarpit`: the answer waits for `timeout tarpit` first.
struct Reply {
  enum class Kind : uint8_t { None, Error, Full, Close, SilentDrop };
  Kind kind = Kind::None;
  uint16_t status = 0;
  std::string_view reason;          // empty = the status's standard reason
  std::string_view content_type;
  std::string_view body;            // Full: the body; Error: empty = the proxy's error page
  std::vector<std::pair<std::string_view, std::string_view>> headers;   // extra headers
  const std::string* raw_page = nullptr;   // a full HTTP response as written (errorfile)
  std::string_view log_reason;      // for the proxy's own log line
  bool tarpit = false;
};

class Format;

struct Ctx {
  uint16_t phase = kHttpReq;
  // connection
  const sockaddr_storage* src = nullptr;
  const sockaddr_storage* dst = nullptr;
  int fd = -1;                      // client socket (fc_rtt & co); -1 when none
  int so_id = 0;                    // the bind's id
  std::string_view so_name;         // the bind's name (`bind ... name`), empty when none
  // proxies
  std::string_view fe_name;
  int fe_id = 0;
  const backend::FrontendCounters* fe_counters = nullptr;
  const backend::Backend* be = nullptr;     // once chosen
  const backend::Server* srv = nullptr;     // once chosen
  // messages (null in TCP mode or before they exist)
  // req is null outside kReqPhases, rsp outside kResPhases: the views of a forwarded head
  // point into buffers that have moved on.
  http::RequestHead* req = nullptr;
  http::ResponseHead* rsp = nullptr;
  http::Method method = http::Method::Other;   // the request's, for every phase after it
  std::string_view method_name;
  std::string_view req_body;        // what is buffered of the request body
  bool first_request = true;        // http_first_req
  std::string_view unique_id;       // once generated (rules::unique_id())
  const Format* unique_id_format = nullptr;   // the frontend's unique-id-format
  uint64_t accept_wall_us = 0;      // wall clock of accept / of the request's start (log
  uint64_t request_wall_us = 0;     // variables %t %tr %Ta... in rules); 0: now
  // variables
  VarStore* sess_vars = nullptr;
  VarStore* txn_vars = nullptr;     // txn, req and res scopes live for one transaction
  VarStore* req_vars = nullptr;
  VarStore* res_vars = nullptr;
  VarStore* check_vars = nullptr;
  // results of actions
  Reply reply;
  std::string_view service;          // use-service NAME
  // storage
  Arena* arena = nullptr;

  Arena& mem() { return *arena; }
  bool http_req() const { return req != nullptr; }
  VarStore* vars(Scope s) {
    switch (s) {
      case Scope::Sess: return sess_vars;
      case Scope::Txn: return txn_vars;
      case Scope::Req: return req_vars != nullptr ? req_vars : txn_vars;
      case Scope::Res: return res_vars != nullptr ? res_vars : txn_vars;
      case Scope::Check: return check_vars;
      case Scope::Proc: return nullptr;
    }
    return nullptr;
  }
};

// Reads / writes a variable of any scope (proc goes to the process store).
bool get_var(Ctx& c, const VarRef& v, Sample& out);
void set_var(Ctx& c, const VarRef& v, const Sample& s);
void unset_var(Ctx& c, const VarRef& v);

}  // namespace sluice::rules
