// EventLoop: one per thread. epoll (edge-triggered) for I/O, a hashed timer wheel for every
// timeout, a thread-safe post() queue (eventfd) and deferred deletion.
//
// Lifetime rule: no object the loop may still deliver an event to is destroyed before the
// current iteration ends. Two mechanisms make that hold by construction:
//  - Watches. The loop keeps a slot per fd (handler + generation); epoll's data carries the
//    fd and the generation of the registration. Stopping a watch clears the slot and bumps
//    the generation, so an event for it still queued in this epoll batch is dropped by the
//    loop (as is one for an earlier owner of a reused fd number). Handlers hold a Watch,
//    which stops itself when destroyed.
//  - Retirement. A per-connection object is never deleted directly: it stops its watches
//    and timers and hands itself to defer_delete(), which frees it after this iteration's
//    events (and again after the timers, the soon list and the idle hook).
// Timers are intrusive; a Timer unlinks itself when destroyed or disarmed, so its callback
// never runs afterwards. Everything here runs on the loop's own thread except post() and
// stop().
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

// A registration of one fd with one loop (RAII). start() watches the fd for `events`
// (edge-triggered unless `level`); stop() or the destructor ends it, after which no event of
// this registration reaches the handler, not even one already in the current epoll batch.
// A Watch never touches a registration it does not own: if its fd was closed and the number
// registered again by someone else, stop() leaves that one alone.
class Watch {
 public:
  Watch() = default;
  Watch(const Watch&) = delete;
  Watch& operator=(const Watch&) = delete;
  ~Watch() { stop(); }

  bool start(EventLoop& loop, int fd, uint32_t events, IoHandler* h, bool level = false);
  // New event mask (same handler and triggering mode).
  bool modify(uint32_t events);
  // Unregisters (EPOLL_CTL_DEL): for an fd that stays open.
  void stop();
  // The owner closes the fd right after: close() drops it from epoll, so only the slot is
  // cleared (no syscall on the connection close path).
  void stop_before_close();
  bool active() const { return loop_ != nullptr; }
  int fd() const { return fd_; }

 private:
  EventLoop* loop_ = nullptr;
  int fd_ = -1;
  uint32_t gen_ = 0;
  bool level_ = false;
  IoHandler* handler_ = nullptr;
};

class EventLoop {
 public:
  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Registers fd for the given events (edge-triggered unless `level` is set), as a new
  // generation of its slot. For owners that pair add() and remove() themselves; prefer Watch.
  bool add(int fd, uint32_t events, IoHandler* h, bool level = false);
  bool modify(int fd, uint32_t events, IoHandler* h, bool level = false);
  // Unregisters fd; events of it still in the current batch are dropped.
  void remove(int fd);

  // Thread-safe: runs `fn` on this loop's thread soon.
  void post(std::function<void()> fn);
  // The one way a per-connection object dies: freed after the current phase of this
  // iteration (events, timers, soon list, idle hook), never while the stack or the rest of
  // the epoll batch may still reach it. Retire the object first (stop watches, disarm
  // timers); see the lifetime rule above.
  void defer_delete(std::unique_ptr<Deletable> obj);
  // Frees what defer_delete() holds now: for owners tearing down outside run() (a worker's
  // destructor frees its sessions before the buffer pool they use).
  void free_deferred();
  size_t deferred_count() const { return deferred_.size(); }

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
  friend class Watch;
  static constexpr size_t kWheelSlots = 1024;   // 1 ms per slot, 1.024 s per turn

  // One per fd number that was ever registered (fds are small and dense: a vector, no hash).
  // `gen` changes with every registration and unregistration; epoll's data is fd | gen << 32.
  struct Slot {
    IoHandler* h = nullptr;
    uint32_t gen = 0;
  };
  static uint64_t pack(int fd, uint32_t gen) { return static_cast<uint32_t>(fd) | (uint64_t{gen} << 32); }
  // Registers and returns the registration's generation, or 0 when epoll_ctl failed.
  uint32_t watch(int fd, uint32_t events, IoHandler* h, bool level);
  bool rewatch(int fd, uint32_t gen, uint32_t events, IoHandler* h, bool level);
  // Clears the slot if `gen` is still its registration (0: whatever it is); true if it was.
  bool forget(int fd, uint32_t gen);
  void dispatch(uint64_t data, uint32_t events);

  void schedule(Timer& t);
  void run_timers();
  void run_soon();
  int next_timeout_ms();
  void drain_posted();

  std::vector<Slot> slots_;
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
