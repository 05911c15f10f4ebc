// A serving process: load and check the configuration, take over from old processes
// (-sf/-st, with the listening sockets handed over by `-x` / `expose-fd listeners`), bind,
// daemonize, start the workers and handle signals as haproxy does:
//   SIGTERM, SIGINT  stop at once
//   SIGUSR1          soft stop: stop listening, finish sessions, exit (bounded by hard-stop-after)
//   SIGTTOU/SIGTTIN  pause / resume listening (a new process is taking over / gave up)
//   SIGHUP           dump server states to the log
// In master-worker mode (-W) the same class runs each worker, forked by app::Master.
#pragma once

#include <map>
#include <memory>

#include "app/signals.h"
#include <optional>
#include <string>
#include <vector>

#include "admin/admin.h"
#include "app/cli.h"
#include "app/server_state.h"
#include "proxy/runtime.h"
#include "proxy/worker.h"

namespace sluice::app {

struct Identity;   // app/privileges.h

// The configuration read from the command line's files, with its diagnostics as text.
struct LoadedConfig {
  std::optional<config::Config> cfg;
  std::string messages;   // every diagnostic, one per line (also printed on stderr)
};
LoadedConfig load_config(const Options& opt);

// What a master hands to a worker it forks.
struct WorkerLaunch {
  std::map<std::string, int> fds;   // listening sockets by bind_key(); the master keeps its own
  std::vector<ServerStateLine> state;   // the previous worker's server state
  std::string tables;                   // its stick tables (`_dumptables` output)
  int ready_fd = -1;     // written "1\n" once serving, or the error text before exiting
  int channel_fd = -1;   // runtime API channel to the master
};

class Process {
 public:
  explicit Process(Options opt);
  ~Process();
  // Standalone (or master-worker when asked: runs app::Master). Returns the exit code.
  int run();
  // In a child forked by the master: serve `cfg` with the master's sockets.
  int run_worker(config::Config cfg, WorkerLaunch launch);

 private:
  int run_standalone();
  int start_serving(admin::Sockets& admin, const Identity& identity,
                    const std::function<int(const std::string&)>& give_up);
  int serve(admin::Sockets& admin, std::function<void()> on_serving);
  void keep_pidfile_dir(const std::string& path);
  void remove_own_pidfile();
  void on_signal(int sig);
  void soft_stop();
  void stop_listening();
  void hard_stop();
  void for_each_worker(void (proxy::Worker::*fn)());
  void signal_old(int sig);
  void resume_old();

  Options opt_;
  std::optional<config::Config> cfg_;
  std::unique_ptr<proxy::Runtime> rt_;
  std::vector<std::unique_ptr<proxy::Worker>> workers_;
  std::unique_ptr<SignalWatcher> signals_;
  std::unique_ptr<core::Timer> hard_stop_timer_, grace_timer_, idle_check_timer_;
  int master_channel_ = -1;
  // The foreground pid file's directory, opened before any chroot, and the file's name in it.
  int pid_dir_fd_ = -1;
  std::string pid_name_;
  bool stopping_ = false;
  std::string tables_;   // stick tables handed over by the old process (-sf)
};

}  // namespace sluice::app
