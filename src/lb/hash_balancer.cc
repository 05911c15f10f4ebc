#include "lb/hash_balancer.h"

#include <algorithm>
#include <queue>

namespace sluice::lb {
namespace {

// One smooth-round-robin cycle over `weights` (0 = absent): every slot index appears
// weight times, spread out. Same schedule as RoundRobin, computed once.
std::vector<uint32_t> interleave(std::span<const uint32_t> weights) {
  struct Turn {
    uint64_t deadline;
    uint32_t slot;
    uint32_t done;
    bool operator>(const Turn& o) const {
      return deadline != o.deadline ? deadline > o.deadline : slot > o.slot;
    }
  };
  constexpr uint64_t kSpan = RoundRobin::kSpan;
  std::priority_queue<Turn, std::vector<Turn>, std::greater<>> turns;
  uint64_t total = 0;
  for (uint32_t i = 0; i < weights.size(); ++i) {
    if (weights[i] == 0) continue;
    total += weights[i];
    turns.push({kSpan / (2 * uint64_t{weights[i]}), i, 0});
  }
  std::vector<uint32_t> out;
  out.reserve(total);
  while (!turns.empty()) {
    Turn t = turns.top();
    turns.pop();
    out.push_back(t.slot);
    const uint64_t w = weights[t.slot];
    if (++t.done == w) continue;
    // (2k+1) * kSpan / 2w, computed from scratch: exact, no drift.
    t.deadline = (2 * uint64_t{t.done} + 1) * kSpan / (2 * w);
    turns.push(t);
  }
  return out;
}

// Ring points of a server: kPointsPerWeight per user weight unit, in proportion to its
// effective (scaled) weight, so a slowstart ramp moves keys gradually.
uint32_t points(uint32_t scaled_weight) {
  return static_cast<uint32_t>((uint64_t{scaled_weight} * ConsistentHash::kPointsPerWeight + kWeightScale - 1) /
                               kWeightScale);
}

uint64_t point_pos(uint64_t name_hash, uint32_t i) {
  return mix64(name_hash ^ mix64(uint64_t{i} + 1));
}

}  // namespace

// ---- MapHash

MapHash::MapHash(std::span<Candidate* const> servers) : fallback_(servers) {
  set_servers(servers);
}

void MapHash::set_servers(std::span<Candidate* const> servers) {
  servers_.assign(servers);
  weight_.assign(servers_.size(), 0);
  for (uint32_t i = 0; i < servers_.size(); ++i) {
    if (takes_traffic(servers_[i])) weight_[i] = user_units(servers_[i].weight());
  }
  fallback_.set_servers(servers);
  rebuild();
}

void MapHash::rebuild() { table_ = interleave(weight_); }

void MapHash::on_server_changed(Candidate& server) {
  fallback_.on_server_changed(server);
  const uint32_t slot = servers_.find(&server);
  if (slot == ServerList::kNone) return;
  const bool in = weight_[slot] > 0;
  if (in == takes_traffic(server)) return;  // static: only entering or leaving counts
  weight_[slot] = in ? 0 : user_units(server.weight());
  rebuild();
}

Candidate* MapHash::pick(const PickContext& ctx) {
  if (!ctx.hash_key) return fallback_.pick(ctx);
  const size_t n = table_.size();
  if (n == 0) return nullptr;
  const size_t start = mix64(*ctx.hash_key) % n;
  for (size_t i = 0; i < n; ++i) {
    Candidate& c = servers_[table_[(start + i) % n]];
    if (pickable(c, ctx.tried)) return &c;
  }
  return nullptr;
}

// ---- ConsistentHash

ConsistentHash::ConsistentHash(std::span<Candidate* const> servers) : fallback_(servers) {
  set_servers(servers);
}

void ConsistentHash::set_servers(std::span<Candidate* const> servers) {
  servers_.assign(servers);
  weight_.assign(servers_.size(), 0);
  ring_.clear();
  for (uint32_t i = 0; i < servers_.size(); ++i) {
    if (!takes_traffic(servers_[i])) continue;
    weight_[i] = servers_[i].weight();
    const uint64_t name_hash = hash_bytes(servers_[i].name());
    for (uint32_t p = 0; p < points(weight_[i]); ++p) {
      ring_.push_back({point_pos(name_hash, p), i});
    }
  }
  std::sort(ring_.begin(), ring_.end());
  fallback_.set_servers(servers);
}

void ConsistentHash::on_server_changed(Candidate& server) {
  fallback_.on_server_changed(server);
  const uint32_t slot = servers_.find(&server);
  if (slot != ServerList::kNone) sync(slot);
}

void ConsistentHash::sync(uint32_t slot) {
  const Candidate& c = servers_[slot];
  const uint32_t want = takes_traffic(c) ? c.weight() : 0;
  if (want == weight_[slot]) return;
  // O(P): drop this server's points, then merge in the new sorted ones. Point i of a
  // server is the same whatever its weight, so a weight change moves few keys.
  std::erase_if(ring_, [slot](const Point& p) { return p.slot == slot; });
  weight_[slot] = want;
  const auto mid = static_cast<std::ptrdiff_t>(ring_.size());
  const uint64_t name_hash = hash_bytes(c.name());
  for (uint32_t p = 0; p < points(want); ++p) {
    ring_.push_back({point_pos(name_hash, p), slot});
  }
  std::sort(ring_.begin() + mid, ring_.end());
  std::inplace_merge(ring_.begin(), ring_.begin() + mid, ring_.end());
}

Candidate* ConsistentHash::pick(const PickContext& ctx) {
  if (!ctx.hash_key) return fallback_.pick(ctx);
  const size_t n = ring_.size();
  if (n == 0) return nullptr;
  const uint64_t pos = mix64(*ctx.hash_key);
  const auto it = std::lower_bound(ring_.begin(), ring_.end(), Point{pos, 0});
  const size_t start = static_cast<size_t>(it - ring_.begin());
  for (size_t i = 0; i < n; ++i) {
    Candidate& c = servers_[ring_[(start + i) % n].slot];
    if (pickable(c, ctx.tried)) return &c;
  }
  return nullptr;
}

}  // namespace sluice::lb
