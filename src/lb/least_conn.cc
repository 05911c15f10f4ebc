#include "lb/least_conn.h"

namespace sluice::lb {

bool LeastConn::LessLoaded::operator()(uint32_t a, uint32_t b) const {
  const Slot& x = lc->slots_[a];
  const Slot& y = lc->slots_[b];
  // (cx + 1) / wx < (cy + 1) / wy, exactly: both sides fit in 64 bits.
  const uint64_t lx = (uint64_t{x.conns} + 1) * y.weight;
  const uint64_t ly = (uint64_t{y.conns} + 1) * x.weight;
  if (lx != ly) return lx < ly;
  return x.seq < y.seq;
}

LeastConn::LeastConn(std::span<Candidate* const> servers) { set_servers(servers); }

void LeastConn::set_servers(std::span<Candidate* const> servers) {
  std::vector<Slot> old_slots = std::move(slots_);
  const ServerList old_servers = std::move(servers_);
  servers_.assign(servers);
  slots_.assign(servers_.size(), Slot{});
  heap_.reset(servers_.size());
  for (uint32_t i = 0; i < servers_.size(); ++i) {
    const uint32_t old = old_servers.find(&servers_[i]);
    slots_[i].seq = old != ServerList::kNone ? old_slots[old].seq : ++seq_;
    sync(i);
  }
}

void LeastConn::on_server_changed(Candidate& server) {
  const uint32_t slot = servers_.find(&server);
  if (slot != ServerList::kNone) sync(slot);
}

bool LeastConn::stale(uint32_t slot) const {
  const Candidate& c = servers_[slot];
  const Slot& s = slots_[slot];
  return !c.usable() || c.weight() != s.weight || c.active_conns() != s.conns;
}

void LeastConn::sync(uint32_t slot) {
  const Candidate& c = servers_[slot];
  Slot& s = slots_[slot];
  const bool queued = heap_.contains(slot);
  if (!takes_traffic(c)) {
    if (queued) heap_.erase(slot);
    s.weight = 0;
    return;
  }
  s.weight = c.weight();
  s.conns = c.active_conns();
  if (queued) {
    heap_.update(slot);
  } else {
    heap_.push(slot);
  }
}

Candidate* LeastConn::pick(const PickContext& ctx) {
  skipped_.clear();
  Candidate* chosen = nullptr;
  while (!heap_.empty()) {
    const uint32_t slot = heap_.top();
    if (stale(slot)) {
      sync(slot);
      continue;
    }
    if (was_tried(servers_[slot], ctx.tried)) {
      skipped_.push_back(heap_.pop());
      continue;
    }
    slots_[slot].seq = ++seq_;  // behind its equals: ties rotate
    heap_.update(slot);
    chosen = &servers_[slot];
    break;
  }
  for (const uint32_t slot : skipped_) heap_.push(slot);
  return chosen;
}

}  // namespace sluice::lb
