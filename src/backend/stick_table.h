// Stick tables: persistence without cookies. A table maps a key (client address, a cookie
// or header value, an integer) to the id of the server that served it, with an expiry.
// `stick on|match|store-request|store-response` rules read and write it.
//
// Threads: any worker; one mutex per table (entries are tiny, operations O(1) on average).
// When the table is full the least recently used entry is evicted, as haproxy does.
#pragma once

#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/model.h"

namespace sluice::backend {

class StickTable {
 public:
  StickTable(std::string name, const config::StickTableConfig& cfg);

  const std::string& name() const { return name_; }
  const config::StickTableConfig& config() const { return cfg_; }

  // Server id stored for `key`, refreshing its expiry; nullopt when absent or expired.
  std::optional<int> lookup(const std::string& key, uint64_t now_ms);
  // Stores key -> server id. An existing entry keeps its server unless `overwrite`.
  void store(const std::string& key, int server_id, uint64_t now_ms, bool overwrite = false);
  // Reload handover: an entry with its absolute expiry (0 = never), as the old process had it.
  void restore(const std::string& key, int server_id, uint64_t expire_ms);
  void clear();
  size_t size();

  struct Entry {
    std::string key;
    int server_id = 0;
    uint64_t expire_ms = 0;   // 0 = never
    uint64_t use = 0;
  };
  // Snapshot for `show table`, most recent first.
  std::vector<Entry> snapshot(uint64_t now_ms);
  // Key as `show table` prints it (dotted IPv4, IPv6 text, decimal, or the string).
  std::string key_text(const std::string& key) const;

 private:
  void purge_locked(uint64_t now_ms);

  std::string name_;
  config::StickTableConfig cfg_;
  std::mutex mu_;
  std::list<Entry> lru_;   // front = most recently used
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
};

}  // namespace sluice::backend
