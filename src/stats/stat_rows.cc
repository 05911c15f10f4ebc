#include "stats/stat_rows.h"

#include <algorithm>
#include <functional>
#include <mutex>

#include "core/clock.h"
#include "net/socket.h"
#include "proxy/runtime.h"

namespace sluice::stats {

const std::array<std::string_view, 103> kStatColumns = {
    "pxname", "svname", "qcur", "qmax", "scur", "smax", "slim", "stot", "bin", "bout", "dreq",
    "dresp", "ereq", "econ", "eresp", "wretr", "wredis", "status", "weight", "act", "bck",
    "chkfail", "chkdown", "lastchg", "downtime", "qlimit", "pid", "iid", "sid", "throttle",
    "lbtot", "tracked", "type", "rate", "rate_lim", "rate_max", "check_status", "check_code",
    "check_duration", "hrsp_1xx", "hrsp_2xx", "hrsp_3xx", "hrsp_4xx", "hrsp_5xx", "hrsp_other",
    "hanafail", "req_rate", "req_rate_max", "req_tot", "cli_abrt", "srv_abrt", "comp_in",
    "comp_out", "comp_byp", "comp_rsp", "lastsess", "last_chk", "last_agt", "qtime", "ctime",
    "rtime", "ttime", "agent_status", "agent_code", "agent_duration", "check_desc", "agent_desc",
    "check_rise", "check_fall", "check_health", "agent_rise", "agent_fall", "agent_health",
    "addr", "cookie", "mode", "algo", "conn_rate", "conn_rate_max", "conn_tot", "intercepted",
    "dcon", "dses", "wrew", "connect", "reuse", "cache_lookups", "cache_hits", "srv_icur",
    "src_ilim", "qtime_max", "ctime_max", "rtime_max", "ttime_max", "eint", "idle_conn_cur",
    "safe_conn_cur", "used_conn_cur", "need_conn_est", "uweight", "agg_server_status",
    "agg_server_check_status", "agg_check_status"};

namespace {



template <class T>
std::string n(const std::atomic<T>& a) {
  return std::to_string(a.load(std::memory_order_relaxed));
}

std::string_view algo_name(config::Balance b) {
  using config::Balance;
  switch (b) {
    case Balance::RoundRobin: return "roundrobin";
    case Balance::StaticRR: return "static-rr";
    case Balance::LeastConn: return "leastconn";
    case Balance::First: return "first";
    case Balance::Source: return "source";
    case Balance::Uri: return "uri";
    case Balance::UrlParam: return "url_param";
    case Balance::Hdr: return "hdr";
    case Balance::Random: return "random";
  }
  return "";
}

// qtime/ctime/rtime/ttime (averages of the last 1024 exchanges, ms), their maxima, and
// lastsess (seconds since the last session, -1 for never), of a server or a backend.
template <class C>
void time_counters(Row& r, const C& c, uint64_t mono) {
  auto t = c.times.get();
  r["qtime"] = std::to_string(t.q);
  r["ctime"] = std::to_string(t.c);
  r["rtime"] = std::to_string(t.r);
  r["ttime"] = std::to_string(t.t);
  r["qtime_max"] = std::to_string(t.q_max);
  r["ctime_max"] = std::to_string(t.c_max);
  r["rtime_max"] = std::to_string(t.r_max);
  r["ttime_max"] = std::to_string(t.t_max);
  uint64_t last = c.last_sess_ms.load(std::memory_order_relaxed);
  r["lastsess"] = last == 0 ? "-1" : std::to_string(mono >= last ? (mono - last) / 1000 : 0);
}

template <class C>
void http_counters(Row& r, const C& c) {
  r["hrsp_1xx"] = n(c.http_1xx);
  r["hrsp_2xx"] = n(c.http_2xx);
  r["hrsp_3xx"] = n(c.http_3xx);
  r["hrsp_4xx"] = n(c.http_4xx);
  r["hrsp_5xx"] = n(c.http_5xx);
  r["hrsp_other"] = n(c.http_other);
}

}  // namespace

std::string server_status(const backend::Server& s) {
  using backend::AdminState;
  using backend::OpState;
  if (s.admin_state() == AdminState::Maint) return "MAINT";
  if (s.op_state() == OpState::Down) return "DOWN";
  if (s.admin_state() == AdminState::Drain) return "DRAIN";
  if (s.op_state() == OpState::Nolb) return "NOLB";
  return s.config().check ? "UP" : "no check";
}

namespace {

StatRow frontend_row(proxy::Runtime& rt, proxy::Frontend& fe) {
  uint64_t mono = core::monotonic_ms();
  StatRow r{'F', fe.id(), 0, {}};
  auto& c = fe.counters;
  uint32_t slim = fe.maxconn.load() ? fe.maxconn.load() : rt.maxconn.load();
  r.f = {{"pxname", fe.name()}, {"svname", "FRONTEND"}, {"scur", n(c.cur_conns)},
         {"smax", n(c.max_conns)}, {"slim", std::to_string(slim)}, {"stot", n(c.sessions_total)},
         {"bin", n(c.bytes_in)}, {"bout", n(c.bytes_out)}, {"dreq", n(c.denied)}, {"dresp", n(c.denied_resp)},
         {"ereq", n(c.req_errors)}, {"status", rt.soft_stopping ? "STOP" : "OPEN"}, {"pid", "1"},
         {"iid", std::to_string(fe.id())}, {"sid", "0"}, {"type", "0"},
         {"rate", std::to_string(c.sess_rate.rate(mono))}, {"rate_lim", "0"},
         {"rate_max", std::to_string(c.sess_rate.max())}, {"req_rate", std::to_string(c.req_rate.rate(mono))},
         {"req_rate_max", std::to_string(c.req_rate.max())},
         {"req_tot", n(c.requests_total)}, {"comp_in", "0"}, {"comp_out", "0"}, {"comp_byp", "0"},
         {"comp_rsp", "0"}, {"mode", fe.http() ? "http" : "tcp"}, {"conn_rate", "0"},
         {"conn_rate_max", "0"}, {"conn_tot", n(c.conns_total)}, {"intercepted", n(c.intercepted)},
         {"dcon", "0"}, {"dses", "0"}, {"wrew", "0"}, {"eint", "0"}};
  http_counters(r.f, c);
  return r;
}

void backend_rows(backend::Backend& b, bool hide_private, std::vector<StatRow>& out) {
  auto now = static_cast<uint64_t>(core::wall_seconds());
  uint64_t mono = core::monotonic_ms();
  bool http = b.config().mode == config::Mode::Http;
  std::lock_guard lk(b.mutex());
  uint64_t be_down = b.downtime_s_locked(mono);
  uint64_t weight = 0;
  uint64_t last = 0;
  for (auto& sp : b.servers()) {
    backend::Server& s = *sp;
    if (s.usable() && !s.is_backup()) weight += s.weight();
    last = std::max(last, s.last_change_s);
    auto& c = s.counters;
    StatRow r{'S', b.id(), s.id(), {}};
    r.f = {{"pxname", b.name()}, {"svname", std::string(s.name())}, {"qcur", n(s.queue_len)}, {"qmax", n(s.queue_max)},
           {"scur", n(c.cur_sess)}, {"smax", n(c.max_sess)},
           {"slim", s.max_conns() ? std::to_string(s.max_conns()) : ""},
           {"stot", n(c.sessions_total)}, {"bin", n(c.bytes_in)}, {"bout", n(c.bytes_out)},
           {"dresp", "0"}, {"econ", n(c.connect_errors)}, {"eresp", n(c.response_errors)},
           {"wretr", n(c.retries)}, {"wredis", n(c.redispatches)}, {"status", server_status(s)},
           // haproxy keeps showing a drained server's weight (drain only stops new traffic)
           {"weight", std::to_string(s.admin_state() == backend::AdminState::Drain ? s.user_weight() : lb::user_units(s.weight()))}, {"act", s.is_backup() ? "0" : "1"},
           {"bck", s.is_backup() ? "1" : "0"},
           {"lastchg", std::to_string(now >= s.last_change_s ? now - s.last_change_s : 0)},
           {"pid", "1"}, {"iid", std::to_string(b.id())}, {"sid", std::to_string(s.id())},
           {"lbtot", n(c.sessions_total)}, {"type", "2"}, {"rate", std::to_string(c.sess_rate.rate(mono))},
           {"rate_max", std::to_string(c.sess_rate.max())},
           {"downtime", std::to_string(s.downtime_s(mono))},
           {"cli_abrt", "0"}, {"srv_abrt", "0"}, {"lastsess", "-1"}, {"qtime", "0"},
           {"ctime", "0"}, {"rtime", "0"}, {"ttime", "0"}, {"mode", http ? "http" : "tcp"},
           {"wrew", "0"}, {"connect", "0"}, {"reuse", "0"}, {"srv_icur", "0"},
           {"qtime_max", "0"}, {"ctime_max", "0"}, {"rtime_max", "0"}, {"ttime_max", "0"},
           {"eint", "0"}, {"idle_conn_cur", "0"}, {"safe_conn_cur", "0"}, {"used_conn_cur", "0"},
           {"need_conn_est", "0"}, {"uweight", std::to_string(s.user_weight())}};
    if (s.config().check) {
      r.f["chkfail"] = n(c.failed_checks);
      r.f["chkdown"] = n(c.down_transitions);
      r.f["check_rise"] = std::to_string(s.config().rise);
      r.f["check_fall"] = std::to_string(s.config().fall);
    }
    if (http) http_counters(r.f, c);
    time_counters(r.f, c, mono);
    if (!hide_private) {   // HAProxy hides addresses and cookies from level user
      r.f["addr"] = net::to_string(s.addr());
      r.f["cookie"] = s.cookie();
    }
    out.push_back(std::move(r));
  }
  auto& c = b.counters;
  bool up = b.usable_active() + b.usable_backup() > 0;
  StatRow r{'B', b.id(), 0, {}};
  r.f = {{"pxname", b.name()}, {"svname", "BACKEND"}, {"qcur", std::to_string(b.queue_len())}, {"qmax", std::to_string(b.queue_max())},
         {"scur", n(c.cur_sess)}, {"smax", n(c.max_sess)}, {"slim", ""},
         {"stot", n(c.sessions_total)}, {"bin", n(c.bytes_in)}, {"bout", n(c.bytes_out)},
         {"dreq", n(c.denied)}, {"dresp", n(c.denied_resp)}, {"econ", n(c.connect_errors)},
         {"eresp", n(c.response_errors)}, {"wretr", n(c.retries)}, {"wredis", n(c.redispatches)},
         {"status", up ? "UP" : "DOWN"}, {"weight", std::to_string((weight + lb::kWeightScale - 1) / lb::kWeightScale)},
         {"act", std::to_string(b.usable_active())}, {"bck", std::to_string(b.usable_backup())},
         {"chkdown", "0"}, {"lastchg", std::to_string(last && now >= last ? now - last : 0)},
         {"downtime", std::to_string(be_down)}, {"pid", "1"}, {"iid", std::to_string(b.id())}, {"sid", "0"},
         {"lbtot", n(c.sessions_total)}, {"type", "1"}, {"rate", std::to_string(c.sess_rate.rate(mono))},
         {"rate_max", std::to_string(c.sess_rate.max())},
         {"cli_abrt", "0"}, {"srv_abrt", "0"}, {"comp_in", "0"}, {"comp_out", "0"},
         {"comp_byp", "0"}, {"comp_rsp", "0"}, {"lastsess", "-1"}, {"qtime", "0"}, {"ctime", "0"},
         {"rtime", "0"}, {"ttime", "0"}, {"mode", http ? "http" : "tcp"},
         {"algo", std::string(algo_name(b.config().balance))}, {"conn_rate", "0"},
         {"conn_rate_max", "0"}, {"conn_tot", "0"}, {"intercepted", "0"}, {"dcon", "0"},
         {"dses", "0"}, {"wrew", "0"}, {"connect", "0"}, {"reuse", "0"}, {"eint", "0"},
         {"uweight", std::to_string((weight + lb::kWeightScale - 1) / lb::kWeightScale)}};
  time_counters(r.f, c, mono);
  if (b.config().cookie && !hide_private) r.f["cookie"] = b.config().cookie->name;
  if (http) {
    http_counters(r.f, c);
    r.f["req_tot"] = n(c.sessions_total);
  }
  out.push_back(std::move(r));
}

// Frontends and backends in id order; a `listen` section's two halves stay together.
}  // namespace

std::vector<StatRow> stat_rows(proxy::Runtime& rt, bool hide_private) {
  std::vector<StatRow> out;
  std::vector<std::pair<int, std::function<void()>>> items;
  for (auto& fe : rt.frontends()) {
    proxy::Frontend* f = fe.get();
    items.emplace_back(f->id() * 2, [&rt, &out, f] { out.push_back(frontend_row(rt, *f)); });
  }
  for (auto& be : rt.backends()) {
    backend::Backend* b = be.get();
    items.emplace_back(b->id() * 2 + 1, [&out, b, hide_private] { backend_rows(*b, hide_private, out); });
  }
  std::stable_sort(items.begin(), items.end(), [](auto& a, auto& b) { return a.first < b.first; });
  for (auto& [k, fn] : items) fn();
  return out;
}


std::string stat_csv(const std::vector<StatRow>& rows) {
  std::string out = "# ";
  for (auto c : kStatColumns) out += std::string(c) + ",";
  out += "\n";
  for (auto& r : rows) {
    for (auto c : kStatColumns) {
      auto it = r.f.find(c);
      if (it != r.f.end()) out += it->second;
      out += ',';
    }
    out += '\n';
  }
  return out;
}

}  // namespace sluice::stats
