// Output formats of the `show` commands, column for column as HAProxy prints them, so that
// scripts written for haproxy parse sluice unchanged.
#include <sys/resource.h>
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
#include "log/sink.h"
#include "stats/stat_rows.h"

namespace sluice::admin {

namespace {

using stats::kStatColumns;
using stats::StatRow;

std::vector<StatRow> stat_rows(proxy::Runtime& rt, Level level) {
  return stats::stat_rows(rt, level == Level::User);
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
  return stats::stat_csv(stat_rows(rt, level));
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
  rlimit nofile{};
  ::getrlimit(RLIMIT_NOFILE, &nofile);
  kv("Ulimit-n", nofile.rlim_cur == RLIM_INFINITY ? 0 : nofile.rlim_cur);   // the limit in force
  kv("Maxsock", rt.maxsock);
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
  for (auto k : {"ActivePeers", "ConnectedPeers"}) kv(k, 0);
  kv("DroppedLogs", log::dropped_lines());
  for (auto k : {"BusyPolling",
                 "FailedResolutions", "TotalBytesOut", "TotalSplicdedBytesOut", "BytesOutRate",
                 "DebugCommandsIssued", "CumRecvLogs"})
    kv(k, 0);
  kv("Build info", version());
  kv("Start_time_sec", rt.start_wall_s);
  kv("Tainted", 0);
  return out;
}

}  // namespace sluice::admin
