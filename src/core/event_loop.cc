#include "core/event_loop.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/assert.h"
#include "core/clock.h"

namespace sluice::core {

class EventLoop::Waker : public IoHandler {
 public:
  explicit Waker(EventLoop& loop) : loop_(loop) {}
  void on_io(uint32_t) override {
    uint64_t v;
    while (::read(loop_.wakefd_, &v, sizeof v) > 0) {
    }
    loop_.drain_posted();
  }

 private:
  EventLoop& loop_;
};

Timer::~Timer() { disarm(); }

void Timer::disarm() {
  if (linked()) {
    unlink();
    --loop_->timer_count_;
  }
}

void Timer::arm(EventLoop& loop, uint64_t deadline_ms) {
  if (linked()) {
    if (deadline_ == deadline_ms && loop_ == &loop) return;
    disarm();
  }
  loop_ = &loop;
  deadline_ = deadline_ms;
  loop.schedule(*this);
}

void Timer::arm_soon(EventLoop& loop) {
  disarm();
  loop_ = &loop;
  deadline_ = loop.now();
  loop.soon_.push_back(*this);
  ++loop.timer_count_;
}

EventLoop::EventLoop()
    : wheel_(kWheelSlots), waker_(nullptr, [](IoHandler* h) { delete static_cast<Waker*>(h); }) {
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  SLUICE_CHECK(epfd_ >= 0, "epoll_create1 failed");
  wakefd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  SLUICE_CHECK(wakefd_ >= 0, "eventfd failed");
  now_ = monotonic_ms();
  wheel_tick_ = now_;
  waker_.reset(new Waker(*this));
  add(wakefd_, EPOLLIN, waker_.get());
}

EventLoop::~EventLoop() {
  drain_posted();
  free_deferred();
  for (auto& slot : wheel_) {
    while (slot.pop_front() != nullptr) --timer_count_;
  }
  while (soon_.pop_front() != nullptr) --timer_count_;
  if (wakefd_ >= 0) ::close(wakefd_);
  if (epfd_ >= 0) ::close(epfd_);
}

uint32_t EventLoop::watch(int fd, uint32_t events, IoHandler* h, bool level) {
  if (fd < 0) return 0;
  auto i = static_cast<size_t>(fd);
  if (i >= slots_.size()) slots_.resize(std::max<size_t>(i + 1, slots_.size() * 2));
  Slot& s = slots_[i];
  // A new generation even if the slot looks free: an event of an earlier registration of
  // this fd number (closed without remove, then reused) must not reach the new handler.
  if (++s.gen == 0) s.gen = 1;   // 0 means "no registration"
  epoll_event ev{};
  ev.events = events | (level ? 0u : static_cast<uint32_t>(EPOLLET));
  ev.data.u64 = pack(fd, s.gen);
  if (epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    s.h = nullptr;
    return 0;
  }
  s.h = h;
  return s.gen;
}

bool EventLoop::rewatch(int fd, uint32_t gen, uint32_t events, IoHandler* h, bool level) {
  if (fd < 0 || static_cast<size_t>(fd) >= slots_.size()) return false;
  Slot& s = slots_[static_cast<size_t>(fd)];
  if (s.h == nullptr || (gen != 0 && s.gen != gen)) return false;
  epoll_event ev{};
  ev.events = events | (level ? 0u : static_cast<uint32_t>(EPOLLET));
  ev.data.u64 = pack(fd, s.gen);
  if (epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev) != 0) return false;
  s.h = h;
  return true;
}

bool EventLoop::forget(int fd, uint32_t gen) {
  if (fd < 0 || static_cast<size_t>(fd) >= slots_.size()) return false;
  Slot& s = slots_[static_cast<size_t>(fd)];
  if (s.h == nullptr || (gen != 0 && s.gen != gen)) return false;
  s.h = nullptr;
  if (++s.gen == 0) s.gen = 1;   // events of the ended registration no longer match
  return true;
}

void EventLoop::dispatch(uint64_t data, uint32_t events) {
  auto fd = static_cast<uint32_t>(data);
  auto gen = static_cast<uint32_t>(data >> 32);
  // Looked up per event, not cached across the batch: a handler may register fds (and grow
  // the table) or end registrations, including ones later in this batch.
  if (fd >= slots_.size()) return;
  const Slot& s = slots_[fd];
  if (s.gen != gen || s.h == nullptr) return;   // stale: its watch ended in this batch
  s.h->on_io(events);
}

bool EventLoop::add(int fd, uint32_t events, IoHandler* h, bool level) { return watch(fd, events, h, level) != 0; }

bool EventLoop::modify(int fd, uint32_t events, IoHandler* h, bool level) {
  return rewatch(fd, 0, events, h, level);
}

void EventLoop::remove(int fd) {
  forget(fd, 0);
  epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
}

bool Watch::start(EventLoop& loop, int fd, uint32_t events, IoHandler* h, bool level) {
  stop();
  uint32_t gen = loop.watch(fd, events, h, level);
  if (gen == 0) return false;
  loop_ = &loop;
  fd_ = fd;
  gen_ = gen;
  level_ = level;
  handler_ = h;
  return true;
}

bool Watch::modify(uint32_t events) {
  return loop_ != nullptr && loop_->rewatch(fd_, gen_, events, handler_, level_);
}

void Watch::stop() {
  if (loop_ == nullptr) return;
  // Only our own registration: the fd number may belong to someone else by now.
  if (loop_->forget(fd_, gen_)) epoll_ctl(loop_->epfd_, EPOLL_CTL_DEL, fd_, nullptr);
  loop_ = nullptr;
  fd_ = -1;
}

void Watch::stop_before_close() {
  if (loop_ == nullptr) return;
  loop_->forget(fd_, gen_);
  loop_ = nullptr;
  fd_ = -1;
}

void EventLoop::post(std::function<void()> fn) {
  {
    std::lock_guard lk(post_mu_);
    posted_.push_back(std::move(fn));
  }
  uint64_t one = 1;
  ssize_t r = ::write(wakefd_, &one, sizeof one);
  (void)r;  // EAGAIN means a wake-up is already pending
}

void EventLoop::defer_delete(std::unique_ptr<Deletable> obj) { deferred_.push_back(std::move(obj)); }

void EventLoop::free_deferred() {
  // A destructor may retire more objects (a session its server connection): until empty.
  while (!deferred_.empty()) {
    std::vector<std::unique_ptr<Deletable>> batch;
    batch.swap(deferred_);
    batch.clear();
  }
}

void EventLoop::drain_posted() {
  std::vector<std::function<void()>> batch;
  {
    std::lock_guard lk(post_mu_);
    batch.swap(posted_);
  }
  for (auto& fn : batch) fn();
}

void EventLoop::stop() {
  stop_.store(true);
  uint64_t one = 1;
  ssize_t r = ::write(wakefd_, &one, sizeof one);
  (void)r;
}

uint64_t EventLoop::refresh_now() {
  now_ = monotonic_ms();
  return now_;
}

void EventLoop::schedule(Timer& t) {
  // A deadline in the past fires at the next tick.
  uint64_t when = t.deadline_ <= wheel_tick_ ? wheel_tick_ + 1 : t.deadline_;
  wheel_[when % kWheelSlots].push_back(t);
  ++timer_count_;
}

void EventLoop::run_timers() {
  if (timer_count_ == 0) {
    wheel_tick_ = now_;
    return;
  }
  // Visit each slot between the last processed tick and now (at most one full turn).
  uint64_t from = wheel_tick_ + 1;
  uint64_t to = now_;
  if (to < from) return;
  if (to - from >= kWheelSlots) from = to - kWheelSlots + 1;
  // Due timers move to a local list first: a callback may destroy or re-arm any other due
  // timer, which unlinks it from this list, so nothing dangling is ever run.
  IntrusiveList<Timer, TimerTag> due;
  for (uint64_t tick = from; tick <= to; ++tick) {
    auto& slot = wheel_[tick % kWheelSlots];
    slot.for_each([&](Timer& t) {
      if (t.deadline_ <= now_) due.push_back(t);
    });
  }
  wheel_tick_ = to;
  while (Timer* t = due.pop_front()) {
    --timer_count_;
    t->cb_();
  }
}

void EventLoop::run_soon() {
  // As in run_timers(): a callback may disarm or re-arm any other one; one re-armed soon
  // from its own callback waits for the next iteration (the events in between are fair).
  IntrusiveList<Timer, TimerTag> due;
  while (Timer* t = soon_.pop_front()) due.push_back(*t);
  while (Timer* t = due.pop_front()) {
    --timer_count_;
    t->cb_();
  }
}

int EventLoop::next_timeout_ms() {
  if (!posted_.empty() || !soon_.empty()) return 0;
  if (timer_count_ == 0) return 1000;
  // Scan ahead for the first non-empty slot; a slot may hold timers of later turns, so the
  // timeout found is a lower bound, which is safe.
  for (uint64_t i = 1; i <= kWheelSlots; ++i) {
    if (!wheel_[(wheel_tick_ + i) % kWheelSlots].empty()) {
      uint64_t at = wheel_tick_ + i;
      return at <= now_ ? 0 : static_cast<int>(at - now_);
    }
  }
  return 1000;
}

void EventLoop::run() {
  constexpr int kMaxEvents = 256;
  epoll_event events[kMaxEvents];
  while (!stop_.load(std::memory_order_relaxed)) {
    int timeout = next_timeout_ms();
    int n = epoll_wait(epfd_, events, kMaxEvents, timeout);
    refresh_now();
    if (n < 0) {
      if (errno == EINTR) continue;
      SLUICE_CHECK(false, "epoll_wait failed");
    }
    for (int i = 0; i < n; ++i) dispatch(events[i].data.u64, events[i].events);
    free_deferred();
    run_timers();
    free_deferred();
    run_soon();
    free_deferred();
    if (idle_hook_) idle_hook_();
    free_deferred();
  }
  drain_posted();
  free_deferred();
}

}  // namespace sluice::core
