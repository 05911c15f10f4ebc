#include "core/event_loop.h"

#include <sys/eventfd.h>
#include <unistd.h>

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
  deferred_.clear();
  for (auto& slot : wheel_) {
    while (slot.pop_front() != nullptr) --timer_count_;
  }
  while (soon_.pop_front() != nullptr) --timer_count_;
  if (wakefd_ >= 0) ::close(wakefd_);
  if (epfd_ >= 0) ::close(epfd_);
}

bool EventLoop::add(int fd, uint32_t events, IoHandler* h, bool level) {
  epoll_event ev{};
  ev.events = events | (level ? 0u : static_cast<uint32_t>(EPOLLET));
  ev.data.ptr = h;
  return epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) == 0;
}

bool EventLoop::modify(int fd, uint32_t events, IoHandler* h, bool level) {
  epoll_event ev{};
  ev.events = events | (level ? 0u : static_cast<uint32_t>(EPOLLET));
  ev.data.ptr = h;
  return epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev) == 0;
}

void EventLoop::remove(int fd) { epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr); }

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
    for (int i = 0; i < n; ++i) {
      static_cast<IoHandler*>(events[i].data.ptr)->on_io(events[i].events);
    }
    deferred_.clear();
    run_timers();
    deferred_.clear();
    run_soon();
    deferred_.clear();
    if (idle_hook_) idle_hook_();
    deferred_.clear();
  }
  drain_posted();
  deferred_.clear();
}

}  // namespace sluice::core
