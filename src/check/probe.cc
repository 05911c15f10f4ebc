#include "check/probe.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <fmt/format.h>

namespace sluice::check {

using backend::CheckStatus;

namespace {
constexpr size_t kMaxReply = 16384;   // HAProxy's check buffer is one tune.bufsize; so is ours

Step connect_step(std::optional<uint16_t> port = std::nullopt) {
  return {Step::Kind::Connect, port, {}, {}};
}
Step send_step(std::string data) { return {Step::Kind::Send, std::nullopt, std::move(data), {}}; }
Step expect_step(Matcher m) { return {Step::Kind::Expect, std::nullopt, {}, std::move(m)}; }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::optional<int> to_int(std::string_view s) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// Content-Length of a header block, if any.
std::optional<size_t> content_length(std::string_view head) {
  size_t pos = 0;
  while (pos < head.size()) {
    size_t eol = head.find('\n', pos);
    std::string_view line = head.substr(pos, eol == std::string_view::npos ? head.size() - pos : eol - pos);
    pos = eol == std::string_view::npos ? head.size() : eol + 1;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || !iequals(line.substr(0, colon), "content-length")) continue;
    std::string_view v = line.substr(colon + 1);
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == '\r' || v.back() == ' ')) v.remove_suffix(1);
    size_t n = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec == std::errc()) return n;
  }
  return std::nullopt;
}

std::string hex_of(std::string_view bytes) {
  std::string out;
  for (unsigned char c : bytes) out += fmt::format("{:02X}", c);
  return out;
}

// The config loader validated check regexes, so this compile does not fail; if it ever
// did, the rule would be left empty and never match.
std::optional<core::Regex> check_regex(const std::string& pattern) {
  auto re = core::Regex::compile(pattern);
  if (!re) return std::nullopt;
  return std::move(*re);
}

Verdict judge_tcp_expect(const config::TcpCheckRule& r, const std::optional<core::Regex>& re, size_t step,
                         std::string_view in, bool eof) {
  using EK = config::TcpCheckRule::ExpectKind;
  bool found = false;
  switch (r.expect) {
    case EK::String:
    case EK::Binary: found = in.find(r.pattern) != std::string_view::npos; break;
    case EK::RString: found = re && re->search(in); break;
    case EK::RBinary: found = re && re->search(hex_of(in)); break;
  }
  if (found != r.negate) {
    // A negated rule can only pass once something arrived (or the peer closed).
    if (!r.negate || !in.empty() || eof) return Verdict::pass(CheckStatus::L7Ok);
  }
  if (found && r.negate)
    return Verdict::fail(CheckStatus::L7Rsp, fmt::format("TCPCHK matched unwanted content '{}' at step {}", r.pattern, step));
  if (eof || in.size() >= kMaxReply)
    return Verdict::fail(CheckStatus::L7Rsp, fmt::format("TCPCHK did not match content '{}' at step {}", r.pattern, step));
  return Verdict::more();
}
}  // namespace

Script tcp_script() {
  Script s;
  s.steps.push_back(connect_step());
  s.done = CheckStatus::L4Ok;
  return s;
}

std::string http_request(const config::CheckConfig& c) {
  std::string req = fmt::format("{} {} {}\r\n", c.method, c.uri, c.version);
  bool has_cl = false, has_conn = false;
  for (const auto& [k, v] : c.headers) {
    req += k + ": " + v + "\r\n";
    has_cl = has_cl || iequals(k, "content-length");
    has_conn = has_conn || iequals(k, "connection");
  }
  if (!c.body.empty() && !has_cl) req += fmt::format("Content-Length: {}\r\n", c.body.size());
  // One request per connection: say so to HTTP/1.1 servers, or they hold the socket open.
  if (!has_conn && c.version == "HTTP/1.1") req += "Connection: close\r\n";
  req += "\r\n";
  req += c.body;
  return req;
}

bool status_in_list(std::string_view list, int code) {
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t comma = list.find(',', pos);
    std::string_view item = list.substr(pos, comma == std::string_view::npos ? list.size() - pos : comma - pos);
    size_t dash = item.find('-');
    if (dash == std::string_view::npos) {
      if (auto v = to_int(item); v && *v == code) return true;
    } else {
      auto lo = to_int(item.substr(0, dash)), hi = to_int(item.substr(dash + 1));
      if (lo && hi && *lo <= code && code <= *hi) return true;
    }
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return false;
}

std::vector<CompiledExpect> compile_expects(const std::vector<config::HttpCheckExpect>& in) {
  std::vector<CompiledExpect> out;
  for (const auto& e : in) {
    CompiledExpect c{e, std::nullopt};
    using K = config::HttpCheckExpect::Kind;
    if (e.kind == K::RStatus || e.kind == K::RString) c.re = check_regex(e.pattern);
    out.push_back(std::move(c));
  }
  return out;
}

Verdict judge_http(std::string_view in, bool eof, const std::vector<CompiledExpect>& expects,
                   bool disable_on_404) {
  using K = config::HttpCheckExpect::Kind;
  size_t eol = in.find('\n');
  if (eol == std::string_view::npos) {
    if (eof || in.size() >= kMaxReply)
      return Verdict::fail(CheckStatus::L7Rsp, in.empty() ? "Empty reply" : "Invalid HTTP response");
    return Verdict::more();
  }
  std::string_view line = in.substr(0, eol);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.size() < 12 || !line.starts_with("HTTP/1.") || line[8] != ' ')
    return Verdict::fail(CheckStatus::L7Rsp, "Invalid HTTP response");
  auto code = to_int(line.substr(9, 3));
  if (!code) return Verdict::fail(CheckStatus::L7Rsp, "Invalid HTTP status code");
  std::string reason(line.size() > 13 ? line.substr(13) : std::string_view{});
  if (disable_on_404 && *code == 404) {
    Verdict v = Verdict::pass(CheckStatus::L7Okc, 404);
    v.nolb = true;
    return v;
  }
  bool need_body = std::any_of(expects.begin(), expects.end(),
                               [](const CompiledExpect& e) { return e.rule.kind == K::String || e.rule.kind == K::RString; });
  std::string_view body;
  if (need_body) {
    size_t hend = in.find("\r\n\r\n");
    size_t hlen = 4;
    if (hend == std::string_view::npos) { hend = in.find("\n\n"); hlen = 2; }
    if (hend == std::string_view::npos) {
      if (!eof && in.size() < kMaxReply) return Verdict::more();
      return Verdict::fail(CheckStatus::L7Rsp, "Invalid HTTP response headers");
    }
    body = in.substr(hend + hlen);
    auto cl = content_length(in.substr(0, hend));
    bool complete = eof || in.size() >= kMaxReply || (cl && body.size() >= *cl);
    if (!complete) return Verdict::more();
    if (cl && body.size() > *cl) body = body.substr(0, *cl);
  }
  if (expects.empty()) {
    if (*code >= 200 && *code < 400) return Verdict::pass(CheckStatus::L7Ok, *code);
    return Verdict::fail(CheckStatus::L7Sts, reason, *code);
  }
  for (const auto& e : expects) {
    bool match = false;
    std::string status = std::to_string(*code);
    switch (e.rule.kind) {
      case K::Status: match = status_in_list(e.rule.pattern, *code); break;
      case K::RStatus: match = e.re && e.re->search(status); break;
      case K::String: match = body.find(e.rule.pattern) != std::string_view::npos; break;
      case K::RString: match = e.re && e.re->search(body); break;
    }
    if (match == e.rule.negate) {
      if (e.rule.kind == K::Status || e.rule.kind == K::RStatus)
        return Verdict::fail(CheckStatus::L7Sts, reason, *code);
      return Verdict::fail(CheckStatus::L7Rsp, "HTTP content check did not match", *code);
    }
  }
  return Verdict::pass(CheckStatus::L7Ok, *code);
}

Script http_script(const config::CheckConfig& c) {
  Script s;
  s.steps.push_back(connect_step());
  s.steps.push_back(send_step(http_request(c)));
  auto expects = std::make_shared<std::vector<CompiledExpect>>(compile_expects(c.expects));
  bool d404 = c.disable_on_404;
  s.steps.push_back(expect_step([expects, d404](std::string_view in, bool eof) {
    return judge_http(in, eof, *expects, d404);
  }));
  s.done = CheckStatus::L7Ok;
  return s;
}

std::string tls_client_hello() {
  auto u16 = [](std::string& o, size_t v) { o += static_cast<char>((v >> 8) & 0xff); o += static_cast<char>(v & 0xff); };
  std::string ext;
  // supported_versions (43): TLS 1.3, 1.2
  u16(ext, 43); u16(ext, 5); ext += '\x04'; u16(ext, 0x0304); u16(ext, 0x0303);
  // supported_groups (10): x25519, secp256r1, secp384r1
  u16(ext, 10); u16(ext, 8); u16(ext, 6); u16(ext, 0x001d); u16(ext, 0x0017); u16(ext, 0x0018);
  // ec_point_formats (11): uncompressed
  u16(ext, 11); u16(ext, 2); ext += '\x01'; ext += '\x00';
  // signature_algorithms (13)
  const uint16_t sigs[] = {0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601, 0x0201};
  u16(ext, 13); u16(ext, 2 + 2 * std::size(sigs)); u16(ext, 2 * std::size(sigs));
  for (uint16_t a : sigs) u16(ext, a);
  // key_share (51): empty list; a TLS 1.3 server answers with a HelloRetryRequest (a ServerHello)
  u16(ext, 51); u16(ext, 2); u16(ext, 0);
  const uint16_t suites[] = {0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9,
                             0xcca8, 0x009e, 0x009f, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035};
  std::string body;
  u16(body, 0x0303);                                        // legacy_version TLS 1.2
  for (int i = 0; i < 32; ++i) body += static_cast<char>(0x5a ^ (i * 7));   // random
  body += '\x00';                                           // session id
  u16(body, 2 * std::size(suites));
  for (uint16_t c : suites) u16(body, c);
  body += '\x01'; body += '\x00';                           // compression: null
  u16(body, ext.size());
  body += ext;
  std::string hs;
  hs += '\x01';                                             // ClientHello
  hs += static_cast<char>((body.size() >> 16) & 0xff);
  u16(hs, body.size() & 0xffff);
  hs += body;
  std::string rec;
  rec += '\x16';                                            // handshake
  u16(rec, 0x0301);                                         // record version (RFC 8446 §5.1)
  u16(rec, hs.size());
  return rec + hs;
}

Verdict judge_tls_reply(std::string_view in, bool eof) {
  auto b = [&](size_t i) { return static_cast<unsigned char>(in[i]); };
  if (in.size() < 5) {
    if (eof) return Verdict::fail(CheckStatus::L6Rsp, in.empty() ? "Empty reply" : "Short TLS record");
    return Verdict::more();
  }
  if (b(1) != 3 || b(2) > 4) return Verdict::fail(CheckStatus::L6Rsp, "Not a TLS record");
  if (b(0) == 0x15) return Verdict::pass(CheckStatus::L6Ok, -1, "TLS alert");
  if (b(0) != 0x16) return Verdict::fail(CheckStatus::L6Rsp, "Not a TLS handshake record");
  if (in.size() < 6) return eof ? Verdict::fail(CheckStatus::L6Rsp, "Short TLS record") : Verdict::more();
  if (b(5) != 2) return Verdict::fail(CheckStatus::L6Rsp, "Not a ServerHello");
  return Verdict::pass(CheckStatus::L6Ok);
}

Script ssl_hello_script() {
  Script s;
  s.steps.push_back(connect_step());
  s.steps.push_back(send_step(tls_client_hello()));
  s.steps.push_back(expect_step(judge_tls_reply));
  s.done = CheckStatus::L6Ok;
  s.timeout = CheckStatus::L6Tout;
  return s;
}

Script tcp_check_script(const config::CheckConfig& c) {
  using RK = config::TcpCheckRule::Kind;
  Script s;
  s.done = CheckStatus::L7Ok;
  if (c.tcp_rules.empty() || c.tcp_rules.front().kind != RK::Connect) s.steps.push_back(connect_step());
  size_t n = 0;
  for (const auto& r : c.tcp_rules) {
    ++n;
    switch (r.kind) {
      case RK::Comment: break;
      case RK::Connect: s.steps.push_back(connect_step(r.port)); break;
      case RK::Send:
      case RK::SendBinary: s.steps.push_back(send_step(r.data)); break;
      case RK::Expect: {
        using EK = config::TcpCheckRule::ExpectKind;
        std::optional<core::Regex> re;
        if (r.expect == EK::RString || r.expect == EK::RBinary) re = check_regex(r.pattern);
        auto rule = std::make_shared<std::pair<config::TcpCheckRule, std::optional<core::Regex>>>(r, std::move(re));
        s.steps.push_back(expect_step([rule, n](std::string_view in, bool eof) {
          return judge_tcp_expect(rule->first, rule->second, n, in, eof);
        }));
        break;
      }
    }
  }
  if (s.steps.size() == 1) s.done = CheckStatus::L4Ok;   // only a connect: a plain TCP check
  return s;
}

AgentReply parse_agent_line(std::string_view line) {
  AgentReply r;
  if (size_t hash = line.find('#'); hash != std::string_view::npos) {
    std::string_view msg = line.substr(hash + 1);
    while (!msg.empty() && (msg.back() == '\r' || msg.back() == '\n' || msg.back() == ' ')) msg.remove_suffix(1);
    while (!msg.empty() && msg.front() == ' ') msg.remove_prefix(1);
    r.message = std::string(msg);
    line = line.substr(0, hash);
  }
  size_t pos = 0;
  auto is_sep = [](char c) { return c == ' ' || c == '\t' || c == ',' || c == '\r' || c == '\n'; };
  while (pos < line.size()) {
    while (pos < line.size() && is_sep(line[pos])) ++pos;
    size_t end = pos;
    while (end < line.size() && !is_sep(line[end])) ++end;
    std::string_view w = line.substr(pos, end - pos);
    pos = end;
    if (w.empty()) continue;
    if (w.back() == '%') {
      if (auto v = to_int(w.substr(0, w.size() - 1)); v && *v >= 0) {
        r.weight_pct = static_cast<uint32_t>(std::min(*v, 25600));
        r.valid = true;
      }
      continue;
    }
    std::string lw(w);
    std::transform(lw.begin(), lw.end(), lw.begin(), [](unsigned char c) { return std::tolower(c); });
    if (lw == "ready") r.admin = backend::AdminState::Ready;
    else if (lw == "drain") r.admin = backend::AdminState::Drain;
    else if (lw == "maint") r.admin = backend::AdminState::Maint;
    else if (lw == "up") r.up = true;
    else if (lw == "down" || lw == "stopped" || lw == "fail") r.up = false;
    else continue;   // HAProxy ignores words it does not know
    r.valid = true;
  }
  return r;
}

Verdict judge_agent(std::string_view in, bool eof) {
  size_t nl = in.find('\n');
  if (nl == std::string_view::npos && !eof && in.size() < 1024) return Verdict::more();
  std::string_view line = in.substr(0, nl == std::string_view::npos ? std::min<size_t>(in.size(), 1024) : nl);
  if (line.empty() && eof) return Verdict::fail(CheckStatus::L7Rsp, "Empty agent reply");
  return Verdict::pass(CheckStatus::L7Ok, -1, std::string(line));
}

Script agent_script(std::string_view agent_send) {
  Script s;
  s.steps.push_back(connect_step());
  if (!agent_send.empty()) s.steps.push_back(send_step(std::string(agent_send)));
  s.steps.push_back(expect_step(judge_agent));
  s.done = CheckStatus::L7Ok;
  return s;
}

}  // namespace sluice::check
