#include "proxy/runtime.h"

#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "http/errors.h"
#include "net/socket.h"

namespace sluice::proxy {

namespace {
uint64_t ms(const std::optional<config::Millis>& v, uint64_t dflt) {
  return v ? static_cast<uint64_t>(v->count()) : dflt;
}
template <class T>
const std::optional<T>& pick(const std::optional<T>& a, const std::optional<T>& b) {
  return a ? a : b;
}
// The `http-request` rules of one section, with their conditions compiled.
Result<std::vector<HttpRequestRule>> compile_request_rules(const config::ProxyConfig& p) {
  std::vector<HttpRequestRule> out;
  for (const auto& hr : p.http_rules) {
    if (hr.response) continue;
    HttpRequestRule r{hr, std::nullopt, {}};
    using A = config::HttpRule::Action;
    if ((hr.action == A::SetHeader || hr.action == A::AddHeader) && hr.args.size() >= 2) {
      auto v = config::parse_sample_format(hr.args[1]);
      if (!v) return fail(fmt::format("{}:{}: {}", hr.loc.file, hr.loc.line, v.error().message));
      r.value = std::move(*v);
    }
    if (hr.cond) {
      auto c = Condition::compile(*hr.cond, p.acls);
      if (!c) return fail(fmt::format("{}:{}: {}", hr.loc.file, hr.loc.line, c.error().message));
      r.cond = std::move(*c);
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

EffectiveTimeouts effective_timeouts(const config::Timeouts& fe, const config::Timeouts& be) {
  EffectiveTimeouts t{};
  t.client = ms(fe.client, 60000);
  t.server = ms(be.server, 60000);
  t.connect = ms(be.connect, 5000);
  t.http_request = ms(pick(fe.http_request, be.http_request), t.client);
  t.http_keep_alive = ms(pick(fe.http_keep_alive, be.http_keep_alive), t.http_request);
  t.queue = ms(be.queue, t.connect);
  t.tunnel = ms(pick(be.tunnel, fe.tunnel), std::max(t.client, t.server));
  t.client_fin = ms(fe.client_fin, t.client);
  t.server_fin = ms(be.server_fin, t.server);
  return t;
}

Result<std::unique_ptr<Runtime>> Runtime::build(const config::Config& cfg) {
  auto rt = std::make_unique<Runtime>();
  rt->cfg_ = cfg;
  rt->start_wall_s = static_cast<uint64_t>(core::wall_seconds());
  if (cfg.global.maxconn) rt->maxconn = *cfg.global.maxconn;
  int next_id = 1;
  // Backends first (listen sections are both).
  for (const auto& p : rt->cfg_.proxies) {
    if (p.kind == config::ProxyConfig::Kind::Backend || p.kind == config::ProxyConfig::Kind::Listen) {
      auto b = std::make_unique<backend::Backend>(p, rt->next_server_index_.load());
      rt->next_server_index_ += static_cast<uint32_t>(b->servers().size());
      b->set_id(p.id ? *p.id : next_id);
      rt->backends_.push_back(std::move(b));
    }
    if (p.kind == config::ProxyConfig::Kind::Frontend || p.kind == config::ProxyConfig::Kind::Listen) {
      auto f = std::make_unique<Frontend>(p);
      f->set_id(p.id ? *p.id : next_id);
      if (p.maxconn) f->maxconn = *p.maxconn;
      rt->frontends_.push_back(std::move(f));
    }
    ++next_id;
  }
  for (auto& f : rt->frontends_) {
    const auto& p = f->config();
    if (p.kind == config::ProxyConfig::Kind::Listen) f->default_backend = rt->find_backend(p.name);
    if (!p.default_backend.empty()) {
      f->default_backend = rt->find_backend(p.default_backend);
      if (f->default_backend == nullptr)
        return fail(fmt::format("{}:{}: unknown default_backend '{}'", p.loc.file, p.loc.line, p.default_backend));
    }
    for (const auto& ub : p.use_backends) {
      UseBackendRule r;
      r.backend = rt->find_backend(ub.backend);
      if (r.backend == nullptr)
        return fail(fmt::format("{}:{}: unknown backend '{}'", ub.loc.file, ub.loc.line, ub.backend));
      if (ub.cond) {
        auto c = Condition::compile(*ub.cond, p.acls);
        if (!c) return fail(fmt::format("{}:{}: {}", ub.loc.file, ub.loc.line, c.error().message));
        r.cond = std::move(*c);
      }
      f->use_backends.push_back(std::move(r));
    }
    auto rules = compile_request_rules(p);
    if (!rules) return unexpected(rules.error());
    f->http_request_rules = std::move(*rules);
    for (const auto& mf : p.monitor_fail) {
      auto c = Condition::compile(mf, p.acls);
      if (!c) return fail(fmt::format("{}:{}: {}", mf.loc.file, mf.loc.line, c.error().message));
      f->monitor_fail.push_back(std::move(*c));
    }
    if (p.stats.admin) {
      auto c = Condition::compile(*p.stats.admin, p.acls);
      if (!c) return fail(fmt::format("{}:{}: {}", p.stats.admin->loc.file, p.stats.admin->loc.line, c.error().message));
      f->stats_admin = std::move(*c);
    }
    for (const auto& [status, path] : p.errorfiles) {
      auto page = http::load_errorfile(path);
      if (!page) return fail(fmt::format("{}:{}: errorfile {}: {}", p.loc.file, p.loc.line, status, page.error().message));
      f->error_pages[status] = std::move(*page);
    }
  }
  for (auto& b : rt->backends_) {
    const auto& p = b->config();
    if (p.kind != config::ProxyConfig::Kind::Backend) continue;   // listen: compiled on its frontend
    auto rules = compile_request_rules(p);
    if (!rules) return unexpected(rules.error());
    if (!rules->empty()) rt->backend_rules_.emplace(b.get(), std::move(*rules));
  }
  for (const auto& p : rt->cfg_.proxies)
    if (p.stick_table) rt->tables_.push_back(std::make_unique<backend::StickTable>(p.name, *p.stick_table));
  for (auto& b : rt->backends_) {
    const auto& p = b->config();
    if (p.stick_rules.empty()) continue;
    auto rules = StickRules::compile(p, rt->tables_);
    if (!rules) return fail(fmt::format("{}:{}: proxy '{}': {}", p.loc.file, p.loc.line, p.name, rules.error().message));
    rt->stick_rules_.emplace(b.get(), std::move(*rules));
  }
  return rt;
}

std::string bind_key(const config::Address& addr) {
  switch (addr.kind) {
    case config::Address::Kind::Unix: return "unix@" + addr.path;
    case config::Address::Kind::Inet: return net::to_string(addr.sa, true);
    default: return {};
  }
}

bool Runtime::all_inherited(const std::map<std::string, int>& inherited) const {
  for (const auto& f : frontends_)
    for (const auto& bind : f->config().binds)
      if (bind.addr.kind != config::Address::Kind::Fd && !inherited.contains(bind_key(bind.addr))) return false;
  return true;
}

std::vector<std::pair<std::string, int>> Runtime::listener_fds() const {
  std::vector<std::pair<std::string, int>> out;
  for (const auto& l : listeners_) {
    if (l.fd < 0 || l.bind.addr.kind == config::Address::Kind::Fd) continue;
    auto key = bind_key(l.bind.addr);
    if (!key.empty()) out.emplace_back(std::move(key), l.fd);
  }
  return out;
}

Result<void> Runtime::open_listeners(std::map<std::string, int>& inherited) {
  for (auto& f : frontends_) {
    for (const auto& bind : f->config().binds) {
      ListenerSpec spec;
      spec.frontend = f.get();
      spec.bind = bind;
      spec.description = bind.addr.text;
      if (bind.addr.kind == config::Address::Kind::Fd) {
        spec.fd = bind.addr.fd;
      } else if (auto it = inherited.find(bind_key(bind.addr)); it != inherited.end()) {
        spec.fd = it->second;
        inherited.erase(it);
      } else if (bind.addr.kind == config::Address::Kind::Unix) {
        auto fd = net::listen_unix(bind.addr.path, static_cast<int>(bind.backlog.value_or(1024)), bind.mode);
        if (!fd) return fail(fmt::format("{}:{}: proxy '{}': {}", bind.loc.file, bind.loc.line, f->name(), fd.error().message));
        spec.fd = *fd;
      } else {
        net::ListenOptions lo;
        lo.backlog = static_cast<int>(bind.backlog.value_or(f->config().backlog.value_or(1024)));
        lo.v6only = bind.v6only;
        lo.transparent = bind.transparent;
        lo.defer_accept = bind.defer_accept;
        lo.interface = bind.interface;
        auto fd = net::listen_on(reinterpret_cast<const sockaddr*>(&bind.addr.sa), bind.addr.sa_len, lo);
        if (!fd) {
          return fail(fmt::format("Starting proxy {}: {}", f->name(), fd.error().message));
        }
        spec.fd = *fd;
      }
      f->listen_fds.push_back(spec.fd);
      listeners_.push_back(std::move(spec));
    }
  }
  return {};
}

void Runtime::close_listeners() {
  for (auto& l : listeners_) {
    if (l.fd >= 0) ::close(l.fd);
    l.fd = -1;
  }
}

std::vector<std::string> Runtime::unimplemented(const config::Config& cfg) {
  std::vector<std::string> out;
  auto warn = [&](const config::SourceLoc& loc, const std::string& what) {
    out.push_back(fmt::format("{}:{}: warning: {} is accepted but not implemented by sluice yet: it has no effect",
                              loc.file, loc.line, what));
  };
  using A = config::HttpRule::Action;
  for (const auto& p : cfg.proxies) {
    for (const auto& b : p.binds) {
      if (b.ssl || !b.crt.empty()) warn(b.loc, "'bind ... ssl crt' (TLS termination)");
      if (b.accept_proxy) warn(b.loc, "'bind ... accept-proxy'");
    }
    for (const auto& sv : p.servers) {
      if (sv.ssl) warn(sv.loc, fmt::format("server '{}': 'ssl' (TLS to servers)", sv.name));
      if (sv.send_proxy || sv.send_proxy_v2) warn(sv.loc, fmt::format("server '{}': 'send-proxy'", sv.name));
      if (sv.check_ssl || sv.check_send_proxy) warn(sv.loc, fmt::format("server '{}': 'check-ssl'/'check-send-proxy'", sv.name));
      if (!sv.track.empty()) warn(sv.loc, fmt::format("server '{}': 'track'", sv.name));
      if (!sv.redir.empty()) warn(sv.loc, fmt::format("server '{}': 'redir'", sv.name));
    }
    for (const auto& r : p.http_rules) {
      bool ok = !r.response && (r.action == A::Allow || r.action == A::Deny || r.action == A::UseService ||
                                r.action == A::SetHeader || r.action == A::AddHeader || r.action == A::DelHeader);
      if (r.action == A::UseService && (r.args.empty() || r.args[0] != "prometheus-exporter")) ok = false;
      for (const auto& a : r.args)
        if (a.find("%[") != std::string::npos) ok = false;
      static constexpr const char* kNames[] = {"allow", "deny", "use-service", "set-header", "add-header",
                                               "del-header", "redirect", "return", "tarpit", "auth"};
      if (!ok) warn(r.loc, fmt::format("'http-{} {}'{}", r.response ? "response" : "request",
                                       kNames[static_cast<int>(r.action)],
                                       r.args.empty() ? "" : " with these arguments"));
    }
    if (p.balance == config::Balance::UrlParam)
      warn(p.loc, fmt::format("proxy '{}': 'balance url_param' (balances on the whole URI instead)", p.name));
  }
  return out;
}

backend::StickTable* Runtime::find_table(std::string_view name) {
  for (auto& t : tables_)
    if (t->name() == name) return t.get();
  return nullptr;
}

backend::Backend* Runtime::find_backend(std::string_view name) {
  for (auto& b : backends_)
    if (b->name() == name) return b.get();
  return nullptr;
}

Frontend* Runtime::find_frontend(std::string_view name) {
  for (auto& f : frontends_)
    if (f->name() == name) return f.get();
  return nullptr;
}

}  // namespace sluice::proxy
