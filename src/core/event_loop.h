// EventLoop: one per thread. epoll (edge-triggered) for I/O, a hashed timer wheel for every
// timeout, a thread-safe post() queue (eventfd) and deferred deletion.
//
// Ownership: the loop owns nothing it watches. An IoHandler registers its fd and must call
// remove() before closing it. Timers are intrusive; a Timer unlinks itself when destroyed.
// Everything here runs on the loop's own thread except post() and stop().
#pragma once

#include <sys/epoll.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "core/intrusive_list.h"

namespace sluice::core {

class EventLoop;

// Receives readiness for one fd. `events` is the epoll mask (EPOLLIN, EPOLLOUT, EPOLLRDHUP,
// EPOLLHUP, EPOLLERR). With edge triggering, a handler reads and writes until EAGAIN or keeps
// note that more is pending.
class IoHandler {
 public:
  virtual void on_io(uint32_t events) = 0;

  virtual ~IoHandler() = default;
};

struct TimerTag {};

// A one-shot timer. arm() (re)schedules it; disarm() cancels. The callback runs on the loop
// thread, at most once per arm(), never after the Timer is destroyed.
class Timer : public ListNode<TimerTag> {
 public:
  explicit Timer(std::function<void()> cb) : cb_(std::move(cb)) {}
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;
  ~Timer();

  void arm(EventLoop& loop, uint64_t deadline_ms);
  // Runs the callback in this loop iteration's last phase, after the pending events and
  // before waiting again: for work cut short to let other connections run (fairness).
  void arm_soon(EventLoop& loop);
  void disarm();
  bool armed() const { return linked(); }
  uint64_t deadline() const { return deadline_; }

 private:
  friend class EventLoop;
  std::function<void()> cb_;
  uint64_t deadline_ = 0;
  EventLoop* loop_ = nullptr;
};

// Objects freed after the current event has been fully handled (so that a handler may drop
// the object it is running on).
class Deletable {
 public:
  virtual ~Deletable() = default;
};

class EventLoop {
 public:
  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Registers fd for the given events (edge-triggered unless `level` is set).
  bool add(int fd, uint32_t events, IoHandler* h, bool level = false);
  bool modify(int fd, uint32_t events, IoHandler* h, bool level = false);
  void remove(int fd);

  // Thread-safe: runs `fn` on this loop's thread soon.
  void post(std::function<void()> fn);
  void defer_delete(std::unique_ptr<Deletable> obj);

  // Runs until stop(). Returns when stopped.
  void run();
  void stop();
  bool stopping() const { return stop_.load(std::memory_order_relaxed); }

  // Cached monotonic clock, refreshed at each loop iteration.
  uint64_t now() const { return now_; }
  uint64_t refresh_now();

  // Called once per iteration after events and timers (used for accept resumption etc.).
  void set_idle_hook(std::function<void()> fn) { idle_hook_ = std::move(fn); }

  size_t timer_count() const { return timer_count_; }

 private:
  friend class Timer;
  static constexpr size_t kWheelSlots = 1024;   // 1 ms per slot, 1.024 s per turn

  void schedule(Timer& t);
  void run_timers();
  void run_soon();
  int next_timeout_ms();
  void drain_posted();

  int epfd_ = -1;
  int wakefd_ = -1;
  std::atomic<bool> stop_{false};
  uint64_t now_ = 0;
  uint64_t wheel_tick_ = 0;       // last processed tick (ms)
  size_t timer_count_ = 0;
  std::vector<IntrusiveList<Timer, TimerTag>> wheel_;
  IntrusiveList<Timer, TimerTag> soon_;   // arm_soon(): run before the next wait
  std::mutex post_mu_;
  std::vector<std::function<void()>> posted_;
  std::vector<std::unique_ptr<Deletable>> deferred_;
  std::function<void()> idle_hook_;

  class Waker;
  std::unique_ptr<IoHandler, void (*)(IoHandler*)> waker_;
};

}  // namespace sluice::core
