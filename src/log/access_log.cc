#include "log/access_log.h"

#include <unistd.h>

#include <fmt/format.h>

#include <atomic>
#include <mutex>

#include "core/log.h"
#include "log/format.h"
#include "log/sink.h"
#include "net/socket.h"
#include "proxy/runtime.h"

namespace sluice::log {

// A frontend's compiled logging settings (attached to proxy::Frontend::access_log).
class ProxyLog {
 public:
  std::shared_ptr<const TargetSet> targets;
  const LogFormat* format = nullptr;   // none: haproxy's "Connect from" default format
  std::optional<LogFormat> own;        // compiled here when the runtime did not (unit tests)
  bool dontlognull = false, dontlog_normal = false, separate_errors = false;
  RenderEnv env;
};

namespace {

struct Globals {
  std::mutex mu;
  std::vector<config::LogTarget> global_targets;
  std::shared_ptr<const TargetSet> global_set;
  std::vector<std::unique_ptr<ProxyLog>> compiled;   // kept for the process lifetime
  std::string hostname;
  int pid = 0;
};

Globals& globals() {
  static Globals g;
  return g;
}

std::atomic<uint64_t> g_log_counter{0};

uint64_t now_us() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000u + static_cast<uint64_t>(ts.tv_nsec) / 1000u;
}

}  // namespace

std::string_view format_text(const config::ProxyConfig& c) {
  if (c.log_format) return *c.log_format;
  if (c.httplog) return c.httplog_clf.value_or(false) ? kClfLogFormat : kHttpLogFormat;
  if (c.tcplog) return kTcpLogFormat;
  return {};
}

namespace {

std::unique_ptr<ProxyLog> compile(const proxy::Frontend& fe, std::vector<std::string>& errors) {
  const config::ProxyConfig& c = fe.config();
  auto pl = std::make_unique<ProxyLog>();
  Globals& g = globals();
  {
    std::lock_guard lk(g.mu);
    pl->targets = open_targets(c.logs, g.global_targets, errors);
    pl->env.hostname = g.hostname;
    pl->env.pid = g.pid ? g.pid : static_cast<int>(::getpid());
  }
  if (fe.log_format) {
    pl->format = &*fe.log_format;
  } else if (auto text = format_text(c); !text.empty()) {
    auto f = LogFormat::compile(text);
    if (f) {
      pl->own = std::move(*f);
      pl->format = &*pl->own;
    } else {
      errors.push_back(fmt::format("proxy '{}': {}", c.name, f.error()));
    }
  }
  pl->dontlognull = c.dontlognull.value_or(false);
  pl->dontlog_normal = c.dontlog_normal.value_or(false);
  pl->separate_errors = c.log_separate_errors.value_or(false);
  for (const auto& cap : c.captures) {
    if (cap.request) ++pl->env.req_capture_count;
    else ++pl->env.rsp_capture_count;
  }
  return pl;
}

const ProxyLog& proxy_log(const proxy::Frontend& fe) {
  if (const ProxyLog* p = fe.access_log.load(std::memory_order_acquire)) return *p;
  std::vector<std::string> errors;
  auto pl = compile(fe, errors);
  Globals& g = globals();
  std::lock_guard lk(g.mu);
  // Another worker may have attached one meanwhile: keep the first.
  if (const ProxyLog* p = fe.access_log.load(std::memory_order_acquire)) return *p;
  const ProxyLog* raw = pl.get();
  g.compiled.push_back(std::move(pl));
  fe.access_log.store(raw, std::memory_order_release);
  return *raw;
}

}  // namespace

std::vector<std::string> configure(const config::GlobalConfig& global) {
  std::vector<std::string> errors;
  Globals& g = globals();
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  std::shared_ptr<const TargetSet> set;
  {
    std::lock_guard lk(g.mu);
    g.global_targets = global.logs;
    g.hostname = global.log_send_hostname.empty() ? host : global.log_send_hostname;
    g.pid = static_cast<int>(::getpid());
    std::vector<config::LogTarget> as_own = global.logs;
    set = open_targets(as_own, {}, errors);
    g.global_set = set;
  }
  set_header_env(global.log_tag.empty() ? "sluice" : global.log_tag, g.hostname,
                 !global.log_send_hostname.empty());
  // Process messages (alerts, server state changes) go to the global targets as haproxy's
  // do. The sink runs on whichever thread logs; submit() never blocks.
  if (set && !set->targets.empty()) {
    core::set_log_sink([set](core::Level lv, std::string_view msg) {
      submit(set, static_cast<Severity>(lv), std::string(msg), now_us());
    });
  } else {
    core::set_log_sink(nullptr);
  }
  return errors;
}

void open_proxy_logs(const proxy::Frontend& fe) { (void)proxy_log(fe); }

RenderEnv current_env() {
  Globals& g = globals();
  RenderEnv env;
  {
    std::lock_guard lk(g.mu);
    env.hostname = g.hostname;   // RenderEnv holds a view: the string lives in g until the next configure()
  }
  env.pid = g.pid ? g.pid : static_cast<int>(::getpid());
  env.log_counter = g_log_counter.load(std::memory_order_relaxed);
  return env;
}

void emit(const TxRecord& rec) {
  if (rec.fe == nullptr) return;
  const ProxyLog& pl = proxy_log(*rec.fe);
  if (pl.targets->targets.empty() || !pl.format) return;
  if (pl.dontlognull && rec.empty) return;
  if (pl.dontlog_normal && !rec.error) return;
  RenderEnv env = pl.env;
  env.log_counter = g_log_counter.fetch_add(1, std::memory_order_relaxed);
  Severity lv = pl.separate_errors && rec.error ? Severity::Err : Severity::Info;
  submit(pl.targets, lv, pl.format->render(rec, env), now_us());
}

void emit_connect(const proxy::Frontend& fe, const sockaddr_storage& src,
                  const sockaddr_storage& dst) {
  const ProxyLog& pl = proxy_log(fe);
  if (pl.targets->targets.empty() || pl.format) return;
  std::string msg = fmt::format("Connect from {} to {} ({}/{})", net::to_string(src),
                                net::to_string(dst), fe.name(), fe.http() ? "HTTP" : "TCP");
  submit(pl.targets, Severity::Info, std::move(msg), now_us());
}

}  // namespace sluice::log
