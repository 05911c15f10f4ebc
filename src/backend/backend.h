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
#include "config/model.h"
#include "lb/algorithm.h"

namespace sluice::backend {

struct BackendCounters {
  std::atomic<uint64_t> sessions_total{0};
  std::atomic<uint32_t> cur_sess{0}, max_sess{0};
  std::atomic<uint64_t> bytes_in{0}, bytes_out{0};
  std::atomic<uint64_t> connect_errors{0}, response_errors{0}, retries{0}, redispatches{0},
      denied{0};
  std::atomic<uint64_t> http_1xx{0}, http_2xx{0}, http_3xx{0}, http_4xx{0}, http_5xx{0},
      http_other{0};
  std::atomic<uint64_t> no_server{0};
};

// What pick() decided, with the address copied under the lock.
struct Pick {
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
  Pick pick(std::string_view cookie_value, std::optional<uint64_t> hash_key,
            std::span<const lb::Candidate* const> tried);
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

  BackendCounters counters;

 private:
  void rebuild_locked();
  lb::Kind kind() const;

  config::ProxyConfig cfg_;
  int id_ = 0;
  std::mutex mu_;
  std::vector<std::unique_ptr<Server>> servers_;
  std::vector<lb::Candidate*> active_, backup_;
  std::unique_ptr<lb::Algorithm> active_algo_, backup_algo_;
  std::unordered_map<std::string, std::vector<Server*>> by_cookie_;
};

}  // namespace sluice::backend
