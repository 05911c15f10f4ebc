#include "lb/round_robin.h"

namespace sluice::lb {

bool RoundRobin::Earlier::operator()(uint32_t a, uint32_t b) const {
  const Slot& x = rr->slots_[a];
  const Slot& y = rr->slots_[b];
  if (x.deadline != y.deadline) return x.deadline < y.deadline;
  return x.seq < y.seq;
}

RoundRobin::RoundRobin(std::span<Candidate* const> servers, Weights mode) : mode_(mode) {
  set_servers(servers);
}

void RoundRobin::set_servers(std::span<Candidate* const> servers) {
  // Servers kept across the change keep their deadline, so nobody gains or loses turns.
  std::vector<Slot> old_slots = std::move(slots_);
  const ServerList old_servers = std::move(servers_);
  servers_.assign(servers);
  slots_.assign(servers_.size(), Slot{});
  for (uint32_t i = 0; i < servers_.size(); ++i) {
    const uint32_t old = old_servers.find(&servers_[i]);
    if (old != ServerList::kNone) slots_[i] = old_slots[old];
  }
  rebuild_heap();
}

void RoundRobin::rebuild_heap() {
  heap_.reset(servers_.size());
  for (uint32_t i = 0; i < servers_.size(); ++i) {
    if (slots_[i].weight > 0) heap_.push(i);
  }
  // Declaration order: new servers are scheduled in order, so the first one wins ties.
  for (uint32_t i = 0; i < servers_.size(); ++i) sync(i);
}

void RoundRobin::on_server_changed(Candidate& server) {
  const uint32_t slot = servers_.find(&server);
  if (slot != ServerList::kNone) sync(slot);
}

bool RoundRobin::stale(uint32_t slot) const {
  const Candidate& c = servers_[slot];
  if (!c.usable() || c.weight() == 0) return true;
  return mode_ == Weights::Dynamic && c.weight() != slots_[slot].weight;
}

void RoundRobin::enter(uint32_t slot, uint32_t weight) {
  // Half a step in: the expected wait of a server that was already in the rotation.
  Slot& s = slots_[slot];
  s.weight = weight;
  s.rem = 0;
  s.deadline = now_ + kSpan / (2 * uint64_t{weight});
  s.seq = ++seq_;
  heap_.push(slot);
}

void RoundRobin::sync(uint32_t slot) {
  const Candidate& c = servers_[slot];
  Slot& s = slots_[slot];
  const bool queued = heap_.contains(slot);
  if (!takes_traffic(c)) {
    if (queued) heap_.erase(slot);
    s.weight = 0;
    return;
  }
  const uint32_t weight = c.weight();
  if (!queued) {
    enter(slot, weight);
    return;
  }
  if (mode_ == Weights::Static || weight == s.weight) return;
  // Keep the server's place: scale what is left of its wait by old/new weight, so a
  // heavier server comes sooner and nobody else moves.
  const uint64_t left = s.deadline > now_ ? s.deadline - now_ : 0;
  s.deadline = now_ + left * s.weight / weight;
  s.weight = weight;
  s.rem = 0;
  heap_.update(slot);
}

void RoundRobin::advance(uint32_t slot) {
  Slot& s = slots_[slot];
  const uint64_t step = kSpan + s.rem;
  s.deadline += step / s.weight;
  s.rem = static_cast<uint32_t>(step % s.weight);
  s.seq = ++seq_;
  heap_.update(slot);
}

Candidate* RoundRobin::pick(const PickContext& ctx) {
  skipped_.clear();
  Candidate* chosen = nullptr;
  while (!heap_.empty()) {
    const uint32_t slot = heap_.top();
    if (stale(slot)) {  // a missed notification: fix it now, never serve a drained server
      sync(slot);
      continue;
    }
    if (was_tried(servers_[slot], ctx.tried)) {
      skipped_.push_back(heap_.pop());
      continue;
    }
    if (slots_[slot].deadline > now_) now_ = slots_[slot].deadline;
    advance(slot);
    chosen = &servers_[slot];
    break;
  }
  // Tried servers keep their (early) deadline: they get the next turns once they work.
  for (const uint32_t slot : skipped_) heap_.push(slot);
  return chosen;
}

}  // namespace sluice::lb
