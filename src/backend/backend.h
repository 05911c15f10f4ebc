// A backend: its servers, its balancing algorithms (one for active servers, one for backups)
// and the server choice: persistence first, then load balancing, then backups.
//
// Threads: pick() and every state change take mutex(); it is held for a few hundred
// nanoseconds at most and uncontended with nbthread 1.
#pragma once

#include <sys/socket.h>

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "backend/server.h"
#include "core/rate.h"
#include "config/model.h"
#include "lb/algorithm.h"

namespace sluice::backend {

struct BackendCounters {
  core::RateCounter sess_rate;
  std::atomic<uint64_t> sessions_total{0};
  std::atomic<uint32_t> cur_sess{0}, max_sess{0};
  std::atomic<uint64_t> bytes_in{0}, bytes_out{0};
  std::atomic<uint64_t> connect_errors{0}, response_errors{0}, retries{0}, redispatches{0},
      denied{0}, denied_resp{0};
  std::atomic<uint64_t> http_1xx{0}, http_2xx{0}, http_3xx{0}, http_4xx{0}, http_5xx{0},
      http_other{0};
  std::atomic<uint64_t> no_server{0};
  std::atomic<uint64_t> queue_timeouts{0};
  std::atomic<uint64_t> last_sess_ms{0};   // monotonic ms of the last session (lastsess)
  TxTimes times;
};

// A frontend's counters (here, below proxy/, so that rule fetches such as fe_conn read them).
struct FrontendCounters {
  core::RateCounter sess_rate, req_rate;
  std::atomic<uint64_t> conns_total{0}, sessions_total{0}, requests_total{0};
  std::atomic<uint32_t> cur_conns{0}, max_conns{0};
  std::atomic<uint64_t> bytes_in{0}, bytes_out{0};
  std::atomic<uint64_t> denied{0}, denied_resp{0}, req_errors{0}, intercepted{0};
  std::atomic<uint64_t> denied_conn{0}, denied_sess{0};   // tcp-request connection / session rejects
  std::atomic<uint64_t> http_1xx{0}, http_2xx{0}, http_3xx{0}, http_4xx{0}, http_5xx{0},
      http_other{0};
};

enum class PickResult : uint8_t { Server, Queued, NoServer };

// What pick() decided, with the address copied under the lock. With PickResult::Server the
// caller holds one connection slot of `server` and must give it back with release().
struct Pick {
  PickResult result = PickResult::NoServer;
  Server* server = nullptr;
  sockaddr_storage addr{};
  socklen_t addr_len = 0;
  bool by_cookie = false;       // persistence decided it
  bool redispatched = false;
};

class Backend {
 public:
  Backend(const config::ProxyConfig& cfg, uint32_t first_server_index);
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;

  const std::string& name() const { return cfg_.name; }
  const config::ProxyConfig& config() const { return cfg_; }
  int id() const { return id_; }
  void set_id(int id) { id_ = id; }
  std::mutex& mutex() { return mu_; }

  std::vector<std::unique_ptr<Server>>& servers() { return servers_; }
  Server* find_server(std::string_view name);

  // Server for a request. `cookie_value` (may be empty) is the persistence cookie's value;
  // `hash_key` feeds hash algorithms; `tried` are servers already failed for this request.
  // Returns server == nullptr when nothing is usable (caller answers 503 or uses dispatch).
  // When every candidate is at its connection limit and `pending` is given, the request is
  // queued (PickResult::Queued) and `pending->wake` runs later, under the lock, once a
  // slot is granted (pending->granted set, the slot already taken).
  Pick pick(std::string_view cookie_value, std::optional<uint64_t> hash_key,
            std::span<const lb::Candidate* const> tried, PendingRequest* pending = nullptr,
            uint64_t now_ms = 0, Server* sticky = nullptr);
  // Gives back a slot taken by pick() or a grant; a waiting request may get it.
  void release(Server& s);
  // Removes a waiting request. Returns false when it was already granted: the caller then
  // owns a slot on pending.granted (and must release it if it does not use it).
  bool cancel(PendingRequest& pending);
  // True when some server has a connection limit, so a request may have to wait.
  bool may_queue() const { return may_queue_.load(std::memory_order_relaxed); }
  uint32_t queue_len() const { return queue_len_.load(std::memory_order_relaxed); }
  uint32_t queue_max() const { return queue_max_.load(std::memory_order_relaxed); }
  uint32_t fullconn() const { return fullconn_; }
  void set_fullconn(uint32_t n) { fullconn_ = n; }
  // Server that holds the cookie value, honouring `option persist`; nullptr if none applies.
  Server* find_by_cookie_locked(std::string_view value);

  // After any change to a server's state or weight (mutex held).
  void server_changed_locked(Server& s);
  // Runtime API: add or remove a server (mutex held).
  Server& add_server_locked(const config::ServerConfig& cfg, uint32_t global_index);
  bool remove_server_locked(Server& s);

  // Usable servers now (for `show stat`, logs: "N active and M backup servers left").
  uint32_t usable_active() const;
  uint32_t usable_backup() const;
  // Seconds the backend spent with no usable server, the current outage included
  // (`downtime` in show stat). Mutex held.
  uint64_t downtime_s_locked(uint64_t now_ms) const {
    uint64_t d = downtime_ms_ + (down_since_ms_ && now_ms > down_since_ms_ ? now_ms - down_since_ms_ : 0);
    return d / 1000;
  }

  BackendCounters counters;

 private:
  void rebuild_locked();
  void note_availability_locked();
  void refresh_may_queue_locked();
  lb::Kind kind() const;
  bool full_locked(const Server& s) const;
  void take_locked(Server& s);
  void dequeue_locked(Server& s);
  void grant_locked(PendingRequest& p, Server& s);

  config::ProxyConfig cfg_;
  int id_ = 0;
  std::mutex mu_;
  std::vector<std::unique_ptr<Server>> servers_;
  std::vector<lb::Candidate*> active_, backup_;
  std::unique_ptr<lb::Algorithm> active_algo_, backup_algo_;
  std::unordered_map<std::string, std::vector<Server*>> by_cookie_;
  RequestQueue queue_;                       // requests that may go to any server
  std::atomic<uint32_t> queue_len_{0}, queue_max_{0};
  std::atomic<uint32_t> queued_total_{0};    // waiting in this backend and its servers
  uint32_t fullconn_ = 0;
  std::atomic<bool> may_queue_{false};   // some server has a maxconn (refreshed under mu_)
  uint64_t downtime_ms_ = 0, down_since_ms_ = 0;   // no usable server since (0: has one)
};

}  // namespace sluice::backend
