// Signals delivered as events: the given signals are blocked for the calling thread (and
// the threads it starts afterwards) and read from a signalfd on an event loop.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <span>

#include "core/event_loop.h"

namespace sluice::app {

// Daemon mode, in the forked child: new session, stdin/stdout (and stderr unless
// `keep_stderr`, i.e. -d) on /dev/null.
void detach_from_terminal(bool keep_stderr);

// Blocks `sigs` in the calling thread; threads created later inherit the mask.
void block_signals(std::span<const int> sigs);

// Whether `sig` sent with kill() to process `pid` is still pending there, i.e. not yet
// taken (read from its signalfd or delivered to a handler): /proc/<pid>/status, ShdPnd.
// False when that cannot be told (no such process, no /proc).
bool signal_pending(pid_t pid, int sig);

// Waits until `pid` has taken `sig` (see signal_pending), at most `limit`. Two standard
// signals pending together are taken lowest number first, whatever order they were sent
// in: a sender whose signals mean "pause" then "resume" (SIGTTOU 22, then SIGTTIN 21) must
// not send the second before the first is taken. True if taken, false on timeout.
bool wait_signal_taken(pid_t pid, int sig, std::chrono::milliseconds limit);

class SignalWatcher final : public core::IoHandler {
 public:
  SignalWatcher(core::EventLoop& loop, std::span<const int> sigs, std::function<void(int)> on_signal);
  ~SignalWatcher() override;
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;
  void on_io(uint32_t) override;

 private:
  core::EventLoop& loop_;
  std::function<void(int)> on_signal_;
  int fd_ = -1;
};

}  // namespace sluice::app
