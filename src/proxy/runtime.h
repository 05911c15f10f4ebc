// The running configuration: frontends, backends and servers built from a config::Config.
// One Runtime per process generation; workers (threads) share it. Config-time objects are
// owned here and referred to by reference or raw pointer elsewhere (STYLE.md section 4).
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "auth/userlist.h"
#include "backend/backend.h"
#include "config/model.h"
#include "core/result.h"
#include "backend/stick_table.h"
#include "core/rate.h"
#include "log/format.h"
#include "proxy/acl.h"
#include "rules/expr.h"
#include "rules/ruleset.h"
#include "proxy/stick.h"
#include "rules/pattern_ref.h"

namespace sluice::log {
class ProxyLog;
}

namespace sluice::proxy {

class Worker;

using FrontendCounters = backend::FrontendCounters;

// The backend's `hash-type ... FUNCTION [avalanche]` for the balancing key.
inline lb::HashSpec hash_spec(const config::ProxyConfig& p) {
  return {static_cast<lb::HashFn>(p.hash_function), p.hash_avalanche};
}

struct UseBackendRule {
  Condition cond;
  backend::Backend* backend = nullptr;
  // `use_backend %[...]`: the name, rendered per request and looked up (HAProxy's dynamic form).
  std::optional<rules::Format> name;
};


class Frontend {
 public:
  explicit Frontend(const config::ProxyConfig& cfg) : cfg_(cfg) {}
  const std::string& name() const { return cfg_.name; }
  const config::ProxyConfig& config() const { return cfg_; }
  bool http() const { return cfg_.mode == config::Mode::Http; }
  int id() const { return id_; }
  void set_id(int id) { id_ = id; }

  backend::Backend* default_backend = nullptr;
  std::vector<UseBackendRule> use_backends;
  rules::ProxyRules rules;                       // its rule sets (a listen's backend ones too)
  std::vector<Condition> monitor_fail;
  std::optional<Condition> stats_admin;          // `stats admin if COND`
  std::map<uint16_t, std::string> error_pages;   // errorfile, errorfiles, errorloc, http-error
  std::atomic<uint32_t> maxconn{0};              // 0 = unlimited
  FrontendCounters counters;
  std::vector<int> listen_fds;                   // owned by the Runtime's listener table
  // Compiled access-log settings, attached by log/ on first use and owned by log/ (alive
  // for the whole process). Only log/ reads or writes it.
  mutable std::atomic<const log::ProxyLog*> access_log{nullptr};
  std::optional<log::LogFormat> log_format;       // log-format / option httplog / tcplog, compiled
  std::optional<rules::Format> unique_id_format;  // unique-id-format, compiled

 private:
  config::ProxyConfig cfg_;
  int id_ = 0;
};

// Effective timeouts with sluice's defaults for those left unset (HAProxy leaves them
// infinite and warns; an unbounded wait is never what an operator wants).
struct EffectiveTimeouts {
  uint64_t connect, client, server, http_request, http_keep_alive, queue, tunnel, client_fin,
      server_fin;
};
EffectiveTimeouts effective_timeouts(const config::Timeouts& fe, const config::Timeouts& be);

// The key under which a listening socket is handed over: the bind's canonical address
// ("0.0.0.0:80", "[::1]:8080", "unix@/run/x.sock"), so "*:80" and "0.0.0.0:80" match.
// Empty for fd@ binds, which are never handed over.
std::string bind_key(const config::Address& addr);

// `balance uri [whole] [len N] [depth N]`: the part of the request target that is hashed
// (up to the '?' unless `whole`, at most `len` characters, at most `depth` directories).
std::string_view uri_hash_input(std::string_view target, const config::ProxyConfig& p);
// `balance url_param NAME`: the value of NAME in the query string; nullopt when absent (the
// balancer then falls back to round robin, as HAProxy does).
std::optional<std::string_view> url_param_value(std::string_view target, std::string_view name);

// `option tcpka|clitcpka|srvtcpka` (SO_KEEPALIVE) and `option nolinger` (SO_LINGER 0: a
// reset instead of a graceful close) on a new connection: `client_side` for an accepted
// one (frontend settings), otherwise a server connection (backend settings).
void apply_socket_options(int fd, const config::ProxyConfig& p, bool client_side);

struct ListenerSpec {
  int fd = -1;
  Frontend* frontend = nullptr;
  config::BindConfig bind;
  std::string description;      // address text for logs and fd handover
};

class Runtime {
 public:
  // The compile step: builds frontends, backends and servers and compiles conditions, rules,
  // error pages and stick rules, without opening any socket. It reports every error found
  // ("file:line: ...", one per line). load_config() runs it for -c and for every start, so
  // once -c passes only the instantiate step (open_listeners, the runtime API sockets) can
  // fail, and only on resources: ports, paths, permissions.
  static Result<std::unique_ptr<Runtime>> build(const config::Config& cfg);
  // The instantiate step: opens the listening sockets. `inherited`: sockets handed over by a previous process or
  // the master, keyed by bind_key(); each one used is removed from the map (the caller
  // closes what is left). Sockets not found there are created.
  Result<void> open_listeners(std::map<std::string, int>& inherited);
  // True when every bind of the configuration has a socket in `inherited`.
  bool all_inherited(const std::map<std::string, int>& inherited) const;
  void close_listeners();
  // Listening sockets by key, for `_getsocks` and the master (closed ones left out).
  std::vector<std::pair<std::string, int>> listener_fds() const;

  const config::Config& config() const { return cfg_; }
  backend::Backend* find_backend(std::string_view name);
  // use_backend rules in order, then default_backend (nullptr when none). A dynamic name that
  // names no backend of the frontend's mode ends the search on default_backend, as in HAProxy.
  backend::Backend* pick_backend(Frontend& f, AclContext& c);
  Frontend* find_frontend(std::string_view name);
  std::vector<std::unique_ptr<Frontend>>& frontends() { return frontends_; }
  std::vector<std::unique_ptr<backend::Backend>>& backends() { return backends_; }
  std::vector<ListenerSpec>& listeners() { return listeners_; }
  uint32_t allocate_server_index() { return next_server_index_++; }
  // Stick tables (one per proxy with a `stick-table` line, named after it) and each
  // backend's compiled stick rules (absent when it has none).
  std::vector<std::unique_ptr<backend::StickTable>>& stick_tables() { return tables_; }
  backend::StickTable* find_table(std::string_view name);
  // The rule sets of a backend section (a listen's are on its frontend).
  const rules::ProxyRules* backend_rules(const backend::Backend* be) const {
    auto it = backend_rules_.find(be);
    return it == backend_rules_.end() ? nullptr : &it->second;
  }
  const StickRules* stick_rules(const backend::Backend* be) const {
    auto it = stick_rules_.find(be);
    return it == stick_rules_.end() ? nullptr : &it->second;
  }
  uint32_t server_index_limit() const { return next_server_index_; }
  // Map and ACL pattern references (`-f` files, map converters, inline ACL patterns), shared
  // by the rule engine and the runtime API's map/acl commands.
  rules::PatternRefs& pattern_refs() { return pattern_refs_; }
  // A `userlist` by name (nullptr when none), for http_auth(L), http_auth_group(L).
  const auth::Userlist* find_userlist(std::string_view name) const;
  // The page an error answer uses, as HAProxy picks it: the backend's own (once one is
  // chosen), else the frontend's, else the built-in page. Empty view for an empty errorfile
  // (close without answering); nullopt for a code with no page at all.
  std::optional<std::string_view> error_page(const Frontend& fe, const backend::Backend* be, uint16_t status) const;

  // Workers of this process, registered by app/ before they run. post_all() runs `fn` on
  // each worker's own thread (e.g. to close the sessions of a server marked down).
  std::vector<Worker*> workers;
  void post_all(std::function<void(Worker&)> fn);

  std::atomic<uint32_t> cur_conns{0};
  std::atomic<uint32_t> max_conns_seen{0};
  std::atomic<uint64_t> total_conns{0};
  std::atomic<uint32_t> maxconn{0};   // global maxconn, 0 = unlimited
  uint64_t maxsock = 0;               // descriptors maxconn needs (app/limits.h); set before serving
  std::atomic<bool> soft_stopping{false};
  uint64_t start_wall_s = 0;

 private:
  void compile_frontend(Frontend& f, std::vector<std::string>& errors);

  config::Config cfg_;
  std::vector<std::unique_ptr<Frontend>> frontends_;
  std::vector<std::unique_ptr<backend::Backend>> backends_;
  std::vector<ListenerSpec> listeners_;
  std::vector<std::unique_ptr<backend::StickTable>> tables_;
  std::unordered_map<const backend::Backend*, StickRules> stick_rules_;
  std::unordered_map<const backend::Backend*, rules::ProxyRules> backend_rules_;
  std::unordered_map<const backend::Backend*, std::map<uint16_t, std::string>> backend_error_pages_;
  std::vector<std::unique_ptr<auth::Userlist>> userlists_;
  std::atomic<uint32_t> next_server_index_{0};
  rules::PatternRefs pattern_refs_;
  std::unordered_map<std::string_view, backend::Backend*> backend_by_name_;   // views into the backends' names
};

}  // namespace sluice::proxy
