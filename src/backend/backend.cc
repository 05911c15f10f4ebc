#include "backend/backend.h"

#include "core/clock.h"

#include <algorithm>

namespace sluice::backend {

Backend::Backend(const config::ProxyConfig& cfg, uint32_t first_server_index) : cfg_(cfg) {
  if (cfg.id) id_ = *cfg.id;
  fullconn_ = cfg.fullconn.value_or(0);
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

void Backend::refresh_may_queue_locked() {
  bool any = false;
  for (const auto& s : servers_) any = any || s->max_conns() != 0;
  may_queue_.store(any, std::memory_order_relaxed);
}

void Backend::rebuild_locked() {
  refresh_may_queue_locked();
  note_availability_locked();
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

bool Backend::full_locked(const Server& s) const {
  return s.full(counters.cur_sess.load(std::memory_order_relaxed), fullconn_);
}

void Backend::take_locked(Server& s) {
  auto n = s.counters.cur_sess.fetch_add(1, std::memory_order_relaxed) + 1;
  if (n > s.counters.max_sess.load(std::memory_order_relaxed)) s.counters.max_sess.store(n, std::memory_order_relaxed);
  s.counters.sessions_total.fetch_add(1, std::memory_order_relaxed);
  uint64_t now = core::monotonic_ms();
  s.counters.sess_rate.hit(now);
  counters.sess_rate.hit(now);
  s.counters.last_sess_ms.store(now, std::memory_order_relaxed);
  counters.last_sess_ms.store(now, std::memory_order_relaxed);
  auto b = counters.cur_sess.fetch_add(1, std::memory_order_relaxed) + 1;
  if (b > counters.max_sess.load(std::memory_order_relaxed)) counters.max_sess.store(b, std::memory_order_relaxed);
}

Pick Backend::pick(std::string_view cookie_value, std::optional<uint64_t> hash_key,
                   std::span<const lb::Candidate* const> tried, PendingRequest* pending,
                   uint64_t now_ms, Server* sticky) {
  std::lock_guard lk(mu_);
  Pick p;
  auto was_tried = [&](const Server* s) {
    return std::find(tried.begin(), tried.end(), static_cast<const lb::Candidate*>(s)) != tried.end();
  };
  auto done = [&](Server* s, bool by_cookie) {
    take_locked(*s);
    p.result = PickResult::Server;
    p.server = s;
    p.by_cookie = by_cookie;
    p.addr = s->addr();
    p.addr_len = s->addr_len();
    return p;
  };
  // Persistence: the cookie first, then a stick-table entry.
  Server* bound = cookie_value.empty() ? nullptr : find_by_cookie_locked(cookie_value);
  if (bound == nullptr && sticky != nullptr && sticky->usable_for_persistence()) bound = sticky;
  {
    Server* s = bound;
    if (s != nullptr && !was_tried(s)) {
      if (!full_locked(*s)) return done(s, true);
      // Persistent request to a busy server: wait in its own queue, unless that queue is at
      // maxqueue, in which case the request is balanced like a new one.
      uint32_t maxq = s->config().maxqueue;
      if (pending != nullptr && (maxq == 0 || s->queue_len.load(std::memory_order_relaxed) < maxq)) {
        pending->since_ms = now_ms;
        pending->target = s;
        pending->granted = nullptr;
        s->queue.push_back(*pending);
        auto q = s->queue_len.fetch_add(1, std::memory_order_relaxed) + 1;
        if (q > s->queue_max.load(std::memory_order_relaxed)) s->queue_max.store(q, std::memory_order_relaxed);
        queued_total_.fetch_add(1, std::memory_order_relaxed);
        p.result = PickResult::Queued;
        p.by_cookie = true;
        return p;
      }
    }
  }
  // Load balancing, skipping servers at their limit (they are "tried" for this pick).
  std::vector<const lb::Candidate*> skip(tried.begin(), tried.end());
  bool some_full = false;
  for (lb::Algorithm* algo : {active_algo_.get(), backup_algo_.get()}) {
    for (size_t guard = 0; guard <= servers_.size(); ++guard) {
      lb::PickContext ctx{hash_key, skip};
      auto* c = static_cast<Server*>(algo->pick(ctx));
      if (c == nullptr) break;
      if (!full_locked(*c)) return done(c, false);
      some_full = true;
      skip.push_back(c);
    }
    if (some_full) break;   // active servers exist but are busy: queue, do not use backups
  }
  if (some_full && pending != nullptr) {
    pending->since_ms = now_ms;
    pending->target = nullptr;
    pending->granted = nullptr;
    queue_.push_back(*pending);
    auto q = queue_len_.fetch_add(1, std::memory_order_relaxed) + 1;
    if (q > queue_max_.load(std::memory_order_relaxed)) queue_max_.store(q, std::memory_order_relaxed);
    queued_total_.fetch_add(1, std::memory_order_relaxed);
    p.result = PickResult::Queued;
    return p;
  }
  p.result = PickResult::NoServer;
  return p;
}

void Backend::grant_locked(PendingRequest& pr, Server& s) {
  pr.unlink();
  if (pr.target != nullptr) pr.target->queue_len.fetch_sub(1, std::memory_order_relaxed);
  else queue_len_.fetch_sub(1, std::memory_order_relaxed);
  queued_total_.fetch_sub(1, std::memory_order_relaxed);
  take_locked(s);
  pr.granted = &s;
  pr.addr = s.addr();
  pr.addr_len = s.addr_len();
  if (pr.wake) pr.wake();
}

// Hands free slots of `s` to waiting requests, oldest first across its queue and the
// backend queue (backend-queue requests only go to a server that takes new traffic).
void Backend::dequeue_locked(Server& s) {
  while (!full_locked(s) && s.usable_for_persistence()) {
    PendingRequest* mine = s.queue.front();
    PendingRequest* any = s.takes_new_traffic() ? queue_.front() : nullptr;
    PendingRequest* next = mine;
    if (next == nullptr || (any != nullptr && any->since_ms < next->since_ms)) next = any;
    if (next == nullptr) return;
    grant_locked(*next, s);
  }
}

void Backend::release(Server& s) {
  if (s.config().maxconn == 0 && queued_total_.load(std::memory_order_relaxed) == 0) {
    // No limit and nobody waiting: no lock needed on this hot path.
    s.counters.cur_sess.fetch_sub(1, std::memory_order_relaxed);
    counters.cur_sess.fetch_sub(1, std::memory_order_relaxed);
    return;
  }
  std::lock_guard lk(mu_);
  s.counters.cur_sess.fetch_sub(1, std::memory_order_relaxed);
  counters.cur_sess.fetch_sub(1, std::memory_order_relaxed);
  dequeue_locked(s);
  // A lower backend load can lower other servers' dynamic limits, never raise them: nothing
  // else to hand out.
}

bool Backend::cancel(PendingRequest& pr) {
  std::lock_guard lk(mu_);
  if (!pr.linked()) return false;   // granted already
  pr.unlink();
  if (pr.target != nullptr) pr.target->queue_len.fetch_sub(1, std::memory_order_relaxed);
  else queue_len_.fetch_sub(1, std::memory_order_relaxed);
  queued_total_.fetch_sub(1, std::memory_order_relaxed);
  return true;
}

// Backend downtime: from the moment no server is usable until one is again.
void Backend::note_availability_locked() {
  bool up = usable_active() + usable_backup() > 0;
  uint64_t now = core::monotonic_ms();
  if (!up && down_since_ms_ == 0) {
    down_since_ms_ = now;
  } else if (up && down_since_ms_ != 0) {
    downtime_ms_ += now - down_since_ms_;
    down_since_ms_ = 0;
  }
}

void Backend::server_changed_locked(Server& s) {
  note_availability_locked();
  if (s.max_conns() != 0 && !may_queue()) may_queue_.store(true, std::memory_order_relaxed);
  if (s.is_backup()) backup_algo_->on_server_changed(s);
  else active_algo_->on_server_changed(s);
  if (queued_total_.load(std::memory_order_relaxed) == 0) return;
  if (!s.usable_for_persistence()) {
    // Requests waiting for a server that went down or into maintenance are balanced again.
    while (PendingRequest* pr = s.queue.pop_front()) {
      s.queue_len.fetch_sub(1, std::memory_order_relaxed);
      pr->target = nullptr;
      queue_.push_back(*pr);
      queue_len_.fetch_add(1, std::memory_order_relaxed);
    }
    for (auto& o : servers_)
      if (o.get() != &s) dequeue_locked(*o);
    return;
  }
  // A server that came back, or got more room, serves waiting requests first.
  dequeue_locked(s);
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
