// Output formats of the `show` commands, column for column as HAProxy prints them, so that
// scripts written for haproxy parse sluice unchanged.
#include <unistd.h>

#include <array>
#include <map>
#include <mutex>

#include "admin/commands.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/version.h"
#include "net/socket.h"
#include "proxy/worker.h"

namespace sluice::admin {

namespace {

// HAProxy 2.6's `show stat` columns, in order (fields we do not track stay empty).
constexpr std::array<std::string_view, 103> kStatColumns = {
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

using Row = std::map<std::string_view, std::string>;
struct StatRow {
  char type;   // F, B, S
  int iid, sid;
  Row f;
};

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

template <class C>
void http_counters(Row& r, const C& c) {
  r["hrsp_1xx"] = n(c.http_1xx);
  r["hrsp_2xx"] = n(c.http_2xx);
  r["hrsp_3xx"] = n(c.http_3xx);
  r["hrsp_4xx"] = n(c.http_4xx);
  r["hrsp_5xx"] = n(c.http_5xx);
  r["hrsp_other"] = n(c.http_other);
}

std::string server_status(const backend::Server& s) {
  using backend::AdminState;
  using backend::OpState;
  if (s.admin_state() == AdminState::Maint) return "MAINT";
  if (s.op_state() == OpState::Down) return "DOWN";
  if (s.admin_state() == AdminState::Drain) return "DRAIN";
  if (s.op_state() == OpState::Nolb) return "NOLB";
  return s.config().check ? "UP" : "no check";
}

StatRow frontend_row(proxy::Runtime& rt, proxy::Frontend& fe) {
  StatRow r{'F', fe.id(), 0, {}};
  auto& c = fe.counters;
  uint32_t slim = fe.maxconn.load() ? fe.maxconn.load() : rt.maxconn.load();
  r.f = {{"pxname", fe.name()}, {"svname", "FRONTEND"}, {"scur", n(c.cur_conns)},
         {"smax", n(c.max_conns)}, {"slim", std::to_string(slim)}, {"stot", n(c.sessions_total)},
         {"bin", n(c.bytes_in)}, {"bout", n(c.bytes_out)}, {"dreq", n(c.denied)}, {"dresp", "0"},
         {"ereq", n(c.req_errors)}, {"status", rt.soft_stopping ? "STOP" : "OPEN"}, {"pid", "1"},
         {"iid", std::to_string(fe.id())}, {"sid", "0"}, {"type", "0"}, {"rate", "0"},
         {"rate_lim", "0"}, {"rate_max", "0"}, {"req_rate", "0"}, {"req_rate_max", "0"},
         {"req_tot", n(c.requests_total)}, {"comp_in", "0"}, {"comp_out", "0"}, {"comp_byp", "0"},
         {"comp_rsp", "0"}, {"mode", fe.http() ? "http" : "tcp"}, {"conn_rate", "0"},
         {"conn_rate_max", "0"}, {"conn_tot", n(c.conns_total)}, {"intercepted", n(c.intercepted)},
         {"dcon", "0"}, {"dses", "0"}, {"wrew", "0"}, {"eint", "0"}};
  http_counters(r.f, c);
  return r;
}

void backend_rows(backend::Backend& b, Level level, std::vector<StatRow>& out) {
  auto now = static_cast<uint64_t>(core::wall_seconds());
  bool http = b.config().mode == config::Mode::Http;
  std::lock_guard lk(b.mutex());
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
           {"weight", std::to_string(s.weight())}, {"act", s.is_backup() ? "0" : "1"},
           {"bck", s.is_backup() ? "1" : "0"},
           {"lastchg", std::to_string(now >= s.last_change_s ? now - s.last_change_s : 0)},
           {"pid", "1"}, {"iid", std::to_string(b.id())}, {"sid", std::to_string(s.id())},
           {"lbtot", n(c.sessions_total)}, {"type", "2"}, {"rate", "0"}, {"rate_max", "0"},
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
    if (level != Level::User) {   // HAProxy hides addresses and cookies from level user
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
         {"dreq", n(c.denied)}, {"dresp", "0"}, {"econ", n(c.connect_errors)},
         {"eresp", n(c.response_errors)}, {"wretr", n(c.retries)}, {"wredis", n(c.redispatches)},
         {"status", up ? "UP" : "DOWN"}, {"weight", std::to_string(weight)},
         {"act", std::to_string(b.usable_active())}, {"bck", std::to_string(b.usable_backup())},
         {"chkdown", "0"}, {"lastchg", std::to_string(last && now >= last ? now - last : 0)},
         {"downtime", "0"}, {"pid", "1"}, {"iid", std::to_string(b.id())}, {"sid", "0"},
         {"lbtot", n(c.sessions_total)}, {"type", "1"}, {"rate", "0"}, {"rate_max", "0"},
         {"cli_abrt", "0"}, {"srv_abrt", "0"}, {"comp_in", "0"}, {"comp_out", "0"},
         {"comp_byp", "0"}, {"comp_rsp", "0"}, {"lastsess", "-1"}, {"qtime", "0"}, {"ctime", "0"},
         {"rtime", "0"}, {"ttime", "0"}, {"mode", http ? "http" : "tcp"},
         {"algo", std::string(algo_name(b.config().balance))}, {"conn_rate", "0"},
         {"conn_rate_max", "0"}, {"conn_tot", "0"}, {"intercepted", "0"}, {"dcon", "0"},
         {"dses", "0"}, {"wrew", "0"}, {"connect", "0"}, {"reuse", "0"}, {"eint", "0"},
         {"uweight", std::to_string(weight)}};
  if (b.config().cookie && level != Level::User) r.f["cookie"] = b.config().cookie->name;
  if (http) {
    http_counters(r.f, c);
    r.f["req_tot"] = n(c.sessions_total);
  }
  out.push_back(std::move(r));
}

// Frontends and backends in id order; a `listen` section's two halves stay together.
std::vector<StatRow> stat_rows(proxy::Runtime& rt, Level level) {
  std::vector<StatRow> out;
  std::vector<std::pair<int, std::function<void()>>> items;
  for (auto& fe : rt.frontends()) {
    proxy::Frontend* f = fe.get();
    items.emplace_back(f->id() * 2, [&rt, &out, f] { out.push_back(frontend_row(rt, *f)); });
  }
  for (auto& be : rt.backends()) {
    backend::Backend* b = be.get();
    items.emplace_back(b->id() * 2 + 1, [&out, b, level] { backend_rows(*b, level, out); });
  }
  std::stable_sort(items.begin(), items.end(), [](auto& a, auto& b) { return a.first < b.first; });
  for (auto& [k, fn] : items) fn();
  return out;
}

bool numeric(const std::string& v) {
  if (v.empty()) return false;
  size_t i = v[0] == '-' ? 1 : 0;
  if (i == v.size()) return false;
  for (; i < v.size(); ++i)
    if (v[i] < '0' || v[i] > '9') return false;
  return true;
}

std::string json_escape(std::string_view s) {
  std::string o;
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\', o += c;
    else if (static_cast<unsigned char>(c) < 0x20) o += fmt::format("\\u{:04x}", c);
    else o += c;
  }
  return o;
}

std::string_view obj_type(char t) {
  return t == 'F' ? "Frontend" : t == 'B' ? "Backend" : "Server";
}

}  // namespace

std::string show_stat_csv(proxy::Runtime& rt, Level level) {
  std::string out = "# ";
  for (auto c : kStatColumns) out += std::string(c) + ",";
  out += "\n";
  for (auto& r : stat_rows(rt, level)) {
    for (auto c : kStatColumns) {
      auto it = r.f.find(c);
      if (it != r.f.end()) out += it->second;
      out += ',';
    }
    out += '\n';
  }
  return out;
}

std::string show_stat_typed(proxy::Runtime& rt, Level level) {
  std::string out;
  for (auto& r : stat_rows(rt, level)) {
    for (size_t i = 0; i < kStatColumns.size(); ++i) {
      auto it = r.f.find(kStatColumns[i]);
      if (it == r.f.end() || it->second.empty()) continue;
      bool num = numeric(it->second);
      out += fmt::format("{}.{}.{}.{}.{}.1:{}:{}:{}\n", r.type, r.iid, r.sid, i, kStatColumns[i],
                         num ? "MCP" : "MGP", num ? "u64" : "str", it->second);
    }
  }
  return out;
}

std::string show_stat_json(proxy::Runtime& rt, Level level) {
  std::string out = "[";
  bool first_row = true;
  for (auto& r : stat_rows(rt, level)) {
    out += first_row ? "[" : ",[";
    first_row = false;
    bool first = true;
    for (size_t i = 0; i < kStatColumns.size(); ++i) {
      auto it = r.f.find(kStatColumns[i]);
      if (it == r.f.end() || it->second.empty()) continue;
      bool num = numeric(it->second);
      out += fmt::format(
          "{}{{\"objType\":\"{}\",\"proxyId\":{},\"id\":{},\"field\":{{\"pos\":{},\"name\":\"{}\"}},"
          "\"processNum\":1,\"tags\":{{\"origin\":\"Metric\",\"nature\":\"{}\",\"scope\":\"Process\"}},"
          "\"value\":{{\"type\":\"{}\",\"value\":{}}}}}",
          first ? "" : ",", obj_type(r.type), r.iid, r.sid, i, kStatColumns[i],
          num ? "Counter" : "Gauge", num ? "u64" : "str",
          num ? it->second : "\"" + json_escape(it->second) + "\"");
      first = false;
    }
    out += "]";
  }
  return out + "]\n";
}

std::string show_servers_state(proxy::Runtime& rt, std::string_view only) {
  std::string out =
      "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight "
      "srv_iweight srv_time_since_last_change srv_check_status srv_check_result "
      "srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id "
      "srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr "
      "srv_agent_port\n";
  auto now = static_cast<uint64_t>(core::wall_seconds());
  for (auto& bp : rt.backends()) {
    backend::Backend& b = *bp;
    if (!only.empty() && b.name() != only) continue;
    std::lock_guard lk(b.mutex());
    for (auto& sp : b.servers()) {
      backend::Server& s = *sp;
      const auto& cfg = s.config();
      // HAProxy's numeric encodings: op 0 stopped, 2 running, 3 stopping; admin flags
      // 0x01 forced maintenance, 0x08 forced drain.
      int op = s.op_state() == backend::OpState::Down ? 0 : s.op_state() == backend::OpState::Up ? 2 : 3;
      int adm = s.admin_state() == backend::AdminState::Maint ? 1
                : s.admin_state() == backend::AdminState::Drain ? 8 : 0;
      int health = s.op_state() == backend::OpState::Down ? 0
                   : cfg.check ? static_cast<int>(cfg.rise + cfg.fall - 1) : static_cast<int>(cfg.rise);
      std::string addr = net::to_string(s.addr(), false);
      if (addr.empty() || s.addr().ss_family == AF_UNSPEC) addr = "-";
      uint16_t port = s.addr().ss_family == AF_UNSPEC ? 0 : net::port_of(reinterpret_cast<const sockaddr*>(&s.addr()));
      out += fmt::format("{} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {}\n",
                         b.id(), b.name(), s.id(), s.name(), addr, op, adm, s.user_weight(),
                         cfg.weight, now >= s.last_change_s ? now - s.last_change_s : 0,
                         cfg.check ? 6 : 1, cfg.check ? (op ? 3 : 1) : 0, health,
                         cfg.check ? 6 : 0, cfg.agent_check ? 6 : 0, b.config().id ? 1 : 0,
                         cfg.id ? 1 : 0, "-", port, "-", cfg.ssl ? 1 : 0,
                         cfg.check_port.value_or(0), "-", "-", cfg.agent_port.value_or(0));
    }
  }
  return out;
}

std::string show_servers_conn(proxy::Runtime& rt, std::string_view only) {
  std::string out = fmt::format(
      "# bkname/svname bkid/svid addr port - purge_delay used_cur used_max need_est unsafe_nb "
      "safe_nb idle_lim idle_cur idle_per_thr[{}]\n", rt.workers.size());
  for (auto& bp : rt.backends()) {
    backend::Backend& b = *bp;
    if (!only.empty() && b.name() != only) continue;
    std::lock_guard lk(b.mutex());
    for (auto& sp : b.servers()) {
      backend::Server& s = *sp;
      std::string addr = net::to_string(s.addr(), false);
      out += fmt::format("{}/{} {}/{} {} {} - 5000 {} {} 0 0 0 -1 0", b.name(), s.name(), b.id(),
                         s.id(), addr.empty() ? "-" : addr,
                         net::port_of(reinterpret_cast<const sockaddr*>(&s.addr())),
                         s.counters.cur_sess.load(), s.counters.max_sess.load());
      for (size_t i = 0; i < rt.workers.size(); ++i) out += " 0";
      out += "\n";
    }
  }
  return out;
}

std::string show_info(proxy::Runtime& rt) {
  const auto& g = rt.config().global;
  auto now = static_cast<uint64_t>(core::wall_seconds());
  uint64_t up = now >= rt.start_wall_s ? now - rt.start_wall_s : 0;
  uint64_t req = 0;
  for (auto& fe : rt.frontends()) req += fe->counters.requests_total.load();
  uint32_t maxconn = rt.maxconn.load();
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  std::string out;
  auto kv = [&](std::string_view k, auto v) { out += fmt::format("{}: {}\n", k, v); };
  kv("Name", "sluice");
  kv("Version", version());
  kv("Release_date", "-");
  kv("Nbthread", std::max<uint32_t>(1, g.nbthread));
  kv("Nbproc", 1);
  kv("Process_num", 1);
  kv("Pid", ::getpid());
  kv("Uptime", fmt::format("{}d {}h{:02}m{:02}s", up / 86400, up / 3600 % 24, up / 60 % 60, up % 60));
  kv("Uptime_sec", up);
  kv("Memmax_MB", 0);
  kv("PoolAlloc_MB", 0);
  kv("PoolUsed_MB", 0);
  kv("PoolFailed", 0);
  kv("Ulimit-n", g.ulimit_n.value_or(0));
  kv("Maxsock", 0);
  kv("Maxconn", maxconn);
  kv("Hard_maxconn", maxconn);
  kv("CurrConns", rt.cur_conns.load());
  kv("CumConns", rt.total_conns.load());
  kv("CumReq", req);
  for (auto k : {"MaxSslConns", "CurrSslConns", "CumSslConns", "Maxpipes", "PipesUsed",
                 "PipesFree", "ConnRate", "ConnRateLimit", "MaxConnRate", "SessRate",
                 "SessRateLimit", "MaxSessRate", "SslRate", "SslRateLimit", "MaxSslRate",
                 "SslFrontendKeyRate", "SslFrontendMaxKeyRate", "SslFrontendSessionReuse_pct",
                 "SslBackendKeyRate", "SslBackendMaxKeyRate", "SslCacheLookups",
                 "SslCacheMisses", "CompressBpsIn", "CompressBpsOut", "CompressBpsRateLim",
                 "Tasks", "Run_queue"})
    kv(k, 0);
  kv("Idle_pct", 100);
  kv("node", g.node.empty() ? std::string(host) : g.node);
  if (!g.description.empty()) kv("description", g.description);
  kv("Stopping", rt.soft_stopping.load() ? 1 : 0);
  kv("Jobs", rt.cur_conns.load() + rt.listeners().size());
  kv("Unstoppable Jobs", 0);
  kv("Listeners", rt.listeners().size());
  for (auto k : {"ActivePeers", "ConnectedPeers", "DroppedLogs", "BusyPolling",
                 "FailedResolutions", "TotalBytesOut", "TotalSplicdedBytesOut", "BytesOutRate",
                 "DebugCommandsIssued", "CumRecvLogs"})
    kv(k, 0);
  kv("Build info", version());
  kv("Start_time_sec", rt.start_wall_s);
  kv("Tainted", 0);
  return out;
}

}  // namespace sluice::admin
