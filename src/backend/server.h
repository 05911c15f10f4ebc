// A server of a backend: its configuration, its live state (administrative and operational,
// kept apart as HAProxy does) and its counters. It is the lb::Candidate the algorithms see.
//
//   operational:  DOWN <--(rise good checks)--> UP <--(404 with disable-on-404)--> NOLB
//   administrative: READY | DRAIN | MAINT (set by config `disabled`, the runtime API, agents)
//
// A server takes new load-balanced traffic only when UP, READY and weight > 0. It still takes
// persistent traffic (cookie, stick table) when UP or NOLB and READY or DRAIN.
//
// Threads: state and weights change on the admin thread under Backend::mutex(); counters are
// relaxed atomics touched by every worker.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <string>

#include "backend/queue.h"
#include "backend/tx_times.h"
#include "config/model.h"
#include "core/rate.h"
#include "lb/algorithm.h"

namespace sluice::check {
class ServerChecks;
}

namespace sluice::backend {

class Backend;

enum class AdminState : uint8_t { Ready, Drain, Maint };
enum class OpState : uint8_t { Down, Up, Nolb };

std::string_view to_string(AdminState s);
std::string_view to_string(OpState s);

// Result of the last health check, named as HAProxy's `show stat` check_status column.
enum class CheckStatus : uint8_t { None, Ini, L4Ok, L4Tout, L4Con, L6Ok, L6Tout, L6Rsp, L7Ok,
                                   L7Okc, L7Tout, L7Rsp, L7Sts, SockErr };
std::string_view to_string(CheckStatus s);     // "L4CON", "L7OK", ... ("" for None)
std::string_view describe(CheckStatus s);      // "Layer4 connection problem", ...

// What the checks last saw, for `show stat` / `show servers state`. Written by the check's
// loop, read by any thread (relaxed atomics; the fields may be momentarily inconsistent).
struct CheckInfo {
  std::atomic<CheckStatus> status{CheckStatus::None};
  std::atomic<int32_t> code{0};               // HTTP status of the last L7 check, 0 if none
  std::atomic<int64_t> duration_ms{-1};
  std::atomic<uint32_t> health{0};            // HAProxy's check->health: 0..rise+fall-1
  std::atomic<CheckStatus> agent_status{CheckStatus::None};
  std::atomic<uint32_t> consecutive_errors{0};   // `observe`: failed live responses in a row
};

struct ServerCounters {
  core::RateCounter sess_rate;
  std::atomic<uint64_t> sessions_total{0};
  std::atomic<uint32_t> cur_sess{0};      // sessions currently using the server
  std::atomic<uint32_t> max_sess{0};
  std::atomic<uint64_t> bytes_in{0}, bytes_out{0};
  std::atomic<uint64_t> connect_errors{0}, response_errors{0}, retries{0}, redispatches{0};
  std::atomic<uint64_t> http_1xx{0}, http_2xx{0}, http_3xx{0}, http_4xx{0}, http_5xx{0},
      http_other{0};
  std::atomic<uint64_t> failed_checks{0}, down_transitions{0};
  std::atomic<uint64_t> last_sess_ms{0};   // monotonic ms of the last session (lastsess)
  TxTimes times;
};

class Server final : public lb::Candidate {
 public:
  Server(Backend& backend, const config::ServerConfig& cfg, uint32_t global_index);
  virtual ~Server() = default;
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // lb::Candidate
  std::string_view name() const override { return name_; }
  uint32_t weight() const override;
  uint32_t active_conns() const override { return counters.cur_sess.load(std::memory_order_relaxed); }
  uint32_t max_conns() const override { return cfg_.maxconn; }
  // Current connection limit: maxconn, made dynamic by minconn + the backend's fullconn
  // (haproxy's formula), 0 = unlimited. Called under Backend::mutex().
  uint32_t conn_limit(uint32_t backend_conns, uint32_t fullconn) const;
  bool full(uint32_t backend_conns, uint32_t fullconn) const {
    uint32_t lim = conn_limit(backend_conns, fullconn);
    return lim != 0 && active_conns() >= lim;
  }
  bool usable() const override;

  Backend& backend() const { return backend_; }
  const config::ServerConfig& config() const { return cfg_; }
  uint32_t index() const { return index_; }   // process-wide, for per-thread tables
  int id() const { return id_; }
  void set_id(int id) { id_ = id; }
  bool is_backup() const { return cfg_.backup; }
  const std::string& cookie() const { return cookie_; }

  // Address used for new connections. Guarded by Backend::mutex() for writers; readers copy
  // it under the same lock when they pick the server.
  const sockaddr_storage& addr() const { return addr_; }
  socklen_t addr_len() const { return addr_len_; }
  void set_addr(const sockaddr_storage& ss);
  bool port_from_client() const { return cfg_.addr.port == 0 || cfg_.addr.port_offset; }

  AdminState admin_state() const { return admin_; }
  OpState op_state() const { return op_; }
  uint32_t user_weight() const { return uweight_; }
  // The following are called with Backend::mutex() held, by the admin API and the checks.
  void set_admin_state(AdminState s);
  void set_op_state(OpState s);
  void set_user_weight(uint32_t w);
  void set_maxconn(uint32_t n) { cfg_.maxconn = n; }   // runtime API `set maxconn server`
  void set_slowstart_factor(double f);   // (0,1]; 1 when no ramp in progress

  // Usable for a request that is already bound to this server (cookie, stick table).
  bool usable_for_persistence() const {
    return admin_ != AdminState::Maint && op_ != OpState::Down;
  }
  // Can take new load-balanced traffic.
  bool takes_new_traffic() const { return usable() && weight() > 0; }

  ServerCounters counters;
  // Seconds spent DOWN so far, the current outage included (`downtime` in show stat).
  uint64_t downtime_s(uint64_t now_ms) const {
    uint64_t d = downtime_ms_.load(std::memory_order_relaxed);
    uint64_t since = down_since_ms_.load(std::memory_order_relaxed);
    if (since != 0 && now_ms > since) d += now_ms - since;
    return d / 1000;
  }
  RequestQueue queue;                 // requests bound to this server, waiting for a slot
  std::atomic<uint32_t> queue_len{0}, queue_max{0};
  CheckInfo check_info;
  uint64_t last_change_s = 0;   // wall clock of the last state change
  // Set by check::start() / attach_server() (null: no check, agent nor slowstart), nulled by
  // check::detach_server() before `del server` destroys the server; both under the backend
  // mutex. Owned by the check module.
  check::ServerChecks* checks = nullptr;
  // Runtime API `disable health|agent`: probes pause, the current state is kept.
  std::atomic<bool> health_check_disabled{false}, agent_check_disabled{false};

 private:
  Backend& backend_;
  config::ServerConfig cfg_;
  std::string name_;
  std::string cookie_;
  uint32_t index_;
  int id_ = 0;
  sockaddr_storage addr_{};
  socklen_t addr_len_ = 0;
  AdminState admin_ = AdminState::Ready;
  OpState op_ = OpState::Up;
  uint32_t uweight_ = 1;
  double slowstart_factor_ = 1.0;
  std::atomic<uint64_t> downtime_ms_{0}, down_since_ms_{0};
};

}  // namespace sluice::backend
