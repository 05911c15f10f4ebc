// What a check sends and how it judges what comes back: a probe is a short script of
// connect / send / expect steps (HAProxy 2.2+ models every check kind as a tcp-check ruleset;
// so do we). Everything here is pure: no I/O, no clock, so it is unit-tested directly.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backend/server.h"
#include "config/model.h"
#include "core/regex.h"

namespace sluice::check {

struct Verdict {
  enum class Kind : uint8_t { NeedMore, Pass, Fail };
  Kind kind = Kind::NeedMore;
  backend::CheckStatus status = backend::CheckStatus::None;
  int code = -1;          // HTTP status when there was one
  std::string info;       // log text: "Connection refused", "Internal Server Error", agent line
  bool nolb = false;      // disable-on-404 matched: pass, but take no new traffic

  static Verdict more() { return {}; }
  static Verdict pass(backend::CheckStatus st, int code = -1, std::string info = {}) {
    return {Kind::Pass, st, code, std::move(info), false};
  }
  static Verdict fail(backend::CheckStatus st, std::string info, int code = -1) {
    return {Kind::Fail, st, code, std::move(info), false};
  }
};

// Judges the bytes received since the last passed expect step. `eof`: the peer closed.
// Returns NeedMore to wait for more data (a timeout then fails the check).
using Matcher = std::function<Verdict(std::string_view in, bool eof)>;

struct Step {
  enum class Kind : uint8_t { Connect, Send, Expect };
  Kind kind = Kind::Connect;
  std::optional<uint16_t> port;   // Connect: port override
  std::string data;               // Send
  Matcher match;                  // Expect
};

struct Script {
  std::vector<Step> steps;        // always starts with a Connect
  backend::CheckStatus done = backend::CheckStatus::L4Ok;   // status when all steps pass
  backend::CheckStatus timeout = backend::CheckStatus::L7Tout;   // once connected
};

// Builders, one per check kind.
Script tcp_script();
Script http_script(const config::CheckConfig& c);
Script ssl_hello_script();
Script tcp_check_script(const config::CheckConfig& c);
Script agent_script(std::string_view agent_send);

// ---- HTTP -----------------------------------------------------------------------------
std::string http_request(const config::CheckConfig& c);

// "200", "200,301-399": true when `code` is listed.
bool status_in_list(std::string_view list, int code);

struct CompiledExpect {
  config::HttpCheckExpect rule;
  std::optional<core::Regex> re;   // rstatus / rstring; empty if the pattern did not compile
};
std::vector<CompiledExpect> compile_expects(const std::vector<config::HttpCheckExpect>& in);

// Judges an HTTP response (possibly partial). disable_on_404: 404 -> pass with nolb.
Verdict judge_http(std::string_view in, bool eof, const std::vector<CompiledExpect>& expects,
                   bool disable_on_404);

// ---- TLS (ssl-hello-chk) ----------------------------------------------------------------
// A TLS 1.2/1.3 ClientHello record (RFC 8446 §4.1.2) with a fixed random: enough for any
// server to answer with a ServerHello or an alert.
std::string tls_client_hello();
// RFC 8446 §5.1: a record is type(1) version(2) length(2). Pass on a handshake record whose
// first message is a ServerHello, or on an alert record (the server speaks TLS either way).
Verdict judge_tls_reply(std::string_view in, bool eof);

// ---- agent ------------------------------------------------------------------------------
struct AgentReply {
  std::optional<uint32_t> weight_pct;                // "75%"
  std::optional<backend::AdminState> admin;          // ready | drain | maint
  std::optional<bool> up;                            // up -> true; down/stopped/fail -> false
  std::string message;                               // after '#'
  bool valid = false;                                // at least one word understood
};
// One agent line, words separated by spaces, tabs or commas, e.g. "75% drain", "up,ready".
AgentReply parse_agent_line(std::string_view line);
// The agent's line from what was received: up to the first '\n' (or all of it at EOF).
Verdict judge_agent(std::string_view in, bool eof);

}  // namespace sluice::check
