#include "app/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "admin/admin.h"
#include "check/check.h"
#include "config/loader.h"
#include "core/log.h"
#include "net/socket.h"

namespace sluice::app {

class Process::SignalWatcher final : public core::IoHandler {
 public:
  SignalWatcher(Process& p, core::EventLoop& loop) : p_(p), loop_(loop) {
    sigset_t set;
    sigemptyset(&set);
    for (int s : {SIGTERM, SIGINT, SIGUSR1, SIGUSR2, SIGTTOU, SIGTTIN, SIGHUP}) sigaddset(&set, s);
    fd_ = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    loop_.add(fd_, EPOLLIN, this, true);
  }
  ~SignalWatcher() override {
    loop_.remove(fd_);
    ::close(fd_);
  }
  void on_io(uint32_t) override {
    signalfd_siginfo si;
    while (::read(fd_, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) p_.on_signal(static_cast<int>(si.ssi_signo));
  }

 private:
  Process& p_;
  core::EventLoop& loop_;
  int fd_ = -1;
};

Process::Process(Options opt) : opt_(std::move(opt)) {}
Process::~Process() = default;

int Process::load_and_check() {
  auto res = config::load_files(opt_.files);
  for (const auto& d : res.diagnostics) {
    if (d.warning && opt_.quiet) continue;
    std::fprintf(stderr, "%s\n", d.format().c_str());
  }
  if (!res.ok()) {
    std::fprintf(stderr, "[ALERT] config : fatal errors found in configuration.\n");
    return 1;
  }
  cfg_ = std::move(res.config);
  return 0;
}

void Process::signal_old(int sig) {
  for (pid_t p : opt_.finish_pids) ::kill(p, sig);
  for (pid_t p : opt_.terminate_pids) ::kill(p, sig);
}

int Process::run() {
  core::set_log_quiet(opt_.quiet);
  core::set_log_debug(opt_.debug);
  if (int rc = load_and_check(); rc != 0) return rc;
  if (cfg_->global.quiet) core::set_log_quiet(true);
  if (opt_.check_only) {
    std::printf("Configuration file is valid\n");
    return 0;
  }
  if (opt_.maxconn) cfg_->global.maxconn = *opt_.maxconn;
  auto rt = proxy::Runtime::build(*cfg_);
  if (!rt) {
    std::fprintf(stderr, "[ALERT] %s\n", rt.error().message.c_str());
    return 1;
  }
  rt_ = std::move(*rt);

  // Take over: ask old processes to pause listening while we bind; on failure tell them to
  // resume, so a bad start never takes the service down.
  bool takeover = !opt_.finish_pids.empty() || !opt_.terminate_pids.empty();
  if (takeover) signal_old(SIGTTOU);
  // The runtime API first: once the service ports accept, the socket is already there.
  auto admin = admin::open_sockets(*rt_);
  if (!admin) {
    if (takeover) signal_old(SIGTTIN);
    std::fprintf(stderr, "[ALERT] %s\n", admin.error().message.c_str());
    return 1;
  }
  std::map<std::string, int> inherited;
  auto opened = rt_->open_listeners(inherited);
  if (!opened) {
    core::log(core::Level::Alert, "{}", opened.error().message);
    if (takeover) signal_old(SIGTTIN);
    std::fprintf(stderr, "[ALERT] Startup failed: %s\n", opened.error().message.c_str());
    return 1;
  }

  bool daemon = opt_.daemon || cfg_->global.daemon;
  std::string pidfile = !opt_.pidfile.empty() ? opt_.pidfile : cfg_->global.pidfile;
  if (daemon) {
    pid_t child = fork();
    if (child < 0) {
      std::fprintf(stderr, "[ALERT] cannot fork: %s\n", std::strerror(errno));
      return 1;
    }
    if (child > 0) {
      if (!pidfile.empty()) {
        if (FILE* f = std::fopen(pidfile.c_str(), "w")) {
          std::fprintf(f, "%d\n", child);
          std::fclose(f);
        }
      }
      return 0;
    }
    setsid();
    int devnull = ::open("/dev/null", O_RDWR);
    if (devnull >= 0) {
      dup2(devnull, 0);
      dup2(devnull, 1);
      if (!opt_.debug) dup2(devnull, 2);
      if (devnull > 2) ::close(devnull);
    }
  } else if (!pidfile.empty()) {
    if (FILE* f = std::fopen(pidfile.c_str(), "w")) {
      std::fprintf(f, "%d\n", getpid());
      std::fclose(f);
    } else {
      core::log(core::Level::Warning, "cannot write pid file {}: {}", pidfile, std::strerror(errno));
    }
  }

  // Old processes: finish (-sf: soft stop) or terminate (-st).
  for (pid_t p : opt_.finish_pids) ::kill(p, SIGUSR1);
  for (pid_t p : opt_.terminate_pids) ::kill(p, SIGTERM);

  // Signals are taken by a signalfd on the first worker; block them everywhere first so
  // that threads inherit the mask.
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGTERM, SIGINT, SIGUSR1, SIGUSR2, SIGTTOU, SIGTTIN, SIGHUP}) sigaddset(&set, s);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  uint32_t n = std::max<uint32_t>(1, cfg_->global.nbthread);
  for (uint32_t i = 0; i < n; ++i) workers_.push_back(std::make_unique<proxy::Worker>(*rt_, i));
  for (auto& w : workers_) rt_->workers.push_back(w.get());
  signals_ = std::make_unique<SignalWatcher>(*this, workers_[0]->loop());
  check::start(*rt_);   // health checks, agents, slowstart: run on the workers' loops
  admin::attach(*rt_, workers_, *admin);
  core::log(core::Level::Notice, "sluice {} started: {} frontend(s), {} backend(s), {} thread(s)",
            SLUICE_VERSION, rt_->frontends().size(), rt_->backends().size(), n);
  for (uint32_t i = 1; i < n; ++i) workers_[i]->start_thread();
  workers_[0]->run();
  for (uint32_t i = 1; i < n; ++i) workers_[i]->join();
  signals_.reset();
  admin::close_sockets();
  hard_stop_timer_.reset();
  workers_.clear();
  if (!pidfile.empty() && !daemon) {
    // Remove our pid file only if it still names us (a newer process may own it now).
    if (FILE* f = std::fopen(pidfile.c_str(), "r")) {
      int p = 0;
      if (std::fscanf(f, "%d", &p) == 1 && p == getpid()) ::unlink(pidfile.c_str());
      std::fclose(f);
    }
  }
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

void Process::soft_stop() {
  if (stopping_) return;
  stopping_ = true;
  core::log(core::Level::Notice, "Soft stop: closing listeners, finishing {} session(s).",
            rt_->cur_conns.load());
  rt_->soft_stopping = true;
  for_each_worker(&proxy::Worker::soft_stop);
  rt_->close_listeners();
  if (cfg_->global.hard_stop_after) {
    hard_stop_timer_ = std::make_unique<core::Timer>([this] {
      core::log(core::Level::Warning, "hard-stop-after reached: closing remaining sessions.");
      hard_stop();
    });
    auto& loop = workers_[0]->loop();
    hard_stop_timer_->arm(loop, loop.now() + static_cast<uint64_t>(cfg_->global.hard_stop_after->count()));
  }
}

void Process::hard_stop() {
  stopping_ = true;
  for_each_worker(&proxy::Worker::hard_stop);
}

}  // namespace sluice::app
