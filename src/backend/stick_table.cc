#include "backend/stick_table.h"

#include <arpa/inet.h>

#include <cstring>

namespace sluice::backend {

StickTable::StickTable(std::string name, const config::StickTableConfig& cfg)
    : name_(std::move(name)), cfg_(cfg) {}

void StickTable::purge_locked(uint64_t now_ms) {
  // Expired entries are dropped lazily from the cold end.
  while (!lru_.empty() && lru_.back().expire_ms != 0 && lru_.back().expire_ms <= now_ms) {
    index_.erase(lru_.back().key);
    lru_.pop_back();
  }
}

std::optional<int> StickTable::lookup(const std::string& key, uint64_t now_ms) {
  std::lock_guard lk(mu_);
  auto it = index_.find(key);
  if (it == index_.end()) return std::nullopt;
  Entry& e = *it->second;
  if (e.expire_ms != 0 && e.expire_ms <= now_ms) {
    lru_.erase(it->second);
    index_.erase(it);
    return std::nullopt;
  }
  if (cfg_.expire) e.expire_ms = now_ms + static_cast<uint64_t>(cfg_.expire->count());
  ++e.use;
  lru_.splice(lru_.begin(), lru_, it->second);
  return e.server_id;
}

void StickTable::store(const std::string& key, int server_id, uint64_t now_ms, bool overwrite) {
  std::lock_guard lk(mu_);
  purge_locked(now_ms);
  uint64_t exp = cfg_.expire ? now_ms + static_cast<uint64_t>(cfg_.expire->count()) : 0;
  auto it = index_.find(key);
  if (it != index_.end()) {
    Entry& e = *it->second;
    if (overwrite || e.server_id == 0) e.server_id = server_id;
    e.expire_ms = exp;
    lru_.splice(lru_.begin(), lru_, it->second);
    return;
  }
  uint64_t cap = cfg_.size ? cfg_.size : 1;
  while (index_.size() >= cap && !lru_.empty()) {
    if (cfg_.nopurge) return;   // full and not allowed to evict: keep the old entries
    index_.erase(lru_.back().key);
    lru_.pop_back();
  }
  lru_.push_front(Entry{key, server_id, exp, 0});
  index_[key] = lru_.begin();
}

void StickTable::restore(const std::string& key, int server_id, uint64_t expire_ms) {
  std::lock_guard lk(mu_);
  if (index_.count(key) != 0 || index_.size() >= (cfg_.size ? cfg_.size : 1)) return;
  lru_.push_back(Entry{key, server_id, expire_ms, 0});   // in dump order: most recent first
  index_[key] = std::prev(lru_.end());
}

void StickTable::clear() {
  std::lock_guard lk(mu_);
  lru_.clear();
  index_.clear();
}

size_t StickTable::size() {
  std::lock_guard lk(mu_);
  return index_.size();
}

std::vector<StickTable::Entry> StickTable::snapshot(uint64_t now_ms) {
  std::lock_guard lk(mu_);
  purge_locked(now_ms);
  return {lru_.begin(), lru_.end()};
}

std::string StickTable::key_text(const std::string& key) const {
  using T = config::StickTableConfig::Type;
  char buf[INET6_ADDRSTRLEN] = "";
  if (cfg_.type == T::Ip && key.size() == 4) {
    inet_ntop(AF_INET, key.data(), buf, sizeof buf);
    return buf;
  }
  if (cfg_.type == T::Ipv6 && key.size() == 16) {
    inet_ntop(AF_INET6, key.data(), buf, sizeof buf);
    return buf;
  }
  if (cfg_.type == T::Integer && key.size() == 8) {
    int64_t v;
    std::memcpy(&v, key.data(), 8);
    return std::to_string(v);
  }
  return key;
}

}  // namespace sluice::backend
