// Helpers shared by the algorithms: eligibility checks and a Candidate -> slot index.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "lb/algorithm.h"

namespace sluice::lb {

// May take new load-balanced traffic at all.
inline bool takes_traffic(const Candidate& c) { return c.usable() && c.weight() > 0; }

inline bool was_tried(const Candidate& c, std::span<const Candidate* const> tried) {
  return std::ranges::find(tried, &c) != tried.end();
}

inline bool pickable(const Candidate& c, std::span<const Candidate* const> tried) {
  return takes_traffic(c) && !was_tried(c, tried);
}

// The servers of a group in declaration order, with O(1) lookup of a Candidate's slot.
class ServerList {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  void assign(std::span<Candidate* const> servers) {
    servers_.assign(servers.begin(), servers.end());
    slot_of_.clear();
    slot_of_.reserve(servers_.size());
    for (uint32_t i = 0; i < servers_.size(); ++i) slot_of_.emplace(servers_[i], i);
  }
  uint32_t find(const Candidate* c) const {
    const auto it = slot_of_.find(c);
    return it == slot_of_.end() ? kNone : it->second;
  }
  uint32_t size() const { return static_cast<uint32_t>(servers_.size()); }
  Candidate& operator[](uint32_t slot) const { return *servers_[slot]; }

 private:
  std::vector<Candidate*> servers_;
  std::unordered_map<const Candidate*, uint32_t> slot_of_;
};

}  // namespace sluice::lb
