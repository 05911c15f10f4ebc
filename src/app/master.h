// Master-worker mode (-W, `master-worker`): the master holds the listening sockets and the
// master CLI (-S), and runs the configuration in a forked worker. A reload (SIGUSR2, SIGHUP,
// or `reload` on the master CLI) re-reads the configuration, opens what is new, asks the
// current worker for its server state, forks a new worker with the sockets and that state,
// and once the new worker serves, tells the old one to finish (SIGUSR1). A configuration
// error or a worker failing to start leaves the current worker serving; the reason is
// reported to the `reload` client and logged.
//
//   worker lifecycle:  Starting --ready--> Current --next reload ok--> Old --exit--> (reaped)
//                          \--failed/exit--> (reaped)
//
// Old workers linger until their sessions end, bounded by hard-stop-after (in the worker),
// by mworker-max-reloads and by kMaxOldWorkers (the oldest gets SIGTERM).
// Single-threaded: everything runs on the master's own event loop.
#pragma once

#include <sys/types.h>

#include <deque>
#include <functional>
#include <map>
#include <memory>

#include "app/signals.h"
#include <string>
#include <vector>

#include "app/cli.h"
#include "app/server_state.h"
#include "config/model.h"
#include "core/event_loop.h"

namespace sluice::app {

class Master {
 public:
  Master(Options opt, config::Config cfg);
  ~Master();
  Master(const Master&) = delete;
  Master& operator=(const Master&) = delete;

  int run();

  // For the master CLI (same loop).
  using Done = std::function<void(std::string)>;
  void reload(Done done);                 // reply: "Success=1\n--\n<log>" or "Success=0\n..."
  void show_proc(Done done);
  void forward(std::string_view target, std::string cmd, Done done);   // @N / @!PID
  const std::string& startup_logs() const { return last_log_; }

  enum class WState : uint8_t { Starting, Current, Old };
  struct Child;
  class Channel;

 private:
  class CliAcceptor;
  void on_signal(int sig);
  void reap();
  void start_worker(config::Config cfg, std::map<std::string, int> fds, std::vector<ServerStateLine> state);
  void on_started(Child& c, bool ok, std::string why);
  void finish_reload(bool ok, std::string text);
  void stop_all(int sig);
  void enforce_limits();
  Child* current();
  Result<std::map<std::string, int>> open_listeners(const config::Config& cfg);
  Result<void> check_limits_and_identity(config::Config& cfg);   // sets cfg.global.maxconn

  Options opt_;
  config::Config cfg_;
  core::EventLoop loop_;
  std::map<std::string, int> fds_;         // listening sockets of the current configuration
  std::map<std::string, int> pending_fds_; // those of a reload in progress
  std::vector<std::unique_ptr<Child>> children_;
  std::unique_ptr<SignalWatcher> signals_;
  std::unique_ptr<CliAcceptor> cli_;
  std::vector<Done> reload_waiters_;
  bool reloading_ = false;
  bool stopping_ = false;
  bool ready_notified_ = false;
  int exit_code_ = 0;
  uint32_t generation_ = 0;
  uint32_t reloads_ = 0;
  uint64_t start_ms_ = 0;
  uint64_t reload_start_us_ = 0;
  std::string reload_log_, last_log_;
  std::string pending_tables_;   // stick tables of the current worker, for the next one
};

}  // namespace sluice::app
