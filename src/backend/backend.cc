#include "backend/backend.h"

#include <algorithm>

namespace sluice::backend {

Backend::Backend(const config::ProxyConfig& cfg, uint32_t first_server_index) : cfg_(cfg) {
  if (cfg.id) id_ = *cfg.id;
  uint32_t idx = first_server_index;
  for (const auto& sc : cfg_.servers) servers_.push_back(std::make_unique<Server>(*this, sc, idx++));
  int next_id = 1;
  for (auto& s : servers_) {
    if (s->id() == 0) s->set_id(next_id);
    next_id = std::max(next_id, s->id()) + 1;
  }
  rebuild_locked();
}

lb::Kind Backend::kind() const {
  switch (cfg_.balance) {
    case config::Balance::RoundRobin: return lb::Kind::RoundRobin;
    case config::Balance::StaticRR: return lb::Kind::StaticRR;
    case config::Balance::LeastConn: return lb::Kind::LeastConn;
    case config::Balance::First: return lb::Kind::First;
    case config::Balance::Source: return lb::Kind::Source;
    case config::Balance::Uri: return lb::Kind::Uri;
    case config::Balance::UrlParam: return lb::Kind::Uri;
    case config::Balance::Hdr: return lb::Kind::Hdr;
    case config::Balance::Random: return lb::Kind::Random;
  }
  return lb::Kind::RoundRobin;
}

void Backend::rebuild_locked() {
  active_.clear();
  backup_.clear();
  by_cookie_.clear();
  for (auto& s : servers_) {
    (s->is_backup() ? backup_ : active_).push_back(s.get());
    if (!s->cookie().empty()) by_cookie_[s->cookie()].push_back(s.get());
  }
  auto ht = cfg_.hash_type == config::HashType::Consistent ? lb::HashType::Consistent
                                                           : lb::HashType::MapBased;
  if (!active_algo_) {
    active_algo_ = lb::make_algorithm(kind(), ht, active_);
    // Backups: the first usable one, unless `option allbackups` balances over all of them.
    bool all = cfg_.allbackups.value_or(false);
    backup_algo_ = lb::make_algorithm(all ? kind() : lb::Kind::First, ht, backup_);
  } else {
    active_algo_->set_servers(active_);
    backup_algo_->set_servers(backup_);
  }
}

Server* Backend::find_server(std::string_view name) {
  for (auto& s : servers_)
    if (s->name() == name) return s.get();
  return nullptr;
}

Server* Backend::find_by_cookie_locked(std::string_view value) {
  auto it = by_cookie_.find(std::string(value));
  if (it == by_cookie_.end()) return nullptr;
  // An active server first, then a backup sharing its cookie (soft-stop with backups,
  // section 4.2 of the architecture guide).
  for (Server* s : it->second)
    if (!s->is_backup() && s->usable_for_persistence()) return s;
  for (Server* s : it->second)
    if (s->is_backup() && s->usable_for_persistence()) return s;
  // `option persist`: keep sending the client to its server even when it is seen down, as
  // long as it is not in maintenance; a connection failure then redispatches.
  if (cfg_.persist.value_or(false)) {
    for (Server* s : it->second)
      if (s->admin_state() != AdminState::Maint) return s;
  }
  return nullptr;
}

Pick Backend::pick(std::string_view cookie_value, std::optional<uint64_t> hash_key,
                   std::span<const lb::Candidate* const> tried) {
  std::lock_guard lk(mu_);
  Pick p;
  auto was_tried = [&](const Server* s) {
    return std::find(tried.begin(), tried.end(), static_cast<const lb::Candidate*>(s)) != tried.end();
  };
  if (!cookie_value.empty()) {
    Server* s = find_by_cookie_locked(cookie_value);
    if (s != nullptr && !was_tried(s)) {
      p.server = s;
      p.by_cookie = true;
    }
  }
  if (p.server == nullptr) {
    lb::PickContext ctx{hash_key, tried};
    auto* c = active_algo_->pick(ctx);
    if (c == nullptr) c = backup_algo_->pick(ctx);
    p.server = static_cast<Server*>(c);
  }
  if (p.server != nullptr) {
    p.addr = p.server->addr();
    p.addr_len = p.server->addr_len();
  }
  return p;
}

void Backend::server_changed_locked(Server& s) {
  if (s.is_backup()) backup_algo_->on_server_changed(s);
  else active_algo_->on_server_changed(s);
}

Server& Backend::add_server_locked(const config::ServerConfig& cfg, uint32_t global_index) {
  servers_.push_back(std::make_unique<Server>(*this, cfg, global_index));
  Server& s = *servers_.back();
  int max_id = 0;
  for (auto& o : servers_) max_id = std::max(max_id, o->id());
  if (s.id() == 0) s.set_id(max_id + 1);
  rebuild_locked();
  return s;
}

bool Backend::remove_server_locked(Server& s) {
  auto it = std::find_if(servers_.begin(), servers_.end(), [&](auto& p) { return p.get() == &s; });
  if (it == servers_.end()) return false;
  // Keep the object alive until the algorithms forget it.
  std::unique_ptr<Server> keep = std::move(*it);
  servers_.erase(it);
  rebuild_locked();
  return true;
}

uint32_t Backend::usable_active() const {
  uint32_t n = 0;
  for (auto& s : servers_)
    if (!s->is_backup() && s->usable()) ++n;
  return n;
}

uint32_t Backend::usable_backup() const {
  uint32_t n = 0;
  for (auto& s : servers_)
    if (s->is_backup() && s->usable()) ++n;
  return n;
}

}  // namespace sluice::backend
