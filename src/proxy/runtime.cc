#include "proxy/runtime.h"

#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/clock.h"
#include "core/log.h"
#include "http/errors.h"
#include "log/access_log.h"
#include "net/socket.h"
#include "proxy/worker.h"
#include "rules/global_vars.h"

namespace sluice::proxy {

namespace {
uint64_t ms(const std::optional<config::Millis>& v, uint64_t dflt) {
  return v ? static_cast<uint64_t>(v->count()) : dflt;
}
template <class T>
const std::optional<T>& pick(const std::optional<T>& a, const std::optional<T>& b) {
  return a ? a : b;
}

// Every error of the compile step, each "file:line: message", so that -c and a start list
// all of them at once.
class Errors {
 public:
  void add(const config::SourceLoc& loc, std::string_view msg) { add(fmt::format("{}:{}: {}", loc.file, loc.line, msg)); }
  void add(std::string line) { lines_.push_back(std::move(line)); }
  bool empty() const { return lines_.empty(); }
  std::string joined() const {
    std::string out;
    for (const auto& l : lines_) out += (out.empty() ? "" : "\n") + l;
    return out;
  }

 private:
  std::vector<std::string> lines_;
};

// Names in rule arguments (nbsrv(app), srv_conn(app/s1), fe_conn(www)) resolved against the
// runtime being built.
class RuntimeResolver : public rules::Resolver {
 public:
  explicit RuntimeResolver(Runtime& rt) : rt_(rt) {}
  const backend::Backend* backend(std::string_view name) const override { return rt_.find_backend(name); }
  const backend::Server* server(std::string_view be, std::string_view srv) const override {
    backend::Backend* b = rt_.find_backend(be);
    return b != nullptr ? b->find_server(srv) : nullptr;
  }
  const backend::FrontendCounters* frontend(std::string_view name) const override {
    for (const auto& f : rt_.frontends())
      if (f->name() == name) return &f->counters;
    return nullptr;
  }
  // An `auth::Userlist*` (http_auth(L), http_auth_group(L)); the lists are built before any rule.
  const void* userlist(std::string_view name) const override { return rt_.find_userlist(name); }
  const std::map<uint16_t, std::string>* http_errors(std::string_view name) const override {
    const config::HttpErrorsSection* s = rt_.config().find_http_errors(name);
    return s != nullptr ? &s->pages : nullptr;
  }
  // `-f` files, map files and inline ACL patterns: the references the runtime API changes.
  rules::PatternRefs* patterns() const override { return &rt_.pattern_refs(); }

 private:
  Runtime& rt_;
};

std::optional<Condition> compile_cond(const config::Condition& cond, const config::ProxyConfig& p,
                                      const config::SourceLoc& loc, Errors& errs, const rules::Resolver* res,
                                      uint16_t phases = rules::kHttpReq) {
  if (p.mode == config::Mode::Tcp) phases = rules::kReqContent;
  rules::CompileCtx cc{phases, &p, res, loc, "condition", nullptr};
  auto c = Condition::compile(cond, p.acls, cc);
  if (!c) {
    errs.add(loc, c.error().message);
    return std::nullopt;
  }
  return std::move(*c);
}

void compile_rules(const config::ProxyConfig& p, const rules::Resolver* res, rules::ProxyRules& out, Errors& errs) {
  std::vector<std::string> lines;
  out = rules::ProxyRules::compile(p, res, lines);
  for (auto& l : lines) errs.add(std::move(l));
}

// User and group names of unix binds must exist: an unknown one is a configuration error
// (found by -c), not a failure at the first start.
void check_owner_names(const config::BindConfig& b, Errors& errs) {
  if (!b.user.empty() && ::getpwnam(b.user.c_str()) == nullptr) errs.add(b.loc, fmt::format("bind: unknown user '{}'", b.user));
  if (!b.group.empty() && ::getgrnam(b.group.c_str()) == nullptr) errs.add(b.loc, fmt::format("bind: unknown group '{}'", b.group));
  if ((!b.user.empty() || !b.group.empty()) && b.addr.kind != config::Address::Kind::Unix)
    errs.add(b.loc, "bind: 'user' and 'group' apply to unix sockets only");
}

void check_stats_sockets(const config::GlobalConfig& g, Errors& errs) {
  for (const auto& s : g.stats_sockets) {
    if (!s.user.empty() && ::getpwnam(s.user.c_str()) == nullptr) errs.add(s.loc, fmt::format("stats socket: unknown user '{}'", s.user));
    if (!s.group.empty() && ::getgrnam(s.group.c_str()) == nullptr) errs.add(s.loc, fmt::format("stats socket: unknown group '{}'", s.group));
    if (s.addr.kind == config::Address::Kind::Inet && (s.mode || s.uid || s.gid || !s.user.empty() || !s.group.empty()))
      errs.add(s.loc, "stats socket: 'mode', 'uid', 'gid', 'user' and 'group' apply to unix sockets only");
  }
}

// `bind /path user U group G`: the socket's owner (names were checked at compile time).
Result<void> chown_unix(const config::BindConfig& b) {
  if (b.user.empty() && b.group.empty()) return {};
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
  if (!b.user.empty()) {
    const passwd* pw = ::getpwnam(b.user.c_str());
    if (pw == nullptr) return fail(fmt::format("unknown user '{}'", b.user));
    uid = pw->pw_uid;
  }
  if (!b.group.empty()) {
    const group* gr = ::getgrnam(b.group.c_str());
    if (gr == nullptr) return fail(fmt::format("unknown group '{}'", b.group));
    gid = gr->gr_gid;
  }
  if (::chown(b.addr.path.c_str(), uid, gid) != 0)
    return fail(fmt::format("cannot change the owner of {}: {}", b.addr.path, std::strerror(errno)));
  return {};
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

void Runtime::compile_frontend(Frontend& f, std::vector<std::string>& errors) {
  Errors errs;
  RuntimeResolver res(*this);
  const auto& p = f.config();
  if (p.kind == config::ProxyConfig::Kind::Listen) f.default_backend = find_backend(p.name);
  if (!p.default_backend.empty()) {
    f.default_backend = find_backend(p.default_backend);
    if (f.default_backend == nullptr) errs.add(p.loc, fmt::format("unknown default_backend '{}'", p.default_backend));
  }
  for (const auto& ub : p.use_backends) {
    UseBackendRule r;
    if (ub.backend.find('%') != std::string::npos) {
      uint16_t phase = p.mode == config::Mode::Tcp ? rules::kReqContent : rules::kHttpReq;
      rules::CompileCtx cc{phase, &p, &res, ub.loc, "use_backend", nullptr};
      auto fmt = rules::Format::compile(ub.backend, cc);
      if (!fmt) errs.add(ub.loc, fmt::format("use_backend '{}': {}", ub.backend, fmt.error().message));
      else r.name = std::move(*fmt);
    } else {
      r.backend = find_backend(ub.backend);
      if (r.backend == nullptr) errs.add(ub.loc, fmt::format("unknown backend '{}'", ub.backend));
    }
    if (ub.cond) {
      auto c = compile_cond(*ub.cond, p, ub.loc, errs, &res);
      if (c) r.cond = std::move(*c);
    }
    f.use_backends.push_back(std::move(r));
  }
  compile_rules(p, &res, f.rules, errs);
  for (const auto& mf : p.monitor_fail)
    if (auto c = compile_cond(mf, p, mf.loc, errs, &res)) f.monitor_fail.push_back(std::move(*c));
  if (p.stats.admin) f.stats_admin = compile_cond(*p.stats.admin, p, p.stats.admin->loc, errs, &res);
  f.error_pages = cfg_.error_pages(p);   // files were read and checked by the loader
  // Formats: compiled once here (names resolved), rendered per log line / per request.
  if (auto text = log::format_text(p); !text.empty()) {
    const config::SourceLoc& loc = p.log_format ? p.log_format_loc : p.loc;
    rules::CompileCtx cc{rules::kLog, &p, &res, loc, "log-format", nullptr};
    if (auto lf = log::LogFormat::compile(text, cc)) f.log_format = std::move(*lf);
    else errs.add(loc, lf.error());
  }
  if (p.unique_id_format) {
    rules::CompileCtx cc{rules::kHttpReq, &p, &res, p.unique_id_loc, "unique-id-format", nullptr};
    auto uf = rules::Format::compile(*p.unique_id_format, cc, rules::Format::Mode::UniqueId);
    if (uf) f.unique_id_format = std::move(*uf);
    else errs.add(p.unique_id_loc, fmt::format("unique-id-format: {}", uf.error().message));
  }
  for (const auto& b : p.binds) check_owner_names(b, errs);
  if (!errs.empty()) errors.push_back(errs.joined());
}

Result<std::unique_ptr<Runtime>> Runtime::build(const config::Config& cfg) {
  auto rt = std::make_unique<Runtime>();
  rt->cfg_ = cfg;
  // Sets replaced by the map/ACL actions (worker threads) are freed once every worker went
  // back to its event loop after the change (rules/pattern_ref.h).
  rt->pattern_refs_.set_reclaim_hook([r = rt.get()](uint64_t epoch) {
    if (r->workers.empty()) return r->pattern_refs_.reclaim_done(epoch);
    auto left = std::make_shared<std::atomic<size_t>>(r->workers.size());
    for (Worker* w : r->workers)
      w->loop().post([r, left, epoch] {
        if (left->fetch_sub(1) == 1) r->pattern_refs_.reclaim_done(epoch);
      });
  });
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
  std::vector<std::string> errors;
  for (const auto& ul : rt->cfg_.userlists) rt->userlists_.push_back(std::make_unique<auth::Userlist>(ul));
  {
    // Before any rule: rules and formats may read these proc. variables at run time, and a
    // later set-var line may read an earlier one.
    RuntimeResolver vres(*rt);
    rules::set_global_vars(rt->cfg_.global.set_vars, &vres, errors);
  }
  for (auto& f : rt->frontends_) rt->compile_frontend(*f, errors);
  Errors errs;
  RuntimeResolver res(*rt);
  for (auto& b : rt->backends_) {
    // Listens too: another frontend may route to a listen's backend side.
    auto pages = rt->cfg_.error_pages(b->config());
    if (!pages.empty()) rt->backend_error_pages_.emplace(b.get(), std::move(pages));
  }
  for (auto& b : rt->backends_) {
    const auto& p = b->config();
    if (p.kind != config::ProxyConfig::Kind::Backend) continue;   // listen: compiled on its frontend
    rules::ProxyRules pr;
    compile_rules(p, &res, pr, errs);
    rt->backend_rules_.emplace(b.get(), std::move(pr));
  }
  for (const auto& p : rt->cfg_.proxies)
    if (p.stick_table) rt->tables_.push_back(std::make_unique<backend::StickTable>(p.name, *p.stick_table));
  for (auto& b : rt->backends_) {
    const auto& p = b->config();
    if (p.stick_rules.empty()) continue;
    auto rules = StickRules::compile(p, rt->tables_, &res);
    if (!rules) errs.add(p.loc, fmt::format("proxy '{}': {}", p.name, rules.error().message));
    else rt->stick_rules_.emplace(b.get(), std::move(*rules));
  }
  // Names are unique among backends (the loader checks): one lookup per dynamic use_backend.
  for (auto& b : rt->backends_) rt->backend_by_name_.emplace(b->name(), b.get());
  check_stats_sockets(cfg.global, errs);
  if (!errs.empty()) errors.push_back(errs.joined());
  if (!errors.empty()) {
    std::string all;
    for (const auto& e : errors) all += (all.empty() ? "" : "\n") + e;
    return fail(std::move(all));
  }
  return rt;
}

const auth::Userlist* Runtime::find_userlist(std::string_view name) const {
  for (const auto& u : userlists_)
    if (u->name() == name) return u.get();
  return nullptr;
}

std::optional<std::string_view> Runtime::error_page(const Frontend& fe, const backend::Backend* be,
                                                    uint16_t status) const {
  if (be != nullptr) {
    if (auto it = backend_error_pages_.find(be); it != backend_error_pages_.end())
      if (auto p = it->second.find(status); p != it->second.end()) return std::string_view(p->second);
  }
  if (auto p = fe.error_pages.find(status); p != fe.error_pages.end()) return std::string_view(p->second);
  std::string_view canned = http::canned_response(status);
  if (canned.empty()) return std::nullopt;
  return canned;
}

std::string_view uri_hash_input(std::string_view target, const config::ProxyConfig& p) {
  if (p.uri_len > 0 && target.size() > p.uri_len) target = target.substr(0, p.uri_len);
  uint32_t slashes = 0;
  for (size_t i = 0; i < target.size(); ++i) {
    if (target[i] == '/' && p.uri_depth > 0 && ++slashes == p.uri_depth + 1) return target.substr(0, i);
    if (target[i] == '?' && !p.uri_whole) return target.substr(0, i);
  }
  return target;
}

std::optional<std::string_view> url_param_value(std::string_view target, std::string_view name) {
  auto q = target.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    auto amp = rest.find('&');
    std::string_view kv = rest.substr(0, amp);
    if (kv.size() > name.size() && kv.starts_with(name) && kv[name.size()] == '=') return kv.substr(name.size() + 1);
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

void apply_socket_options(int fd, const config::ProxyConfig& p, bool client_side) {
  // `no option clitcpka` after `option tcpka` turns the client side off again, as in HAProxy.
  bool ka = (client_side ? p.clitcpka : p.srvtcpka).value_or(p.tcpka.value_or(false));
  if (ka) {
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
  }
  if (p.nolinger.value_or(false)) net::set_linger_reset(fd);
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
        if (auto ok = net::adopt_listener(bind.addr.fd); !ok)
          return fail(fmt::format("{}:{}: proxy '{}': {}", bind.loc.file, bind.loc.line, f->name(), ok.error().message));
        spec.fd = bind.addr.fd;
      } else if (auto it = inherited.find(bind_key(bind.addr)); it != inherited.end()) {
        spec.fd = it->second;
        inherited.erase(it);
      } else if (bind.addr.kind == config::Address::Kind::Unix) {
        auto fd = net::listen_unix(bind.addr.path, static_cast<int>(bind.backlog.value_or(1024)), bind.mode);
        if (!fd) return fail(fmt::format("{}:{}: proxy '{}': {}", bind.loc.file, bind.loc.line, f->name(), fd.error().message));
        spec.fd = *fd;
        if (auto owned = chown_unix(bind); !owned) {
          ::close(spec.fd);
          return fail(fmt::format("{}:{}: proxy '{}': {}", bind.loc.file, bind.loc.line, f->name(), owned.error().message));
        }
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

backend::StickTable* Runtime::find_table(std::string_view name) {
  for (auto& t : tables_)
    if (t->name() == name) return t.get();
  return nullptr;
}

backend::Backend* Runtime::find_backend(std::string_view name) {
  if (!backend_by_name_.empty()) {
    auto it = backend_by_name_.find(name);
    return it == backend_by_name_.end() ? nullptr : it->second;
  }
  for (auto& b : backends_)
    if (b->name() == name) return b.get();
  return nullptr;
}

backend::Backend* Runtime::pick_backend(Frontend& f, AclContext& c) {
  for (auto& ub : f.use_backends) {
    if (!ub.cond.eval(c)) continue;
    if (!ub.name) return ub.backend;
    backend::Backend* b = find_backend(ub.name->render(c));
    // A name that resolves to nothing usable stops the rules: default_backend, as HAProxy.
    if (b == nullptr || b->config().mode != f.config().mode) return f.default_backend;
    return b;
  }
  return f.default_backend;
}

Frontend* Runtime::find_frontend(std::string_view name) {
  for (auto& f : frontends_)
    if (f->name() == name) return f.get();
  return nullptr;
}

}  // namespace sluice::proxy
