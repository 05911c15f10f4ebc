#include "app/signals.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

namespace sluice::app {

namespace {
sigset_t to_set(std::span<const int> sigs) {
  sigset_t set;
  sigemptyset(&set);
  for (int s : sigs) sigaddset(&set, s);
  return set;
}
}  // namespace

void detach_from_terminal(bool keep_stderr) {
  setsid();
  int devnull = ::open("/dev/null", O_RDWR);
  if (devnull >= 0) {
    dup2(devnull, 0);
    dup2(devnull, 1);
    if (!keep_stderr) dup2(devnull, 2);
    if (devnull > 2) ::close(devnull);
  }
}

void block_signals(std::span<const int> sigs) {
  sigset_t set = to_set(sigs);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

SignalWatcher::SignalWatcher(core::EventLoop& loop, std::span<const int> sigs, std::function<void(int)> on_signal)
    : loop_(loop), on_signal_(std::move(on_signal)) {
  sigset_t set = to_set(sigs);
  fd_ = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  loop_.add(fd_, EPOLLIN, this, true);
}

SignalWatcher::~SignalWatcher() {
  loop_.remove(fd_);
  ::close(fd_);
}

void SignalWatcher::on_io(uint32_t) {
  signalfd_siginfo si;
  while (::read(fd_, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) on_signal_(static_cast<int>(si.ssi_signo));
}

}  // namespace sluice::app
