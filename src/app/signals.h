// Signals delivered as events: the given signals are blocked for the calling thread (and
// the threads it starts afterwards) and read from a signalfd on an event loop.
#pragma once

#include <functional>
#include <span>

#include "core/event_loop.h"

namespace sluice::app {

// Daemon mode, in the forked child: new session, stdin/stdout (and stderr unless
// `keep_stderr`, i.e. -d) on /dev/null.
void detach_from_terminal(bool keep_stderr);

// Blocks `sigs` in the calling thread; threads created later inherit the mask.
void block_signals(std::span<const int> sigs);

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
