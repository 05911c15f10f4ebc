// The `server` / `default-server` keyword table (STYLE.md section 6): one row per keyword,
// with its arity and whether the runtime API `add server` accepts it.
#include <algorithm>
#include <array>

#include "config/parse_internal.h"

namespace sluice::config {
namespace {

using Args = std::span<const std::string>;
using detail::parse_uint;

struct ServerKeyword {
  std::string_view name;
  int arity;        // arguments after the keyword
  bool runtime;     // accepted by `add server`
  Result<void> (*apply)(ServerConfig&, Args);
};

template <class T>
Result<void> set_uint(T& field, std::string_view v, uint64_t max, std::string_view kw) {
  auto n = parse_uint(v, max);
  if (!n) return fail(fmt::format("'{}': {}", kw, n.error().message));
  field = static_cast<T>(*n);
  return {};
}
Result<void> set_dur(Millis& field, std::string_view v, std::string_view kw) {
  auto d = parse_duration(v);
  if (!d) return fail(fmt::format("'{}': {}", kw, d.error().message));
  field = *d;
  return {};
}
Result<void> set_opt_dur(std::optional<Millis>& field, std::string_view v, std::string_view kw) {
  Millis m{};
  if (auto r = set_dur(m, v, kw); !r) return r;
  if (m.count() == 0) return fail(fmt::format("'{}' must be greater than zero", kw));
  field = m;
  return {};
}
Result<void> set_port(std::optional<uint16_t>& field, std::string_view v, std::string_view kw) {
  auto n = parse_uint(v, 65535);
  if (!n || *n == 0) return fail(fmt::format("'{}' expects a port between 1 and 65535, got '{}'", kw, v));
  field = static_cast<uint16_t>(*n);
  return {};
}

#define KW(body) [](ServerConfig& s, Args a) -> Result<void> { (void)s; (void)a; body }

constexpr ServerKeyword kServerKeywords[] = {
    {"weight", 1, true, KW(return set_uint(s.weight, a[0], 256, "weight");)},
    {"backup", 0, true, KW(s.backup = true; return {};)},
    {"no-backup", 0, true, KW(s.backup = false; return {};)},
    {"disabled", 0, true, KW(s.disabled = true; return {};)},
    {"enabled", 0, true, KW(s.disabled = false; return {};)},
    {"cookie", 1, true, KW(s.cookie = a[0]; return {};)},
    {"maxconn", 1, true, KW(return set_uint(s.maxconn, a[0], UINT32_MAX, "maxconn");)},
    {"minconn", 1, true, KW(return set_uint(s.minconn, a[0], UINT32_MAX, "minconn");)},
    {"maxqueue", 1, true, KW(return set_uint(s.maxqueue, a[0], UINT32_MAX, "maxqueue");)},
    {"slowstart", 1, true, KW(return set_dur(s.slowstart, a[0], "slowstart");)},
    {"check", 0, true, KW(s.check = true; return {};)},
    {"no-check", 0, true, KW(s.check = false; return {};)},
    {"port", 1, true, KW(return set_port(s.check_port, a[0], "port");)},
    {"addr", 1, true, KW(
         auto r = parse_address(a[0], false, false);
         if (!r) return fail(fmt::format("'addr': {}", r.error().message));
         s.check_addr = *r; return {};)},
    {"inter", 1, true, KW(
         if (auto r = set_dur(s.inter, a[0], "inter"); !r) return r;
         if (s.inter.count() == 0) return fail("'inter' must be greater than zero");
         return {};)},
    {"fastinter", 1, true, KW(return set_opt_dur(s.fastinter, a[0], "fastinter");)},
    {"downinter", 1, true, KW(return set_opt_dur(s.downinter, a[0], "downinter");)},
    {"rise", 1, true, KW(
         if (auto r = set_uint(s.rise, a[0], UINT32_MAX, "rise"); !r) return r;
         if (s.rise == 0) return fail("'rise' must be greater than zero");
         return {};)},
    {"fall", 1, true, KW(
         if (auto r = set_uint(s.fall, a[0], UINT32_MAX, "fall"); !r) return r;
         if (s.fall == 0) return fail("'fall' must be greater than zero");
         return {};)},
    {"on-error", 1, true, KW(
         if (a[0] == "fastinter") s.on_error = OnError::FastInter;
         else if (a[0] == "fail-check") s.on_error = OnError::FailCheck;
         else if (a[0] == "sudden-death") s.on_error = OnError::SuddenDeath;
         else if (a[0] == "mark-down") s.on_error = OnError::MarkDown;
         else return fail(fmt::format("'on-error' expects fastinter, fail-check, sudden-death or mark-down, got '{}'", a[0]));
         s.on_error_set = true; return {};)},
    {"observe", 1, true, KW(
         if (a[0] == "none") s.observe = Observe::None;
         else if (a[0] == "layer4") s.observe = Observe::Layer4;
         else if (a[0] == "layer7") s.observe = Observe::Layer7;
         else return fail(fmt::format("'observe' expects none, layer4 or layer7, got '{}'", a[0]));
         return {};)},
    {"error-limit", 1, true, KW(return set_uint(s.error_limit, a[0], UINT32_MAX, "error-limit");)},
    {"on-marked-down", 1, true, KW(
         if (a[0] != "shutdown-sessions")
           return fail(fmt::format("'on-marked-down' expects 'shutdown-sessions', got '{}'", a[0]));
         s.on_marked_down_shutdown_sessions = true; return {};)},
    {"on-marked-up", 1, true, KW(
         if (a[0] != "shutdown-backup-sessions")
           return fail(fmt::format("'on-marked-up' expects 'shutdown-backup-sessions', got '{}'", a[0]));
         s.on_marked_up_shutdown_backup_sessions = true; return {};)},
    {"agent-check", 0, true, KW(s.agent_check = true; return {};)},
    {"no-agent-check", 0, true, KW(s.agent_check = false; return {};)},
    {"agent-port", 1, true, KW(return set_port(s.agent_port, a[0], "agent-port");)},
    {"agent-inter", 1, true, KW(return set_opt_dur(s.agent_inter, a[0], "agent-inter");)},
    {"agent-send", 1, true, KW(s.agent_send = a[0]; return {};)},
    {"agent-addr", 1, true, KW(
         auto r = parse_address(a[0], false, false);
         if (!r) return fail(fmt::format("'agent-addr': {}", r.error().message));
         s.agent_addr = *r; return {};)},
    {"init-addr", 1, false, KW(
         s.init_addr.clear();
         std::string_view v = a[0];
         while (!v.empty()) {
           size_t comma = v.find(',');
           std::string_view item = v.substr(0, comma);
           if (item != "last" && item != "libc" && item != "none") {
             auto ip = parse_cidr(item);
             if (!ip || item.find('/') != std::string_view::npos)
               return fail(fmt::format("'init-addr' expects last, libc, none or an IP address, got '{}'", item));
           }
           s.init_addr.emplace_back(item);
           v = comma == std::string_view::npos ? std::string_view{} : v.substr(comma + 1);
         }
         return {};)},
    {"init-state", 1, true, KW(
         if (a[0] == "up") s.init_state = InitState::Up;
         else if (a[0] == "down") s.init_state = InitState::Down;
         else if (a[0] == "fully-up") s.init_state = InitState::FullyUp;
         else if (a[0] == "fully-down") s.init_state = InitState::FullyDown;
         else return fail(fmt::format("'init-state' expects up, down, fully-up or fully-down, got '{}'", a[0]));
         return {};)},
    // Turning off what sluice never does (TLS, PROXY protocol) is what the manual says.
    {"no-ssl", 0, true, KW(s.ssl = false; return {};)},
    {"no-send-proxy", 0, true, KW(s.send_proxy = false; return {};)},
    {"id", 1, true, KW(
         auto n = parse_uint(a[0], INT32_MAX);
         if (!n || *n == 0) return fail(fmt::format("'id' expects a positive number, got '{}'", a[0]));
         s.id = static_cast<int>(*n); return {};)},
};
#undef KW

// HAProxy server keywords sluice knows of but does not implement yet: a startup error,
// never a silently ignored keyword (TLS, PROXY protocol and tracking change what reaches
// the server or when it is used).
constexpr std::string_view kUnsupported[] = {
    "ssl", "verify", "ca-file", "sni", "check-ssl", "send-proxy", "send-proxy-v2",
    "check-send-proxy", "track", "redir",
    "resolvers", "resolve-prefer", "resolve-net", "resolve-opts", "source", "usesrc",
    "namespace", "proto", "alpn", "npn", "crt", "crl-file", "ciphers", "ciphersuites",
    "check-sni", "check-alpn", "check-proto", "pool-max-conn", "pool-purge-delay",
    "pool-low-conn", "proxy-v2-options", "send-proxy-v2-ssl", "send-proxy-v2-ssl-cn",
    "verifyhost", "tfo", "allow-0rtt", "force-sslv3", "force-tlsv10", "force-tlsv11",
    "force-tlsv12", "force-tlsv13", "ssl-min-ver", "ssl-max-ver", "no-sslv3", "no-tlsv10",
    "no-tlsv11", "no-tlsv12", "no-tlsv13", "agent-sslv3", "max-reuse", "log-proto", "ws",
    "set-proxy-v2-tlv-fmt", "tcp-ut", "shard", "stick", "non-stick", "persist", "no-tls-tickets",
    "socks4", "check-via-socks4", "guid", "hash-key", "sigalgs", "curves", "ssl-reuse"};

}  // namespace

Result<void> apply_server_keywords(ServerConfig& s, std::span<const std::string> words,
                                   bool runtime_only) {
  std::vector<std::string> errors;
  for (size_t i = 0; i < words.size();) {
    const std::string& w = words[i];
    const ServerKeyword* kw = nullptr;
    for (const auto& k : kServerKeywords)
      if (k.name == w) kw = &k;
    if (kw == nullptr) {
      if (std::find(std::begin(kUnsupported), std::end(kUnsupported), w) != std::end(kUnsupported))
        return fail(fmt::format("'server ... {}' is not supported by sluice yet", w));
      std::vector<std::string_view> names;
      for (const auto& k : kServerKeywords)
        if (!runtime_only || k.runtime) names.push_back(k.name);
      std::string hint = detail::suggest(w, names);
      if (hint.empty() && w == "\\")
        hint = " (HAProxy has no line continuation: put all server keywords on one line)";
      return fail(fmt::format("unknown server keyword '{}'{}", w, hint));
    }
    if (runtime_only && !kw->runtime)
      return fail(fmt::format("server keyword '{}' cannot be used with 'add server'", w));
    if (kw->arity > 0 && i + kw->arity >= words.size())
      return fail(fmt::format("server keyword '{}' expects {} argument{}", w, kw->arity,
                              kw->arity == 1 ? "" : "s"));
    auto r = kw->apply(s, words.subspan(i + 1, kw->arity));
    if (!r) return r;
    i += 1 + kw->arity;
  }
  return {};
}

namespace detail {

Result<void> parse_server_line(ProxyConfig& p, const Line& l, Env& env) {
  const auto& w = l.words;
  if (w.size() < 3) return fail("'server' expects <name> and <address> as arguments");
  ServerConfig s = p.default_server;
  s.name = w[1];
  s.loc = l.loc;
  auto addr = parse_address(w[2], false, false);
  if (!addr) return fail(fmt::format("server '{}': {}", s.name, addr.error().message));
  s.addr = *addr;
  if (auto r = apply_server_keywords(s, std::span(w).subspan(3), false); !r)
    return fail(fmt::format("server '{}': {}", s.name, r.error().message));
  // Resolution happens after the keywords because `init-addr` decides what a failure means.
  if (env.opts.resolve && s.addr.sa.ss_family == AF_UNSPEC && s.addr.kind == Address::Kind::Inet) {
    auto r = resolve_address(s.addr, false);
    if (!r) {
      std::vector<std::string> order = s.init_addr.empty() ? std::vector<std::string>{"last", "libc"} : s.init_addr;
      bool done = false;
      for (const auto& m : order) {
        if (m == "none") {
          env.diags.warning(l.loc, fmt::format("server '{}': {}; starting without an address (init-addr none)",
                                               s.name, r.error().message));
          s.addr.sa = sockaddr_storage{};
          done = true;
          break;
        }
        if (m != "last" && m != "libc") {
          Address fallback = s.addr;
          fallback.host = m;
          if (resolve_address(fallback, false)) {
            s.addr.sa = fallback.sa;
            s.addr.sa_len = fallback.sa_len;
            done = true;
            break;
          }
        }
      }
      if (!done) return fail(fmt::format("server '{}': {}", s.name, r.error().message));
    }
  }
  if (s.check_addr && env.opts.resolve && s.check_addr->sa.ss_family == AF_UNSPEC) {
    if (auto r = resolve_address(*s.check_addr, false); !r)
      return fail(fmt::format("server '{}': 'addr': {}", s.name, r.error().message));
  }
  p.servers.push_back(std::move(s));
  return {};
}

}  // namespace detail
}  // namespace sluice::config
