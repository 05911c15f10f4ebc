#include "app/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "app/handover.h"
#include "app/limits.h"
#include "app/master.h"
#include "app/privileges.h"
#include "check/check.h"
#include "config/loader.h"
#include "core/clock.h"
#include "core/log.h"
#include "log/access_log.h"
#include "net/socket.h"

namespace sluice::app {

namespace {

constexpr int kSignals[] = {SIGTERM, SIGINT, SIGUSR1, SIGUSR2, SIGTTOU, SIGTTIN, SIGHUP};
constexpr uint64_t kIdleCheckMs = 20;   // soft stop: how often worker 0 looks for the others' end

void write_pidfile(const std::string& path, pid_t pid) {
  if (path.empty()) return;
  if (FILE* f = std::fopen(path.c_str(), "w")) {
    std::fprintf(f, "%d\n", pid);
    std::fclose(f);
  } else {
    core::log(core::Level::Warning, "cannot write pid file {}: {}", path, std::strerror(errno));
  }
}

// The stats socket of `cfg` with `expose-fd listeners` and admin level, if any: where a
// previous process built from the same configuration hands its sockets over.
std::string exposed_socket(const config::Config& cfg) {
  for (const auto& s : cfg.global.stats_sockets)
    if (s.expose_fd_listeners && s.level == config::StatsSocket::Level::Admin &&
        s.addr.kind == config::Address::Kind::Unix)
      return s.addr.path;
  return {};
}

void close_all(std::map<std::string, int>& fds) {
  for (auto& [k, fd] : fds) ::close(fd);
  fds.clear();
}

}  // namespace


LoadedConfig load_config(const Options& opt) {
  LoadedConfig out;
  auto res = config::load_files(opt.files);
  for (const auto& d : res.diagnostics) {
    if (d.warning && opt.quiet) continue;
    auto line = d.format();
    std::fprintf(stderr, "%s\n", line.c_str());
    out.messages += line + "\n";
  }
  if (!res.ok()) {
    static constexpr char kFatal[] = "[ALERT] config : fatal errors found in configuration.";
    std::fprintf(stderr, "%s\n", kFatal);
    out.messages += std::string(kFatal) + "\n";
    return out;
  }
  // The runtime (conditions, rules, log and unique-id formats, error pages, stick rules) is
  // compiled now, by the code a start runs, so that -c finds every error a start would.
  std::string bad;
  if (auto rt = proxy::Runtime::build(*res.config); !rt) bad = rt.error().message + "\n";
  if (!bad.empty()) {
    std::fprintf(stderr, "%s[ALERT] config : fatal errors found in configuration.\n", bad.c_str());
    out.messages += bad;
    return out;
  }
  out.cfg = std::move(res.config);
  // As HAProxy, once the files are read: what was loaded, for `env(HAPROXY_CFGFILES)`.
  std::string files;
  for (const auto& f : out.cfg->files) files += (files.empty() ? "" : ";") + f;
  ::setenv("HAPROXY_CFGFILES", files.c_str(), 1);
  if (opt.maxconn) out.cfg->global.maxconn = *opt.maxconn;
  if (opt.default_maxconn)   // HAProxy's -N: the default a `maxconn` line (or defaults) overrides
    for (auto& p : out.cfg->proxies)
      if ((p.kind == config::ProxyConfig::Kind::Frontend || p.kind == config::ProxyConfig::Kind::Listen) &&
          !p.maxconn) p.maxconn = *opt.default_maxconn;
  return out;
}

Process::Process(Options opt) : opt_(std::move(opt)) {}
Process::~Process() = default;

void Process::signal_old(int sig) {
  for (pid_t p : opt_.finish_pids) ::kill(p, sig);
  for (pid_t p : opt_.terminate_pids) ::kill(p, sig);
}

// Gave up after pausing them: SIGTTIN, but only once each old process has taken our SIGTTOU.
// Both pending together, it would take SIGTTIN (21) first, then SIGTTOU (22), and stay paused
// with nobody serving. A process too busy to take it in time gets SIGTTIN anyway (warned).
void Process::resume_old() {
  constexpr std::chrono::milliseconds kLimit{5000};
  auto wait_then_resume = [&](pid_t p) {
    if (!wait_signal_taken(p, SIGTTOU, kLimit))
      core::log(core::Level::Warning, "process {} did not take SIGTTOU within {} ms; it may stay paused", p,
                kLimit.count());
    ::kill(p, SIGTTIN);
  };
  for (pid_t p : opt_.finish_pids) wait_then_resume(p);
  for (pid_t p : opt_.terminate_pids) wait_then_resume(p);
}

int Process::run() {
  core::set_log_quiet(opt_.quiet);
  core::set_log_debug(opt_.debug);
  auto loaded = load_config(opt_);
  if (!loaded.cfg) return 1;
  cfg_ = std::move(loaded.cfg);
  if (cfg_->global.quiet) core::set_log_quiet(true);
  if (opt_.check_only) {
    std::printf("Configuration file is valid\n");
    return 0;
  }
  if (opt_.master_worker || cfg_->global.master_worker) {
    Master m(opt_, std::move(*cfg_));
    return m.run();
  }
  return run_standalone();
}

// -sf/-st: the new process gets the old one's listening sockets (-x, or the configuration's
// `expose-fd listeners` socket), binds only what is new, and only then tells the old ones to
// finish. Anything failing before that leaves the old processes serving (SIGTTIN if they
// were paused) and exits non-zero.
int Process::run_standalone() {
  // Limits and identity are checked before anything is bound or any old process paused.
  auto limits = apply_fd_limits(*cfg_);
  if (!limits) {
    std::fprintf(stderr, "[ALERT] %s\n", limits.error().message.c_str());
    return 1;
  }
  auto identity = resolve_identity(cfg_->global);
  if (!identity) {
    std::fprintf(stderr, "[ALERT] %s\n", identity.error().message.c_str());
    return 1;
  }
  bool takeover = !opt_.finish_pids.empty() || !opt_.terminate_pids.empty();
  std::map<std::string, int> inherited;
  std::vector<ServerStateLine> state;
  std::string from = opt_.fd_socket;
  if (from.empty() && takeover) from = exposed_socket(*cfg_);
  if (!from.empty()) {
    auto got = fetch_listeners(from);
    if (got) {
      inherited = std::move(*got);
      core::debug("got {} listening socket(s) from {}", inherited.size(), from);
      // The old process's server state too (it wins over load-server-state-from-file).
      if (auto text = cli_query(from, "show servers state")) state = parse_server_state(*text);
      if (auto text = cli_query(from, "_dumptables")) tables_ = *text;   // stick tables survive too
    } else if (!opt_.fd_socket.empty()) {
      std::fprintf(stderr, "[ALERT] Failed to get the sockets from the old process: %s\n", got.error().message.c_str());
      return 1;
    } else {
      core::log(core::Level::Warning, "{}; binding the listeners instead", got.error().message);
    }
  }
  auto files = read_state_files(*cfg_);
  if (!files) {
    close_all(inherited);
    std::fprintf(stderr, "[ALERT] %s\n", files.error().message.c_str());
    return 1;
  }
  // The live state of the previous process wins; the files serve when there is none.
  if (state.empty()) state = std::move(*files);
  apply_state_to_config(*cfg_, state);
  auto rt = proxy::Runtime::build(*cfg_);
  if (!rt) {
    close_all(inherited);
    std::fprintf(stderr, "[ALERT] %s\n", rt.error().message.c_str());
    return 1;
  }
  rt_ = std::move(*rt);
  rt_->maxsock = limits->maxsock;
  for (auto& w : log::configure(cfg_->global)) core::log(core::Level::Warning, "{}", w);
  for (auto& f : rt_->frontends()) log::open_proxy_logs(*f);

  // Old processes pause only when we must bind next to them (nothing handed over): with
  // shared sockets they keep accepting until we serve.
  bool paused_old = takeover && !rt_->all_inherited(inherited);
  if (paused_old) signal_old(SIGTTOU);
  auto give_up = [&](const std::string& msg) {
    if (paused_old) resume_old();
    rt_->close_listeners();
    close_all(inherited);
    core::log(core::Level::Alert, "{}", msg);
    std::fprintf(stderr, "[ALERT] Startup failed: %s\n", msg.c_str());
    return 1;
  };
  // The runtime API first: once the service ports accept, the socket is already there.
  auto admin = admin::open_sockets(*rt_);
  if (!admin) return give_up(admin.error().message);
  if (auto opened = rt_->open_listeners(inherited); !opened) {
    for (int fd : admin->fds) ::close(fd);
    return give_up(opened.error().message);
  }
  close_all(inherited);   // sockets the new configuration no longer binds
  if (size_t n = apply_state_to_runtime(*rt_, state)) core::debug("server state restored for {} server(s)", n);
  if (size_t n = apply_tables(*rt_, tables_)) core::debug("{} stick-table entries restored", n);
  return start_serving(*admin, *identity, give_up);
}

// Daemonizes if asked, writes the pid file, tells the old processes to go, takes the
// configured identity and serves.
int Process::start_serving(admin::Sockets& admin, const Identity& identity,
                           const std::function<int(const std::string&)>& give_up) {
  bool daemon = opt_.daemon || cfg_->global.daemon;
  std::string pidfile = !opt_.pidfile.empty() ? opt_.pidfile : cfg_->global.pidfile;
  if (daemon) {
    pid_t child = fork();
    if (child < 0) return give_up(fmt::format("cannot fork: {}", std::strerror(errno)));
    if (child > 0) {
      write_pidfile(pidfile, child);
      return 0;
    }
    detach_from_terminal(opt_.debug);
  } else if (!pidfile.empty()) {
    write_pidfile(pidfile, getpid());
    keep_pidfile_dir(pidfile);
  }
  // Old processes: finish (-sf: soft stop) or terminate (-st). Once our loop runs, unless
  // we change identity: then now, while we may still signal them (they may run as another
  // user), with every socket already open; connections wait in our queues meanwhile.
  std::function<void()> finish_old = [this] {
    for (pid_t p : opt_.finish_pids) ::kill(p, SIGUSR1);
    for (pid_t p : opt_.terminate_pids) ::kill(p, SIGTERM);
  };
  if (!identity.empty()) {
    finish_old();
    if (auto dropped = drop_privileges(identity); !dropped) {
      core::log(core::Level::Alert, "{}", dropped.error().message);
      std::fprintf(stderr, "[ALERT] Startup failed: %s\n", dropped.error().message.c_str());
      return 1;
    }
    finish_old = [] {};
  }
  return serve(admin, std::move(finish_old));
}

int Process::run_worker(config::Config cfg, WorkerLaunch launch) {
  cfg_ = std::move(cfg);
  apply_state_to_config(*cfg_, launch.state);
  auto report = [&](const std::string& msg) {
    std::string line = msg + "\n";
    if (launch.ready_fd >= 0 && ::write(launch.ready_fd, line.data(), line.size()) < 0) {
      // the master is gone; nothing to tell
    }
    std::fprintf(stderr, "[ALERT] %s\n", msg.c_str());
    return 1;
  };
  auto identity = resolve_identity(cfg_->global);
  if (!identity) return report(identity.error().message);
  auto rt = proxy::Runtime::build(*cfg_);
  if (!rt) return report(rt.error().message);
  rt_ = std::move(*rt);
  // The master sized the limits and set maxconn; the plan only needs recomputing.
  rt_->maxsock = 2 * uint64_t{rt_->maxconn.load()} + reserved_fds(*cfg_);
  for (auto& w : log::configure(cfg_->global)) core::log(core::Level::Warning, "{}", w);
  for (auto& f : rt_->frontends()) log::open_proxy_logs(*f);
  auto admin = admin::open_sockets(*rt_);
  if (!admin) return report(admin.error().message);
  if (auto opened = rt_->open_listeners(launch.fds); !opened) return report(opened.error().message);
  close_all(launch.fds);
  if (!identity->empty()) {
    pid_t master = getppid();
    if (auto dropped = drop_privileges(*identity); !dropped) return report(dropped.error().message);
    // A credential change clears the parent-death signal: ask for it again.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != master) return report("the master exited while the worker started");
  }
  apply_state_to_runtime(*rt_, launch.state);
  apply_tables(*rt_, launch.tables);
  master_channel_ = launch.channel_fd;
  int ready = launch.ready_fd;
  return serve(*admin, [ready] {
    if (ready < 0) return;
    if (::write(ready, "1\n", 2) < 0) {
      // the master is gone; it will not wait for us
    }
    ::close(ready);
  });
}

// Starts the workers and runs worker 0 on this thread until the process stops. `on_serving`
// runs once on worker 0's loop, when the listeners are registered.
// A chroot hides the pid file's path and the serving process may not be able to reopen its
// directory later, so the directory is held open from before the jail.
void Process::keep_pidfile_dir(const std::string& path) {
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  pid_name_ = slash == std::string::npos ? path : path.substr(slash + 1);
  pid_dir_fd_ = ::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
}

// Removes the pid file only if it still names us (a newer process may own it now). Left in
// place when the directory does not let us (privileges dropped), as HAProxy always leaves it.
void Process::remove_own_pidfile() {
  if (pid_dir_fd_ < 0) return;
  const int fd = ::openat(pid_dir_fd_, pid_name_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    char buf[32] = {};
    const ssize_t n = ::read(fd, buf, sizeof buf - 1);
    ::close(fd);
    if (n > 0 && std::atoi(buf) == getpid() && ::unlinkat(pid_dir_fd_, pid_name_.c_str(), 0) != 0)
      core::debug("pid file {} left in place: {}", pid_name_, std::strerror(errno));
  }
  ::close(pid_dir_fd_);
  pid_dir_fd_ = -1;
}

int Process::serve(admin::Sockets& admin, std::function<void()> on_serving) {
  // Signals are taken by a signalfd on the first worker; block them everywhere first so
  // that threads inherit the mask.
  sigset_t set;
  sigemptyset(&set);
  for (int s : kSignals) sigaddset(&set, s);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  uint32_t n = std::max<uint32_t>(1, cfg_->global.nbthread);
  for (uint32_t i = 0; i < n; ++i) workers_.push_back(std::make_unique<proxy::Worker>(*rt_, i));
  for (auto& w : workers_) rt_->workers.push_back(w.get());
  // Worker 0 hosts the signals, the runtime API and the hard-stop timer: it must outlive the
  // others during a soft stop.
  workers_[0]->set_stop_when_idle(false);
  signals_ = std::make_unique<SignalWatcher>(workers_[0]->loop(), kSignals, [this](int sig) { on_signal(sig); });
  check::start(*rt_);   // health checks, agents, slowstart: run on the workers' loops
  admin::attach(*rt_, workers_, admin);
  if (master_channel_ >= 0) admin::adopt_master_channel(master_channel_);
  core::log(core::Level::Notice, "sluice {} started: {} frontend(s), {} backend(s), {} thread(s)",
            SLUICE_VERSION, rt_->frontends().size(), rt_->backends().size(), n);
  workers_[0]->loop().post(std::move(on_serving));
  for (uint32_t i = 1; i < n; ++i) workers_[i]->start_thread();
  workers_[0]->run();
  for (uint32_t i = 1; i < n; ++i) workers_[i]->join();
  signals_.reset();
  admin::close_sockets();
  hard_stop_timer_.reset();
  grace_timer_.reset();
  idle_check_timer_.reset();
  workers_.clear();
  remove_own_pidfile();
  return 0;
}

void Process::for_each_worker(void (proxy::Worker::*fn)()) {
  for (auto& w : workers_) {
    proxy::Worker* wp = w.get();
    if (wp == workers_[0].get()) (wp->*fn)();
    else wp->loop().post([wp, fn] { (wp->*fn)(); });
  }
}

void Process::on_signal(int sig) {
  switch (sig) {
    case SIGTERM:
    case SIGINT:
      core::log(core::Level::Notice, "Proxy stopping (signal {}): exiting now.", sig);
      hard_stop();
      break;
    case SIGUSR1: soft_stop(); break;
    case SIGTTOU:
      core::log(core::Level::Notice, "Pausing listeners (SIGTTOU).");
      for_each_worker(&proxy::Worker::pause_listeners);
      break;
    case SIGTTIN:
      core::log(core::Level::Notice, "Resuming listeners (SIGTTIN).");
      for_each_worker(&proxy::Worker::resume_listeners);
      break;
    case SIGHUP:
      for (auto& b : rt_->backends()) {
        std::lock_guard lk(b->mutex());
        for (auto& s : b->servers())
          core::log(core::Level::Notice, "SIGHUP: Server {}/{} is {}/{}. Conn: {} act, {} tot.",
                    b->name(), s->name(), to_string(s->op_state()), to_string(s->admin_state()),
                    s->counters.cur_sess.load(), s->counters.sessions_total.load());
      }
      break;
    default: break;
  }
}

// SIGUSR1. With `grace`, listeners keep accepting for that long first (haproxy's meaning).
void Process::soft_stop() {
  if (stopping_) return;
  stopping_ = true;
  auto& loop = workers_[0]->loop();
  if (cfg_->global.hard_stop_after) {
    hard_stop_timer_ = std::make_unique<core::Timer>([this] {
      core::log(core::Level::Warning, "hard-stop-after reached: closing remaining sessions.");
      hard_stop();
    });
    hard_stop_timer_->arm(loop, loop.now() + static_cast<uint64_t>(cfg_->global.hard_stop_after->count()));
  }
  if (cfg_->global.grace && cfg_->global.grace->count() > 0) {
    grace_timer_ = std::make_unique<core::Timer>([this] { stop_listening(); });
    grace_timer_->arm(loop, loop.now() + static_cast<uint64_t>(cfg_->global.grace->count()));
    return;
  }
  stop_listening();
}

// Every worker stops accepting and finishes its sessions; the listening sockets are closed
// only once no worker watches them any more (another thread could otherwise poll a closed,
// reused fd number; and the socket lives on in the process that took it over).
void Process::stop_listening() {
  core::log(core::Level::Notice, "Soft stop: closing listeners, finishing {} session(s).",
            rt_->cur_conns.load());
  rt_->soft_stopping = true;
  auto left = std::make_shared<std::atomic<size_t>>(workers_.size());
  core::EventLoop* loop0 = &workers_[0]->loop();
  proxy::Runtime* rt = rt_.get();
  for (auto& w : workers_) {
    proxy::Worker* wp = w.get();
    auto task = [wp, left, loop0, rt] {
      wp->soft_stop();
      if (left->fetch_sub(1) == 1) loop0->post([rt] { rt->close_listeners(); });
    };
    if (wp == workers_[0].get()) task();
    else wp->loop().post(task);
  }
  // Worker 0 leaves its loop when it and every other worker are done.
  idle_check_timer_ = std::make_unique<core::Timer>([this] {
    bool done = workers_[0]->sessions().empty();
    for (size_t i = 1; i < workers_.size() && done; ++i) done = workers_[i]->loop().stopping();
    auto& l0 = workers_[0]->loop();
    if (done) l0.stop();
    else idle_check_timer_->arm(l0, l0.now() + kIdleCheckMs);
  });
  idle_check_timer_->arm(*loop0, loop0->now() + kIdleCheckMs);
}

void Process::hard_stop() {
  stopping_ = true;
  for_each_worker(&proxy::Worker::hard_stop);
}

}  // namespace sluice::app
