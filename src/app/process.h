// The process: load and check the configuration, take over from old processes (-sf/-st),
// bind, daemonize, start the workers and handle signals as haproxy does:
//   SIGTERM, SIGINT  stop at once
//   SIGUSR1          soft stop: stop listening, finish sessions, exit (bounded by hard-stop-after)
//   SIGTTOU/SIGTTIN  pause / resume listening (a new process is taking over / gave up)
//   SIGHUP           dump server states to the log
#pragma once

#include <memory>
#include <vector>

#include "app/cli.h"
#include "proxy/runtime.h"
#include "proxy/worker.h"

namespace sluice::app {

class Process {
 public:
  explicit Process(Options opt);
  ~Process();
  int run();

 private:
  int load_and_check();
  void on_signal(int sig);
  void soft_stop();
  void hard_stop();
  void for_each_worker(void (proxy::Worker::*fn)());
  void signal_old(int sig);

  Options opt_;
  std::optional<config::Config> cfg_;
  std::unique_ptr<proxy::Runtime> rt_;
  std::vector<std::unique_ptr<proxy::Worker>> workers_;
  class SignalWatcher;
  std::unique_ptr<SignalWatcher> signals_;
  std::unique_ptr<core::Timer> hard_stop_timer_;
  bool stopping_ = false;
};

}  // namespace sluice::app
