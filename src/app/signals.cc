#include "app/signals.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

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

bool signal_pending(pid_t pid, int sig) {
  std::string path = "/proc/" + std::to_string(pid) + "/status";
  FILE* f = std::fopen(path.c_str(), "r");
  if (!f) return false;
  bool pending = false;
  char line[256];
  while (std::fgets(line, sizeof line, f)) {
    if (std::strncmp(line, "ShdPnd:", 7) != 0) continue;
    unsigned long long mask = std::strtoull(line + 7, nullptr, 16);
    pending = sig >= 1 && sig <= 64 && (mask >> (sig - 1)) & 1;
    break;
  }
  std::fclose(f);
  return pending;
}

bool wait_signal_taken(pid_t pid, int sig, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  // Nothing notifies a sender when its signal is taken: poll, briefly (the receiver's event
  // loop takes it within a turn, normally well under a millisecond).
  while (signal_pending(pid, sig)) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    timespec ts{0, 1'000'000};
    nanosleep(&ts, nullptr);
  }
  return true;
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
