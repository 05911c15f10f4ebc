#include "lb/random.h"

#include <bit>

namespace sluice::lb {

void Random::set_servers(std::span<Candidate* const> servers) {
  servers_.assign(servers);
  weight_.assign(servers_.size(), 0);
  tree_.assign(servers_.size() + 1, 0);
  total_ = 0;
  for (uint32_t i = 0; i < servers_.size(); ++i) sync(i);
}

void Random::on_server_changed(Candidate& server) {
  const uint32_t slot = servers_.find(&server);
  if (slot != ServerList::kNone) sync(slot);
}

void Random::sync(uint32_t slot) {
  const Candidate& c = servers_[slot];
  const uint32_t w = takes_traffic(c) ? c.weight() : 0;
  const int64_t delta = int64_t{w} - int64_t{weight_[slot]};
  if (delta == 0) return;
  weight_[slot] = w;
  total_ = static_cast<uint64_t>(static_cast<int64_t>(total_) + delta);
  for (size_t i = slot + 1; i < tree_.size(); i += i & (~i + 1)) {
    tree_[i] = static_cast<uint64_t>(static_cast<int64_t>(tree_[i]) + delta);
  }
}

uint32_t Random::find(uint64_t r) const {
  // Fenwick descent: the largest prefix whose sum is <= r is the slot before ours.
  size_t pos = 0;
  for (size_t step = std::bit_floor(tree_.size() - 1); step > 0; step >>= 1) {
    if (pos + step < tree_.size() && tree_[pos + step] <= r) {
      pos += step;
      r -= tree_[pos];
    }
  }
  return static_cast<uint32_t>(pos);
}

Candidate* Random::pick(const PickContext& ctx) {
  constexpr int kDraws = 4;
  for (int draw = 0; draw < kDraws && total_ > 0; ++draw) {
    const uint32_t slot = find(rng_.below(total_));
    Candidate& c = servers_[slot];
    if (!takes_traffic(c) || c.weight() != weight_[slot]) {  // missed notification
      sync(slot);
      continue;
    }
    if (!was_tried(c, ctx.tried)) return &c;
  }
  return scan(ctx);
}

Candidate* Random::scan(const PickContext& ctx) {
  uint64_t total = 0;
  for (uint32_t i = 0; i < servers_.size(); ++i) {
    if (pickable(servers_[i], ctx.tried)) total += servers_[i].weight();
  }
  if (total == 0) return nullptr;
  uint64_t r = rng_.below(total);
  for (uint32_t i = 0; i < servers_.size(); ++i) {
    Candidate& c = servers_[i];
    if (!pickable(c, ctx.tried)) continue;
    if (r < c.weight()) return &c;
    r -= c.weight();
  }
  return nullptr;  // only if a weight changed during the scan
}

}  // namespace sluice::lb
