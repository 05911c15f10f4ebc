// Cross-section checks, run once every section is parsed. HAProxy's severities are kept:
// what it rejects is an error here, what it only warns about is a warning.
#include <algorithm>
#include <map>

#include "config/parse_internal.h"

namespace sluice::config::detail {
namespace {

using Kind = ProxyConfig::Kind;

bool has_fe(const ProxyConfig& p) { return p.kind == Kind::Frontend || p.kind == Kind::Listen; }
bool has_be(const ProxyConfig& p) { return p.kind == Kind::Backend || p.kind == Kind::Listen; }
const char* kind_name(Kind k) {
  switch (k) {
    case Kind::Defaults: return "defaults";
    case Kind::Frontend: return "frontend";
    case Kind::Backend: return "backend";
    case Kind::Listen: return "proxy";
  }
  return "?";
}

const ProxyConfig* find_backend(const Config& c, std::string_view name) {
  for (const auto& p : c.proxies)
    if (has_be(p) && p.name == name) return &p;
  return nullptr;
}

void check_backend_ref(const Config& c, const std::string& name, const SourceLoc& loc, std::string_view what, Env& env) {
  if (name.find('%') != std::string::npos) {
    // use_backend's log-format form is resolved per request (the runtime compiles it).
    if (what == "use_backend") return;
    env.diags.error(loc, fmt::format("{}: '{}' with a dynamic name ('{}') is not supported by sluice yet", what, what, name));
    return;
  }
  if (find_backend(c, name)) return;
  std::vector<std::string_view> names;
  for (const auto& p : c.proxies)
    if (has_be(p)) names.push_back(p.name);
  env.diags.error(loc, fmt::format("{}: unknown backend '{}'{}", what, name, suggest(name, names)));
}

void check_tcp_mode(const ProxyConfig& p, Env& env) {
  if (p.mode != Mode::Tcp) return;
  const char* kn = kind_name(p.kind);
  if (has_be(p) && p.cookie)
    env.diags.warning(p.cookie->loc, fmt::format("cookie will be ignored for {} '{}' (needs 'mode http')", kn, p.name));
  if (has_be(p) && (p.balance == Balance::Uri || p.balance == Balance::UrlParam || p.balance == Balance::Hdr))
    env.diags.warning(p.loc, fmt::format("layer 7 hash not possible for {} '{}' (needs 'mode http'); falling back to "
                                         "round robin", kn, p.name));
  if (has_fe(p) && p.httplog)
    env.diags.warning(p.loc, fmt::format("'option httplog' not usable with {} '{}' (needs 'mode http'); falling back "
                                         "to 'option tcplog'", kn, p.name));
  for (const auto& r : p.rules) {
    if (!r.set.starts_with("http-")) continue;
    env.diags.warning(r.loc, fmt::format("'{}' rules ignored for {} '{}' as they require HTTP mode", r.set, kn, p.name));
    break;
  }
  if (p.forwardfor.enabled)
    env.diags.warning(p.loc, fmt::format("'option forwardfor' ignored for {} '{}' as it requires HTTP mode", kn, p.name));
  if (has_fe(p) && !p.monitor_uri.empty())
    env.diags.warning(p.loc, fmt::format("'monitor-uri' ignored for {} '{}' as it requires HTTP mode", kn, p.name));
  if (has_fe(p) && p.stats.enabled)
    env.diags.warning(p.loc, fmt::format("'stats' ignored for {} '{}' as it requires HTTP mode", kn, p.name));
}

void check_proxy(Config& c, ProxyConfig& p, Env& env) {
  const char* kn = kind_name(p.kind);
  if (has_fe(p)) {
    if (p.binds.empty())
      env.diags.warning(p.loc, fmt::format("{} '{}' has no 'bind' directive; declare it as a backend if this was "
                                           "intended", kn, p.name));
    if (!p.default_backend.empty()) check_backend_ref(c, p.default_backend, p.default_backend_loc.line ? p.default_backend_loc : p.loc, "default_backend", env);
    for (const auto& u : p.use_backends) check_backend_ref(c, u.backend, u.loc, "use_backend", env);
    if (!p.timeouts.client && !p.disabled)
      env.diags.warning(p.loc, fmt::format("missing 'timeout client' for {} '{}'", kn, p.name));
  }
  if (has_be(p)) {
    if (p.servers.empty() && !p.dispatch && !p.disabled)
      env.diags.warning(p.loc, fmt::format("{} '{}' has no server and no 'dispatch': requests will get 503", kn, p.name));
    if ((!p.timeouts.connect || !p.timeouts.server) && !p.disabled && (!p.servers.empty() || p.dispatch))
      env.diags.warning(p.loc, fmt::format("missing 'timeout connect' or 'timeout server' for {} '{}'", kn, p.name));
    std::map<std::string, const ServerConfig*> seen;
    std::map<int, const ServerConfig*> ids;
    for (const auto& s : p.servers) {
      auto [it, fresh] = seen.emplace(s.name, &s);
      if (!fresh)
        env.diags.error(s.loc, fmt::format("{} '{}': another server named '{}' was already defined at line {}", kn,
                                           p.name, s.name, it->second->loc.line));
      if (s.id) {
        auto [jt, fresh_id] = ids.emplace(*s.id, &s);
        if (!fresh_id)
          env.diags.error(s.loc, fmt::format("server '{}': id {} is already used by server '{}'", s.name, *s.id, jt->second->name));
      }
    }
    if (p.load_server_state_from_file == ProxyConfig::LoadState::Global && c.global.server_state_file.empty())
      env.diags.error(p.loc, fmt::format("{} '{}': 'load-server-state-from-file global' needs a global 'server-state-file'",
                                         kn, p.name));
    if (p.check.kind == CheckConfig::Kind::TcpCheck && p.check.tcp_rules.empty())
      env.diags.warning(p.check.loc, fmt::format("'option tcp-check' without 'tcp-check' rules in {} '{}': a plain "
                                                 "connect check is used", kn, p.name));
  }
  for (const auto& r : p.stick_rules) {
    const ProxyConfig* t = r.table.empty() ? &p : c.find_proxy(r.table);
    if (r.table.empty() ? !p.stick_table.has_value() : (t == nullptr || !t->stick_table))
      env.diags.error(r.loc, fmt::format("{} '{}': unable to find stick-table '{}'", kn, p.name,
                                         r.table.empty() ? p.name : r.table));
  }
  check_tcp_mode(p, env);
}

}  // namespace

void validate(Config& c, Env& env) {
  std::map<std::string, const ProxyConfig*> fe_names, be_names;
  for (const auto& p : c.proxies) {
    auto dup = [&](std::map<std::string, const ProxyConfig*>& m, const char* what) {
      auto [it, fresh] = m.emplace(p.name, &p);
      if (!fresh)
        env.diags.error(p.loc, fmt::format("{} '{}' has the same name as another {} declared at {}:{}", kind_name(p.kind),
                                           p.name, what, it->second->loc.file, it->second->loc.line));
      return fresh;
    };
    if (has_fe(p) && !dup(fe_names, "frontend")) continue;
    if (has_be(p)) dup(be_names, "backend");
  }
  for (auto& p : c.proxies) check_proxy(c, p, env);
}

}  // namespace sluice::config::detail
