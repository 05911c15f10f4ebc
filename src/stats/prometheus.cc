// Prometheus text exposition (format 0.0.4) with haproxy's exporter metric names, derived
// from the same `show stat` rows as the CSV so that both always agree.
#include "stats/prometheus.h"

#include <unistd.h>

#include <fmt/format.h>

#include "core/clock.h"
#include "core/version.h"
#include "log/sink.h"
#include "proxy/runtime.h"
#include "stats/stat_rows.h"

namespace sluice::stats {

namespace {

enum Scope : uint8_t { kFe = 1, kBe = 2, kSrv = 4 };

// One metric = one `show stat` column, for the scopes where haproxy exports it.
struct Metric {
  std::string_view name;     // without the haproxy_<scope>_ prefix
  std::string_view column;
  bool counter;
  uint8_t scopes;
  std::string_view help;
  double scale = 1.0;        // e.g. milliseconds -> seconds
};

constexpr Metric kMetrics[] = {
    {"current_queue", "qcur", false, kBe | kSrv, "Number of current queued connections"},
    {"max_queue", "qmax", false, kBe | kSrv, "Highest value of queued connections encountered since process started"},
    {"current_sessions", "scur", false, kFe | kBe | kSrv, "Number of current sessions on the frontend, backend or server"},
    {"max_sessions", "smax", false, kFe | kBe | kSrv, "Highest value of current sessions encountered since process started"},
    {"limit_sessions", "slim", false, kFe | kBe | kSrv, "Frontend/listener/server's maxconn, backend's fullconn"},
    {"sessions_total", "stot", true, kFe | kBe | kSrv, "Total number of sessions since process started"},
    {"bytes_in_total", "bin", true, kFe | kBe | kSrv, "Total number of request bytes since process started"},
    {"bytes_out_total", "bout", true, kFe | kBe | kSrv, "Total number of response bytes since process started"},
    {"requests_denied_total", "dreq", true, kFe | kBe, "Total number of denied requests since process started"},
    {"request_errors_total", "ereq", true, kFe, "Total number of invalid requests since process started"},
    {"connection_errors_total", "econ", true, kBe | kSrv, "Total number of failed connections to server since the worker process started"},
    {"response_errors_total", "eresp", true, kBe | kSrv, "Total number of invalid responses since the worker process started"},
    {"retry_warnings_total", "wretr", true, kBe | kSrv, "Total number of server connection retries since the worker process started"},
    {"redispatch_warnings_total", "wredis", true, kBe | kSrv, "Total number of server redispatches due to connection failures since the worker process started"},
    {"weight", "weight", false, kBe | kSrv, "Server's effective weight, or sum of active servers' effective weights for a backend"},
    {"active_servers", "act", false, kBe, "Total number of active UP servers with a non-zero weight"},
    {"backup_servers", "bck", false, kBe, "Total number of backup UP servers with a non-zero weight"},
    {"check_failures_total", "chkfail", true, kSrv, "Total number of failed individual health checks per server/backend, since the worker process started"},
    {"check_up_down_total", "chkdown", true, kBe | kSrv, "Total number of failed checks causing UP to DOWN server transitions, per server/backend, since the worker process started"},
    {"check_last_change_seconds", "lastchg", false, kBe | kSrv, "How long ago the last server state changed, in seconds"},
    {"downtime_seconds_total", "downtime", true, kBe | kSrv, "Total time spent in DOWN state, for server or backend"},
    {"loadbalanced_total", "lbtot", true, kBe | kSrv, "Total number of requests routed by load balancing since the worker process started (ignores queue pop and stickiness)"},
    {"check_code", "check_code", false, kSrv, "layer5-7 code, if available of the last health check."},
    {"check_duration_seconds", "check_duration", false, kSrv, "Total duration of the latest server health check, in seconds.", 0.001},
    {"http_requests_total", "req_tot", true, kFe | kBe, "Total number of HTTP requests processed by this object since the worker process started"},
    {"connections_total", "conn_tot", true, kFe, "Total number of new connections accepted on this frontend since the worker process started"},
    {"intercepted_requests_total", "intercepted", true, kFe, "Total number of HTTP requests intercepted on the frontend (redirects/stats/services) since the worker process started"},
    {"uweight", "uweight", false, kBe | kSrv, "Server's user weight, or sum of active servers' user weights for a backend"},
};

constexpr std::string_view kCheckStates[] = {"HANA", "SOCKERR", "L4OK", "L4TOUT", "L4CON", "L6OK",
                                             "L6TOUT", "L6RSP", "L7TOUT", "L7RSP", "L7OK", "L7OKC",
                                             "L7STS", "PROCERR", "PROCTOUT", "PROCOK"};

uint8_t scope_of(char type) { return type == 'F' ? kFe : type == 'B' ? kBe : kSrv; }
std::string_view prefix_of(uint8_t s) {
  return s == kFe ? "haproxy_frontend_" : s == kBe ? "haproxy_backend_" : "haproxy_server_";
}

// Label values escape '\', '"' and newlines (exposition format).
std::string esc(std::string_view v) {
  std::string o;
  for (char c : v) {
    if (c == '\\' || c == '"') o += '\\', o += c;
    else if (c == '\n') o += "\\n";
    else o += c;
  }
  return o;
}

std::string labels(const StatRow& r) {
  if (r.type == 'S')
    return fmt::format("proxy=\"{}\",server=\"{}\"", esc(r.get("pxname")), esc(r.get("svname")));
  return fmt::format("proxy=\"{}\"", esc(r.get("pxname")));
}

void family(std::string& out, std::string_view name, bool counter, std::string_view help) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, counter ? "counter" : "gauge");
}

void scope_metrics(std::string& out, const std::vector<StatRow>& rows, uint8_t scope) {
  auto mine = [&](const StatRow& r) { return scope_of(r.type) == scope; };
  std::string_view pfx = prefix_of(scope);
  // Status: one sample per state label, 1 for the current one (haproxy >= 2.4).
  {
    std::string name = fmt::format("{}status", pfx);
    family(out, name, false, "Current status of the service, per state label value.");
    for (auto& r : rows) {
      if (!mine(r)) continue;
      std::string_view st = r.get("status");
      if (scope == kSrv) {
        for (std::string_view s : {"DOWN", "UP", "MAINT", "DRAIN", "NOLB"}) {
          bool on = st == s || (s == "UP" && st == "no check");
          out += fmt::format("{}{{{},state=\"{}\"}} {}\n", name, labels(r), s, on ? 1 : 0);
        }
      } else {
        bool up = st == "UP" || st == "OPEN";
        out += fmt::format("{}{{{},state=\"DOWN\"}} {}\n", name, labels(r), up ? 0 : 1);
        out += fmt::format("{}{{{},state=\"UP\"}} {}\n", name, labels(r), up ? 1 : 0);
      }
    }
  }
  for (const Metric& m : kMetrics) {
    if (!(m.scopes & scope)) continue;
    std::string name = fmt::format("{}{}", pfx, m.name);
    bool any = false;
    for (auto& r : rows) {
      if (!mine(r)) continue;
      std::string_view v = r.get(m.column);
      if (v.empty()) continue;   // not tracked for this object (e.g. no check): omitted
      if (!any) family(out, name, m.counter, m.help);
      any = true;
      if (m.scale != 1.0) {
        out += fmt::format("{}{{{}}} {}\n", name, labels(r), std::stod(std::string(v)) * m.scale);
      } else {
        out += fmt::format("{}{{{}}} {}\n", name, labels(r), v);
      }
    }
  }
  if (scope == kSrv) {
    std::string name = "haproxy_server_check_status";
    bool any = false;
    for (auto& r : rows) {
      if (!mine(r) || r.get("check_status").empty()) continue;
      if (!any) family(out, name, false, "Status of last health check, per state label value.");
      any = true;
      std::string_view cs = r.get("check_status");
      for (auto s : kCheckStates)
        out += fmt::format("{}{{{},state=\"{}\"}} {}\n", name, labels(r), s, cs == s ? 1 : 0);
    }
  }
  // HTTP responses by class, for objects in HTTP mode.
  std::string name = fmt::format("{}http_responses_total", pfx);
  bool any = false;
  for (auto& r : rows) {
    if (!mine(r) || r.get("hrsp_2xx").empty()) continue;
    if (!any)
      family(out, name, true, "Total number of HTTP responses returned by this object since the worker process started, per status class");
    any = true;
    for (auto [col, code] : {std::pair{"hrsp_1xx", "1xx"}, {"hrsp_2xx", "2xx"}, {"hrsp_3xx", "3xx"},
                             {"hrsp_4xx", "4xx"}, {"hrsp_5xx", "5xx"}, {"hrsp_other", "other"}})
      out += fmt::format("{}{{{},code=\"{}\"}} {}\n", name, labels(r), code, r.get(col));
  }
}

}  // namespace

std::string prometheus_text(proxy::Runtime& rt) {
  std::string out;
  out.reserve(16384);
  auto g = [&](std::string_view name, std::string_view help, auto v, bool counter = false) {
    family(out, name, counter, help);
    out += fmt::format("{} {}\n", name, v);
  };
  const auto& gc = rt.config().global;
  auto now = static_cast<uint64_t>(core::wall_seconds());
  uint64_t req = 0;
  for (auto& fe : rt.frontends()) req += fe->counters.requests_total.load(std::memory_order_relaxed);
  g("haproxy_process_nbthread", "Number of started threads (global.nbthread)", std::max<uint32_t>(1, gc.nbthread));
  g("haproxy_process_nbproc", "Number of started worker processes (historical, always 1)", 1);
  g("haproxy_process_relative_process_id", "Relative worker process number (1)", 1);
  g("haproxy_process_uptime_seconds", "How long ago this worker process was started (seconds)",
    now >= rt.start_wall_s ? now - rt.start_wall_s : 0);
  g("haproxy_process_start_time_seconds", "Start time in seconds", rt.start_wall_s);
  g("haproxy_process_max_connections", "Maximum number of concurrent connections (global.maxconn)", rt.maxconn.load());
  g("haproxy_process_current_connections", "Number of active sessions", rt.cur_conns.load());
  g("haproxy_process_connections_total", "Total number of created sessions", rt.total_conns.load(), true);
  g("haproxy_process_requests_total", "Total number of requests (TCP or HTTP)", req, true);
  g("haproxy_process_stopping", "Non zero means stopping in progress", rt.soft_stopping.load() ? 1 : 0);
  g("haproxy_process_listeners", "Number of active listeners", rt.listeners().size());
  g("haproxy_process_dropped_logs_total", "Total number of dropped logs", log::dropped_lines(), true);
  family(out, "haproxy_process_build_info", false, "Build info");
  out += fmt::format("haproxy_process_build_info{{version=\"{}\"}} 1\n", esc(version()));

  auto rows = stat_rows(rt, false);
  scope_metrics(out, rows, kFe);
  scope_metrics(out, rows, kBe);
  scope_metrics(out, rows, kSrv);
  return out;
}

}  // namespace sluice::stats
