// Keywords of the `global` section.
#include <grp.h>
#include <pwd.h>

#include <algorithm>
#include <set>

#include "config/parse_internal.h"

namespace sluice::config::detail {
namespace {

using W = const std::vector<std::string>&;

Result<void> arg_count(W w, size_t n, std::string_view usage) {
  if (w.size() != n + 1) return fail(fmt::format("'{}' expects {}", w[0], usage));
  return {};
}

Result<void> u32(W w, uint32_t& out, uint64_t max = UINT32_MAX) {
  if (auto r = arg_count(w, 1, "a number"); !r) return r;
  auto n = parse_uint(w[1], max);
  if (!n) return fail(fmt::format("'{}': {}", w[0], n.error().message));
  out = *n;
  return {};
}
Result<void> ou32(W w, std::optional<uint32_t>& out, uint64_t max = UINT32_MAX) {
  uint32_t v = 0;
  if (auto r = u32(w, v, max); !r) return r;
  out = v;
  return {};
}
Result<void> odur(W w, std::optional<Millis>& out) {
  if (auto r = arg_count(w, 1, "a duration"); !r) return r;
  auto d = parse_duration(w[1]);
  if (!d) return fail(fmt::format("'{}': {}", w[0], d.error().message));
  out = *d;
  return {};
}
Result<void> str(W w, std::string& out) {
  if (auto r = arg_count(w, 1, "one argument"); !r) return r;
  out = w[1];
  return {};
}

Result<void> stats_socket(GlobalConfig& g, const Line& l, Env& env) {
  W w = l.words;
  if (w.size() < 3) return fail("'stats socket' expects <path>|ipv4@<addr>:<port> [options]");
  StatsSocket s;
  s.loc = l.loc;
  auto a = parse_address(w[2], true, env.opts.resolve);
  if (!a) return fail(fmt::format("stats socket: {}", a.error().message));
  s.addr = *a;
  for (size_t i = 3; i < w.size(); ++i) {
    const std::string& o = w[i];
    if (i + 1 >= w.size()) return fail(fmt::format("stats socket: '{}' expects an argument", o));
    const std::string& v = w[++i];
    if (o == "mode") {
      auto m = parse_octal_mode(v);
      if (!m) return fail(fmt::format("stats socket mode: {}", m.error().message));
      s.mode = *m;
    } else if (o == "uid" || o == "gid") {
      auto n = parse_uint(v);
      if (!n) return fail(fmt::format("stats socket {}: {}", o, n.error().message));
      (o == "uid" ? s.uid : s.gid) = *n;
    } else if (o == "user") s.user = v;
    else if (o == "group") s.group = v;
    else if (o == "level") {
      if (v == "user") s.level = StatsSocket::Level::User;
      else if (v == "operator") s.level = StatsSocket::Level::Operator;
      else if (v == "admin") s.level = StatsSocket::Level::Admin;
      else return fail(fmt::format("stats socket: 'level' expects user, operator or admin, got '{}'", v));
    } else if (o == "expose-fd") {
      if (v != "listeners") return fail(fmt::format("stats socket: 'expose-fd' expects 'listeners', got '{}'", v));
      s.expose_fd_listeners = true;
    } else {
      static constexpr std::string_view kOpts[] = {"mode", "uid", "gid", "user", "group", "level", "expose-fd"};
      return fail(fmt::format("stats socket: unknown option '{}'{}", o, suggest(o, kOpts)));
    }
  }
  g.stats_sockets.push_back(std::move(s));
  return {};
}

Result<void> global_kw(GlobalConfig& g, const Line& l, Env& env) {
  W w = l.words;
  const std::string& k = w[0];
  auto flag = [&](bool& f) -> Result<void> {
    if (auto r = arg_count(w, 0, "no argument"); !r) return r;
    f = true;
    return {};
  };
  if (k == "daemon") return flag(g.daemon);
  if (k == "quiet") return flag(g.quiet);
  if (k == "master-worker") {
    if (w.size() > 2 || (w.size() == 2 && w[1] != "no-exit-on-failure"))
      return fail("'master-worker' accepts only 'no-exit-on-failure'");
    g.master_worker = true;
    g.master_worker_no_exit_on_failure = w.size() == 2;
    return {};
  }
  if (k == "nbproc") {
    if (auto r = u32(w, g.nbproc); !r) return r;
    if (g.nbproc == 0) return fail("'nbproc' must be at least 1");
    if (g.nbproc > 1)
      env.diags.warning(l.loc, fmt::format("'nbproc {}' ignored: sluice runs one process (use 'nbthread')", g.nbproc));
    return {};
  }
  if (k == "nbthread") {
    if (auto r = u32(w, g.nbthread, 4096); !r) return r;
    if (g.nbthread == 0) return fail("'nbthread' must be at least 1");
    return {};
  }
  if (k == "maxconn") return ou32(w, g.maxconn);
  if (k == "pidfile") return str(w, g.pidfile);
  if (k == "stats") {
    if (w.size() < 2) return fail("'stats' expects socket, timeout or maxconn");
    if (w[1] == "socket") return stats_socket(g, l, env);
    std::vector<std::string> rest(w.begin() + 1, w.end());
    if (w[1] == "timeout") return odur(rest, g.stats_timeout);
    if (w[1] == "maxconn") return u32(rest, g.stats_maxconn);
    if (w[1] == "bind-process") return fail("'stats bind-process' is not supported by sluice (one process)");
    static constexpr std::string_view kSubs[] = {"socket", "timeout", "maxconn"};
    return fail(fmt::format("unknown 'stats' keyword '{}' in 'global' section{}", w[1], suggest(w[1], kSubs)));
  }
  if (k == "log") {
    auto t = parse_log(w, l.loc, env.opts.resolve);
    if (!t) return unexpected(t.error());
    if (t->global) return fail("'log global' is only valid in proxies");
    g.logs.push_back(std::move(*t));
    return {};
  }
  if (k == "log-tag") return str(w, g.log_tag);
  if (k == "log-send-hostname") {
    if (w.size() > 2) return fail("'log-send-hostname' expects [<name>]");
    g.log_send_hostname = w.size() == 2 ? w[1] : "";
    return {};
  }
  if (k == "node") return str(w, g.node);
  if (k == "description") { g.description = join(std::span(w).subspan(1)); return {}; }
  if (k == "hard-stop-after") return odur(w, g.hard_stop_after);
  if (k == "grace") return odur(w, g.grace);
  if (k == "mworker-max-reloads") return ou32(w, g.mworker_max_reloads);
  // Names are resolved now, as haproxy does: later the process may be in its chroot, and
  // an unknown name is a configuration error with its line. The last of user/uid (and of
  // group/gid) wins.
  if (k == "user") {
    if (auto r = str(w, g.user); !r) return r;
    const passwd* pw = ::getpwnam(g.user.c_str());
    if (pw == nullptr) return fail(fmt::format("'user': unknown user '{}'", g.user));
    g.uid = pw->pw_uid;
    return {};
  }
  if (k == "group") {
    if (auto r = str(w, g.group); !r) return r;
    const group* gr = ::getgrnam(g.group.c_str());
    if (gr == nullptr) return fail(fmt::format("'group': unknown group '{}'", g.group));
    g.gid = gr->gr_gid;
    return {};
  }
  if (k == "chroot") return str(w, g.chroot);
  if (k == "uid") return ou32(w, g.uid);
  if (k == "gid") return ou32(w, g.gid);
  if (k == "ulimit-n") {
    if (auto r = ou32(w, g.ulimit_n); !r) return r;
    if (*g.ulimit_n == 0) g.ulimit_n.reset();   // haproxy: 0 means computed
    return {};
  }
  if (k == "tune.bufsize" || k == "tune.maxrewrite") {
    if (auto r = arg_count(w, 1, "a size"); !r) return r;
    auto n = parse_size(w[1]);
    if (!n || *n > UINT32_MAX) return fail(fmt::format("'{}': invalid size '{}'", k, w[1]));
    (k == "tune.bufsize" ? g.tune_bufsize : g.tune_maxrewrite) = static_cast<uint32_t>(*n);
    if (k == "tune.bufsize" && g.tune_bufsize < 1024) return fail("'tune.bufsize' must be at least 1024");
    return {};
  }
  if (k == "tune.http.maxhdr") {
    if (auto r = u32(w, g.tune_http_maxhdr, 32767); !r) return r;
    if (g.tune_http_maxhdr == 0) return fail("'tune.http.maxhdr' must be between 1 and 32767");
    return {};
  }
  if (k == "tune.maxaccept") {
    if (w.size() == 2 && w[1] == "-1") { g.tune_maxaccept = UINT32_MAX; return {}; }
    return ou32(w, g.tune_maxaccept);
  }
  if (k == "tune.ssl.default-dh-param") return ou32(w, g.tune_ssl_default_dh_param);
  if (k == "spread-checks") return u32(w, g.spread_checks, 50);
  if (k == "max-spread-checks") return odur(w, g.max_spread_checks);
  if (k == "server-state-file") return str(w, g.server_state_file);
  if (k == "server-state-base") return str(w, g.server_state_base);
  if (k == "ca-base") return str(w, g.ca_base);
  if (k == "crt-base") return str(w, g.crt_base);
  auto joined = [&](std::string& out) -> Result<void> {
    if (w.size() < 2) return fail(fmt::format("'{}' expects an argument", k));
    out = join(std::span(w).subspan(1));
    return {};
  };
  if (k == "ssl-default-bind-ciphers") return joined(g.ssl_default_bind_ciphers);
  if (k == "ssl-default-bind-options") return joined(g.ssl_default_bind_options);
  if (k == "ssl-default-server-ciphers") return joined(g.ssl_default_server_ciphers);
  if (k == "ssl-default-server-options") return joined(g.ssl_default_server_options);
  if (k == "ssl-default-bind-ciphersuites") return joined(g.ssl_default_bind_ciphersuites);
  if (k == "ssl-default-server-ciphersuites") return joined(g.ssl_default_server_ciphersuites);
  if (k == "set-var" || k == "set-var-fmt") {
    // Compiled and evaluated with the rule engine when the runtime is built (-c too).
    if (w.size() != 3)
      return fail(fmt::format("'{}' expects a variable name and {} (quote it if it has spaces)", k,
                              k == "set-var" ? "an expression" : "a format"));
    g.set_vars.push_back({w[1], w[2], k == "set-var-fmt", l.loc});
    return {};
  }
  return fail("");   // unknown: the caller builds the message
}

constexpr std::string_view kGlobalKeywords[] = {"daemon", "quiet", "master-worker", "nbproc",
    "nbthread", "maxconn", "pidfile", "stats", "log", "log-tag", "log-send-hostname", "node",
    "description", "hard-stop-after", "grace", "mworker-max-reloads", "user", "group", "chroot", "uid",
    "gid", "ulimit-n", "tune.bufsize", "tune.maxrewrite", "tune.http.maxhdr", "tune.maxaccept",
    "tune.ssl.default-dh-param", "spread-checks", "max-spread-checks", "server-state-file",
    "server-state-base", "ca-base", "crt-base", "ssl-default-bind-ciphers", "ssl-default-bind-options",
    "ssl-default-server-ciphers", "ssl-default-server-options", "ssl-default-bind-ciphersuites",
    "ssl-default-server-ciphersuites", "set-var", "set-var-fmt"};

// Keywords accepted with a one-line notice because they cannot change what sluice does
// (docs/compatibility.md lists each with its reason). Prefix entries end with '.' or '-'.
struct NoticeKeyword {
  std::string_view name;
  std::string_view reason;
};
constexpr std::string_view kNoTls = "TLS is refused on bind and server lines, so TLS settings cannot apply";
constexpr std::string_view kTuning = "pure tuning; sluice has no equivalent setting";
constexpr NoticeKeyword kNoticeKeywords[] = {
    {"tune.ssl.", kNoTls}, {"ssl-default-", kNoTls}, {"ssl-dh-param-file", kNoTls},
    {"ssl-engine", kNoTls}, {"ssl-load-extra-files", kNoTls}, {"ssl-load-extra-del-ext", kNoTls},
    {"ssl-mode-async", kNoTls}, {"ssl-propquery", kNoTls}, {"ssl-provider", kNoTls},
    {"ssl-provider-path", kNoTls}, {"ssl-server-verify", kNoTls}, {"ssl-skip-self-issued-ca", kNoTls},
    {"ca-base", kNoTls}, {"crt-base", kNoTls}, {"maxsslconn", kNoTls},
    {"tune.maxrewrite", "sluice builds rewritten headers outside the input buffer"},
    {"tune.idle-pool.shared", kTuning}, {"tune.idletimer", kTuning}, {"tune.listener.multi-queue", kTuning},
    {"tune.maxpollevents", kTuning}, {"tune.pattern.cache-size", kTuning}, {"tune.recv_enough", kTuning},
    {"tune.runqueue-depth", kTuning}, {"tune.sched.low-latency", kTuning}, {"tune.fd.edge-triggered", kTuning},
    {"tune.pool-high-fd-ratio", kTuning}, {"tune.pool-low-fd-ratio", kTuning}, {"tune.buffers.limit", kTuning},
    {"tune.buffers.reserve", kTuning}, {"tune.fail-alloc", kTuning}, {"busy-polling", kTuning},
    {"cpu-map", kTuning}, {"noepoll", kTuning}, {"nopoll", kTuning},
    {"tune.rcvbuf.", "socket buffers are left to the kernel's autotuning"},
    {"tune.sndbuf.", "socket buffers are left to the kernel's autotuning"},
    {"tune.pipesize", "sluice does not splice"}, {"maxpipes", "sluice does not splice"},
    {"nosplice", "sluice does not splice"},
    {"tune.h2.", "sluice speaks HTTP/1.x only; HTTP/2 is never negotiated"},
    {"tune.quic.", "sluice has no QUIC"},
    {"tune.lua.", "'lua-load' is refused"}, {"tune.comp.", "'compression' is refused"},
    {"tune.zlib.", "'compression' is refused"}, {"tune.peers.", "'peers' sections are refused"},
    {"tune.http.cookielen", "'capture cookie' is refused"},
};

// setenv, presetenv, unsetenv, resetenv: they change the parse's environment at once, so
// the lines after them (and, with the process environment, what runs later) see the change.
bool is_env_keyword(std::string_view k) {
  return k == "setenv" || k == "presetenv" || k == "unsetenv" || k == "resetenv";
}

Result<void> env_keyword(const Line& l, Env& env) {
  W w = l.words;
  const std::string& k = w[0];
  if (k == "setenv" || k == "presetenv") {
    // HAProxy ignores a third word; it is refused here since it usually means a value with
    // spaces that lacks its quotes.
    if (w.size() != 3)
      return fail(fmt::format("'{}' expects a name and a value (quote a value that has spaces)", k));
    if (auto r = env.environment.set(w[1], w[2], k == "setenv"); !r)
      return fail(fmt::format("'{}': {}", k, r.error().message));
    return {};
  }
  if (k == "unsetenv") {
    if (w.size() < 2) return fail("'unsetenv' expects at least one variable name");
    for (size_t i = 1; i < w.size(); ++i) env.environment.unset(w[i]);
    return {};
  }
  std::set<std::string, std::less<>> keep(w.begin() + 1, w.end());
  env.environment.reset(keep);
  return {};
}

const NoticeKeyword* notice_keyword(std::string_view k) {
  for (const auto& n : kNoticeKeywords)
    if (n.name.ends_with('.') || n.name.ends_with('-') ? k.starts_with(n.name) : k == n.name) return &n;
  return nullptr;
}

}  // namespace

void parse_global_line(GlobalConfig& g, const Line& l, Env& env) {
  const std::string& k = l.words[0];
  if (is_env_keyword(k)) {
    if (auto r = env_keyword(l, env); !r) env.diags.error(l.loc, r.error().message);
    return;
  }
  const NoticeKeyword* notice = notice_keyword(k);
  bool known = std::find(std::begin(kGlobalKeywords), std::end(kGlobalKeywords), k) != std::end(kGlobalKeywords);
  if (notice != nullptr && !known) {
    env.diags.notice(l.loc, fmt::format("'{}' has no effect in sluice ({})", k, notice->reason));
    return;
  }
  if (!known) {
    if (k == "debug") {
      env.diags.error(l.loc, "'debug' is not supported by sluice yet (use -d on the command line)");
      return;
    }
    if (k.starts_with("tune.") || k.starts_with("ssl-") || k == "lua-load" || k == "cpu-map" || k == "localpeer" ||
        k == "expose-experimental-directives" || k == "h1-case-adjust" || k == "unix-bind" ||
        k == "set-dumpable" || k == "noepoll" || k == "nopoll" || k == "insecure-fork-wanted" ||
        k == "external-check" || k == "maxsslconn" || k == "maxconnrate" || k == "maxsessrate" ||
        k == "maxpipes" || k == "maxcompcpuusage" || k == "strict-limits" || k == "busy-polling" ||
        k == "profiling.tasks" || k == "zero-warning" || k == "numa-cpu-mapping" || k == "thread-groups" ||
        k == "default-path" || k == "httpclient.resolvers.disabled" || k == "nosplice")
      env.diags.error(l.loc, fmt::format("'{}' is not supported by sluice yet", k));
    else
      env.diags.error(l.loc, fmt::format("unknown keyword '{}' in 'global' section{}", k, suggest(k, kGlobalKeywords)));
    return;
  }
  auto r = global_kw(g, l, env);
  if (!r) env.diags.error(l.loc, r.error().message);
  else if (notice != nullptr) env.diags.notice(l.loc, fmt::format("'{}' has no effect in sluice ({})", k, notice->reason));
}

}  // namespace sluice::config::detail
