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
    {"current_queue", "qcur", false, kBe | kSrv, "Requests waiting in the queue now"},
    {"max_queue", "qmax", false, kBe | kSrv, "Most requests ever waiting in the queue at once"},
    {"current_sessions", "scur", false, kFe | kBe | kSrv, "Sessions open now"},
    {"max_sessions", "smax", false, kFe | kBe | kSrv, "Most sessions ever open at once"},
    {"limit_sessions", "slim", false, kFe | kBe | kSrv, "Session limit: maxconn (frontend, server) or fullconn (backend)"},
    {"sessions_total", "stot", true, kFe | kBe | kSrv, "Sessions since the process started"},
    {"bytes_in_total", "bin", true, kFe | kBe | kSrv, "Bytes received from clients"},
    {"bytes_out_total", "bout", true, kFe | kBe | kSrv, "Bytes sent to clients"},
    {"requests_denied_total", "dreq", true, kFe | kBe, "Requests refused by a rule"},
    {"responses_denied_total", "dresp", true, kFe | kBe, "Responses refused by a rule"},
    {"request_errors_total", "ereq", true, kFe, "Malformed or incomplete requests"},
    {"connection_errors_total", "econ", true, kBe | kSrv, "Connections to servers that failed"},
    {"response_errors_total", "eresp", true, kBe | kSrv, "Invalid or truncated server responses"},
    {"retry_warnings_total", "wretr", true, kBe | kSrv, "Connection attempts retried"},
    {"redispatch_warnings_total", "wredis", true, kBe | kSrv, "Requests moved to another server after a failure"},
    {"weight", "weight", false, kBe | kSrv, "Effective weight (backend: sum over its active servers)"},
    {"active_servers", "act", false, kBe, "Active servers up with a weight above zero"},
    {"backup_servers", "bck", false, kBe, "Backup servers up with a weight above zero"},
    {"check_failures_total", "chkfail", true, kSrv, "Health checks that failed"},
    {"check_up_down_total", "chkdown", true, kBe | kSrv, "Transitions from UP to DOWN"},
    {"check_last_change_seconds", "lastchg", false, kBe | kSrv, "Seconds since the last state change"},
    {"downtime_seconds_total", "downtime", true, kBe | kSrv, "Seconds spent DOWN"},
    {"loadbalanced_total", "lbtot", true, kBe | kSrv, "Times the balancing algorithm chose this server (backend: any server)"},
    {"check_code", "check_code", false, kSrv, "HTTP status of the last layer 7 check, if any"},
    {"check_duration_seconds", "check_duration", false, kSrv, "Duration of the last health check", 0.001},
    {"last_session_seconds", "lastsess", false, kBe | kSrv, "Seconds since a session last went to this server or backend (-1: never)"},
    {"queue_time_average_seconds", "qtime", false, kBe | kSrv, "Average time in the queue over the last 1024 exchanges", 0.001},
    {"connect_time_average_seconds", "ctime", false, kBe | kSrv, "Average connect time over the last 1024 exchanges", 0.001},
    {"response_time_average_seconds", "rtime", false, kBe | kSrv, "Average server response time (HTTP) over the last 1024 exchanges", 0.001},
    {"total_time_average_seconds", "ttime", false, kBe | kSrv, "Average total exchange time over the last 1024 exchanges", 0.001},
    {"max_queue_time_seconds", "qtime_max", false, kBe | kSrv, "Longest time an exchange waited in the queue", 0.001},
    {"max_connect_time_seconds", "ctime_max", false, kBe | kSrv, "Longest connect time", 0.001},
    {"max_response_time_seconds", "rtime_max", false, kBe | kSrv, "Longest server response time", 0.001},
    {"max_total_time_seconds", "ttime_max", false, kBe | kSrv, "Longest total exchange time", 0.001},
    {"http_requests_total", "req_tot", true, kFe | kBe, "HTTP requests handled"},
    {"connections_total", "conn_tot", true, kFe, "Connections accepted"},
    {"intercepted_requests_total", "intercepted", true, kFe, "Requests answered by the proxy itself (stats, services, monitor)"},
    {"uweight", "uweight", false, kBe | kSrv, "User weight, as configured or set at run time (backend: sum)"},
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
      family(out, name, true, "HTTP responses sent, by status class");
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
  g("haproxy_process_nbthread", "Worker threads (nbthread)", std::max<uint32_t>(1, gc.nbthread));
  g("haproxy_process_nbproc", "Worker processes (always 1)", 1);
  g("haproxy_process_relative_process_id", "This worker's relative number (always 1)", 1);
  g("haproxy_process_uptime_seconds", "Seconds since this worker started",
    now >= rt.start_wall_s ? now - rt.start_wall_s : 0);
  g("haproxy_process_start_time_seconds", "When this worker started, in seconds since the epoch", rt.start_wall_s);
  g("haproxy_process_max_connections", "Connection limit (global maxconn)", rt.maxconn.load());
  g("haproxy_process_current_connections", "Client connections open now", rt.cur_conns.load());
  g("haproxy_process_connections_total", "Client connections accepted", rt.total_conns.load(), true);
  g("haproxy_process_requests_total", "Requests handled (HTTP) or sessions (TCP)", req, true);
  g("haproxy_process_stopping", "1 while the worker is stopping", rt.soft_stopping.load() ? 1 : 0);
  g("haproxy_process_listeners", "Listening sockets", rt.listeners().size());
  g("haproxy_process_dropped_logs_total", "Log lines dropped because the log ring was full", log::dropped_lines(), true);
  family(out, "haproxy_process_build_info", false, "Version of this build");
  out += fmt::format("haproxy_process_build_info{{version=\"{}\"}} 1\n", esc(version()));

  auto rows = stat_rows(rt, false);
  scope_metrics(out, rows, kFe);
  scope_metrics(out, rows, kBe);
  scope_metrics(out, rows, kSrv);
  return out;
}

}  // namespace sluice::stats
