#include "app/master.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>

#include <fmt/format.h>

#include "admin/line_conn.h"
#include "app/handover.h"
#include "app/limits.h"
#include "app/privileges.h"
#include "app/process.h"
#include "app/sd_notify.h"
#include "core/clock.h"
#include "core/log.h"
#include "net/socket.h"
#include "proxy/runtime.h"

namespace sluice::app {

namespace {

constexpr int kSignals[] = {SIGTERM, SIGINT, SIGUSR1, SIGUSR2, SIGHUP, SIGCHLD, SIGTTOU, SIGTTIN};
constexpr size_t kMaxOldWorkers = 32;          // beyond this the oldest old worker is terminated
constexpr uint64_t kStartTimeoutMs = 30'000;   // a new worker must serve within this
constexpr uint64_t kChannelTimeoutMs = 2'000;  // a worker must answer the master within this

std::string uptime(uint64_t ms) {
  uint64_t s = ms / 1000;
  return fmt::format("{}d{:02}h{:02}m{:02}s", s / 86400, s / 3600 % 24, s / 60 % 60, s % 60);
}

// In a freshly forked worker: close every fd but stdio and `keep` (the master's epoll,
// signalfd, CLI and the other workers' channels must not leak into a worker).
void close_fds_except(const std::set<int>& keep) {
  std::vector<int> open;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    int dfd = ::dirfd(d);
    while (dirent* e = ::readdir(d)) {
      int fd = std::atoi(e->d_name);
      if (e->d_name[0] >= '0' && e->d_name[0] <= '9' && fd > 2 && fd != dfd && !keep.contains(fd)) open.push_back(fd);
    }
    ::closedir(d);
  }
  for (int fd : open) ::close(fd);
}

// The descriptors a configuration names as fd@N (binds, stats sockets, log targets).
std::set<int> inherited_fds(const config::Config& cfg) {
  std::set<int> out;
  auto add = [&](const config::Address& a) {
    if (a.kind == config::Address::Kind::Fd) out.insert(a.fd);
  };
  for (const auto& p : cfg.proxies) {
    for (const auto& b : p.binds) add(b.addr);
    for (const auto& l : p.logs) add(l.addr);
  }
  for (const auto& s : cfg.global.stats_sockets) add(s.addr);
  for (const auto& l : cfg.global.logs) add(l.addr);
  return out;
}

std::string socket_path(std::string spec) {
  if (auto comma = spec.find(','); comma != std::string::npos) spec.resize(comma);   // ",mode 600" etc.
  if (spec.starts_with("unix@")) spec.erase(0, 5);
  return spec;
}

}  // namespace

// ---- children -------------------------------------------------------------------------------

// Freed through the loop's deferred deletion: its channel or ready pipe may have an event
// pending in the very epoll batch that reaped it.
struct Master::Child : core::Deletable {
  pid_t pid = -1;
  uint32_t generation = 0;
  uint32_t reloads = 0;         // reloads survived as an old worker
  uint64_t start_ms = 0;
  WState state = WState::Starting;
  bool exited = false;
  std::unique_ptr<Channel> channel;
  std::unique_ptr<core::IoHandler> ready_watch;
  std::unique_ptr<core::Timer> start_timer;
  ~Child() override;   // defined once Channel is complete
};

// The master's end of a worker's runtime API channel (prompt mode: each reply ends "\n> ").
// One command in flight; the others wait their turn.
class Master::Channel final : public core::IoHandler {
 public:
  Channel(core::EventLoop& loop, int fd) : loop_(loop), fd_(fd), timer_([this] { broken(); }) {
    loop_.add(fd_, EPOLLIN | EPOLLRDHUP, this, true);
  }
  ~Channel() override { close_fd(); }

  void query(std::string cmd, Done done) {
    if (fd_ < 0) return done("");
    queue_.push_back({std::move(cmd), std::move(done)});
    if (queue_.size() == 1) send_front();
  }

  void on_io(uint32_t) override {
    char buf[16384];
    bool lost = false;   // EOF or error: answer what did arrive first, then fail the rest
    for (;;) {
      ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n > 0) {
        in_.append(buf, static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      lost = true;
      break;
    }
    while (!queue_.empty() && in_.ends_with("\n> ")) {
      std::string reply = in_.substr(0, in_.size() - 2);
      in_.clear();
      timer_.disarm();
      auto done = std::move(queue_.front().done);
      queue_.pop_front();
      if (!queue_.empty() && !lost) send_front();
      done(std::move(reply));
    }
    if (lost) broken();
  }

 private:
  struct Pending {
    std::string cmd;
    Done done;
  };
  void send_front() {
    std::string line = queue_.front().cmd + "\n";
    // Commands are short and the socket buffer empty between them: a blocking-free write
    // that does not complete means the worker is stuck.
    if (::send(fd_, line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT) != static_cast<ssize_t>(line.size()))
      return broken();
    timer_.arm(loop_, loop_.now() + kChannelTimeoutMs);
  }
  void broken() {
    close_fd();
    auto q = std::move(queue_);
    queue_.clear();
    for (auto& p : q) p.done("");
  }
  void close_fd() {
    timer_.disarm();
    if (fd_ < 0) return;
    loop_.remove(fd_);
    ::close(fd_);
    fd_ = -1;
  }
  core::EventLoop& loop_;
  int fd_;
  core::Timer timer_;
  std::string in_;
  std::deque<Pending> queue_;
};

Master::Child::~Child() = default;

namespace {
// Watches a new worker's ready pipe: "1\n" when serving, else its error then EOF.
class ReadyWatch final : public core::IoHandler {
 public:
  ReadyWatch(core::EventLoop& loop, int fd, std::function<void(bool, std::string)> done)
      : loop_(loop), fd_(fd), done_(std::move(done)) {
    loop_.add(fd_, EPOLLIN | EPOLLRDHUP, this, true);
  }
  ~ReadyWatch() override { close_fd(); }
  void on_io(uint32_t) override {
    char buf[4096];
    for (;;) {
      ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n > 0) {
        text_.append(buf, static_cast<size_t>(n));
        if (text_ == "1\n") return finish(true);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      return finish(false);
    }
  }

 private:
  void finish(bool ok) {
    close_fd();
    if (!done_) return;
    auto d = std::move(done_);
    done_ = nullptr;
    std::string why = text_;
    if (!ok && why.empty()) why = "the new worker exited before serving\n";
    d(ok, std::move(why));   // may destroy this object
  }
  void close_fd() {
    if (fd_ < 0) return;
    loop_.remove(fd_);
    ::close(fd_);
    fd_ = -1;
  }
  core::EventLoop& loop_;
  int fd_;
  std::function<void(bool, std::string)> done_;
  std::string text_;
};
}  // namespace

// ---- signals ----------------------------------------------------------------------------------


// ---- master CLI -------------------------------------------------------------------------------

namespace {
class CliConn final : public admin::LineConn {
 public:
  CliConn(Master& m, core::EventLoop& loop, int fd) : LineConn(loop, fd, "master> ", false), m_(m) {}

 private:
  // The master's commands are whole texts (`@1 show info` is forwarded as is): split on ';'
  // only, and trim.
  Result<std::vector<admin::Words>> split(std::string_view line) override {
    std::vector<admin::Words> out;
    size_t pos = 0;
    while (pos <= line.size()) {
      size_t semi = line.find(';', pos);
      std::string_view c = line.substr(pos, semi == std::string_view::npos ? std::string_view::npos : semi - pos);
      while (!c.empty() && c.front() == ' ') c.remove_prefix(1);
      while (!c.empty() && c.back() == ' ') c.remove_suffix(1);
      if (!c.empty()) out.push_back({std::string(c)});
      if (semi == std::string_view::npos) break;
      pos = semi + 1;
    }
    return out;
  }

  void run(const admin::Words& cmd) override {
    const std::string& c = cmd[0];
    auto done = later();
    auto reply = [done](std::string text) {
      if (!text.empty() && text.back() != '\n') text += "\n";
      done(text);
    };
    if (c == "help") {
      reply("help           : this message\n"
            "prompt         : toggle interactive mode with prompt\n"
            "quit           : disconnect\n"
            "show proc      : show processes status (pid, reloads, uptime, version, generation, sessions)\n"
            "reload         : reload the configuration; answers Success=1 or Success=0 and why\n"
            "show startup-logs : the messages of the last start or reload\n"
            "@<relative pid> : send a command to a worker (@1 is the current one)\n"
            "@!<pid>        : send a command to the worker with this pid\n");
    } else if (c == "show proc") {
      m_.show_proc(reply);
    } else if (c == "reload") {
      m_.reload(reply);
    } else if (c == "show startup-logs") {
      reply(m_.startup_logs());
    } else if (c.starts_with("@")) {
      auto sp = c.find(' ');
      if (sp == std::string::npos) reply("Missing command after the process target.\n");
      else m_.forward(std::string_view(c).substr(1, sp - 1), c.substr(sp + 1), reply);
    } else {
      reply("Unknown command. Please enter one of the following commands only :\n"
            "  help, prompt, quit, show proc, reload, show startup-logs, @<relative pid>, @!<pid>\n");
    }
  }

  Master& m_;
};
}  // namespace

class Master::CliAcceptor final : public core::IoHandler {
 public:
  CliAcceptor(Master& m, core::EventLoop& loop, int fd)
      : m_(m), loop_(loop), fd_(fd), retry_([this] { loop_.add(fd_, EPOLLIN, this, true); }) {
    loop_.add(fd_, EPOLLIN, this, true);
  }
  ~CliAcceptor() override {
    loop_.remove(fd_);
    ::close(fd_);
  }
  void on_io(uint32_t) override {
    for (int i = 0; i < 16; ++i) {
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (c < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
          // Out of descriptors: the client stays queued; do not spin on it, retry shortly.
          loop_.remove(fd_);
          retry_.arm(loop_, loop_.now() + 100);
        }
        return;
      }
      new CliConn(m_, loop_, c);   // owns itself
    }
  }

 private:
  Master& m_;
  core::EventLoop& loop_;
  int fd_;
  core::Timer retry_;
};

// ---- master -----------------------------------------------------------------------------------

Master::Master(Options opt, config::Config cfg) : opt_(std::move(opt)), cfg_(std::move(cfg)) {}

Master::~Master() {
  for (auto& [k, fd] : fds_) ::close(fd);
}

Result<void> Master::check_limits_and_identity(config::Config& cfg) {
  auto limits = apply_fd_limits(cfg);
  if (!limits) return fail(limits.error().message);
  auto identity = resolve_identity(cfg.global);
  if (!identity) return fail(identity.error().message);
  return {};
}

Result<std::map<std::string, int>> Master::open_listeners(const config::Config& cfg) {
  // Build the runtime once to validate what the configuration refers to, and let it open the
  // sockets we do not have yet.
  auto rt = proxy::Runtime::build(cfg);
  if (!rt) return fail(rt.error().message);
  std::map<std::string, int> have = fds_;
  auto opened = (*rt)->open_listeners(have);
  if (!opened) {
    for (auto& [key, fd] : (*rt)->listener_fds())
      if (!fds_.contains(key)) ::close(fd);
    return fail(opened.error().message);
  }
  std::map<std::string, int> out;
  for (auto& [key, fd] : (*rt)->listener_fds()) out.emplace(key, fd);
  return out;
}

int Master::run() {
  start_ms_ = core::monotonic_ms();
  // The workers inherit the descriptor limit and take the identity; the master checks
  // both first, so that a bad setting fails the start, not only its worker.
  if (auto r = check_limits_and_identity(cfg_); !r) {
    std::fprintf(stderr, "[ALERT] %s\n", r.error().message.c_str());
    return 1;
  }
  if (!opt_.fd_socket.empty()) {
    auto got = fetch_listeners(opt_.fd_socket);
    if (!got) {
      std::fprintf(stderr, "[ALERT] Failed to get the sockets from the old process: %s\n", got.error().message.c_str());
      return 1;
    }
    fds_ = std::move(*got);
  }
  auto fds = open_listeners(cfg_);
  if (!fds) {
    std::fprintf(stderr, "[ALERT] Startup failed: %s\n", fds.error().message.c_str());
    return 1;
  }
  for (auto& [k, fd] : fds_)
    if (!fds->contains(k) || fds->at(k) != fd) ::close(fd);
  fds_ = std::move(*fds);

  int cli_fd = -1;
  if (!opt_.master_socket.empty()) {
    auto fd = net::listen_unix(socket_path(opt_.master_socket), 10, 0600);
    if (!fd) {
      std::fprintf(stderr, "[ALERT] master CLI: %s\n", fd.error().message.c_str());
      return 1;
    }
    cli_fd = *fd;
  }
  std::string pidfile = !opt_.pidfile.empty() ? opt_.pidfile : cfg_.global.pidfile;
  if (opt_.daemon || cfg_.global.daemon) {
    pid_t child = fork();
    if (child < 0) {
      std::fprintf(stderr, "[ALERT] cannot fork: %s\n", std::strerror(errno));
      return 1;
    }
    if (child > 0) {
      if (FILE* f = pidfile.empty() ? nullptr : std::fopen(pidfile.c_str(), "w")) {
        std::fprintf(f, "%d\n", child);
        std::fclose(f);
      }
      std::_Exit(0);   // the parent's objects (sockets) belong to the daemon now
    }
    detach_from_terminal(opt_.debug);
  } else if (!pidfile.empty()) {
    if (FILE* f = std::fopen(pidfile.c_str(), "w")) {
      std::fprintf(f, "%d\n", getpid());
      std::fclose(f);
    }
  }

  sigset_t set;
  sigemptyset(&set);
  for (int s : kSignals) sigaddset(&set, s);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  signals_ = std::make_unique<SignalWatcher>(loop_, kSignals, [this](int sig) { on_signal(sig); });
  if (cli_fd >= 0) cli_ = std::make_unique<CliAcceptor>(*this, loop_, cli_fd);
  core::log(core::Level::Notice, "master-worker mode: master {} started", getpid());

  reloading_ = true;
  reload_start_us_ = core::monotonic_us();
  start_worker(cfg_, fds_, {});
  loop_.run();
  notify_stopping();
  cli_.reset();
  signals_.reset();
  children_.clear();
  if (!pidfile.empty() && !(opt_.daemon || cfg_.global.daemon)) {
    if (FILE* f = std::fopen(pidfile.c_str(), "r")) {
      int p = 0;
      if (std::fscanf(f, "%d", &p) == 1 && p == getpid()) ::unlink(pidfile.c_str());
      std::fclose(f);
    }
  }
  if (!opt_.master_socket.empty()) ::unlink(socket_path(opt_.master_socket).c_str());
  return exit_code_;
}

Master::Child* Master::current() {
  for (auto& c : children_)
    if (c->state == WState::Current && !c->exited) return c.get();
  return nullptr;
}

void Master::start_worker(config::Config cfg, std::map<std::string, int> fds, std::vector<ServerStateLine> state) {
  int ready[2], chan[2];
  if (::pipe2(ready, O_CLOEXEC) != 0) return finish_reload(false, fmt::format("pipe: {}\n", std::strerror(errno)));
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, chan) != 0) {
    ::close(ready[0]);
    ::close(ready[1]);
    return finish_reload(false, fmt::format("socketpair: {}\n", std::strerror(errno)));
  }
  std::fflush(nullptr);
  pid_t master_pid = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    for (int fd : {ready[0], ready[1], chan[0], chan[1]}) ::close(fd);
    return finish_reload(false, fmt::format("cannot fork a worker: {}\n", std::strerror(errno)));
  }
  if (pid == 0) {
    // The worker. Nothing of the master's loop may be touched from here on.
    // If the master dies abnormally (killed, crashed), its workers must not linger.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != master_pid) _exit(1);
    std::set<int> keep{ready[1], chan[1]};
    for (auto& [k, fd] : fds) keep.insert(fd);
    for (int fd : inherited_fds(cfg)) keep.insert(fd);   // fd@N: given to us, for the worker
    close_fds_except(keep);
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_UNBLOCK, &all, nullptr);
    net::set_nonblock(chan[1]);
    WorkerLaunch launch;
    launch.fds = std::move(fds);
    launch.state = std::move(state);
    launch.tables = pending_tables_;
    launch.ready_fd = ready[1];
    launch.channel_fd = chan[1];
    Options wopt = opt_;
    wopt.daemon = false;
    wopt.pidfile.clear();
    wopt.finish_pids.clear();
    wopt.terminate_pids.clear();
    Process p(std::move(wopt));
    int rc = p.run_worker(std::move(cfg), std::move(launch));
    std::fflush(nullptr);
    std::_Exit(rc);
  }
  ::close(ready[1]);
  ::close(chan[1]);
  net::set_nonblock(ready[0]);
  net::set_nonblock(chan[0]);
  auto c = std::make_unique<Child>();
  c->pid = pid;
  c->generation = ++generation_;
  c->start_ms = core::monotonic_ms();
  c->channel = std::make_unique<Channel>(loop_, chan[0]);
  Child* cp = c.get();
  c->ready_watch = std::make_unique<ReadyWatch>(loop_, ready[0], [this, cp](bool ok, std::string why) {
    on_started(*cp, ok, std::move(why));
  });
  c->start_timer = std::make_unique<core::Timer>([this, cp] {
    if (cp->state != WState::Starting) return;
    ::kill(cp->pid, SIGTERM);
    on_started(*cp, false, "the new worker did not start in time\n");
  });
  c->start_timer->arm(loop_, loop_.now() + kStartTimeoutMs);
  children_.push_back(std::move(c));
  core::debug("master: worker {} (generation {}) forked", pid, generation_);
}

void Master::on_started(Child& c, bool ok, std::string why) {
  if (c.state != WState::Starting) return;
  c.start_timer->disarm();
  if (!ok) {
    c.state = WState::Old;   // reaped when it exits
    core::log(core::Level::Alert, "master: worker {} failed to start: {}", c.pid, why);
    return finish_reload(false, std::move(why));
  }
  for (auto& o : children_) {
    if (o.get() == &c || o->exited) continue;
    if (o->state == WState::Current) {
      o->state = WState::Old;
      ::kill(o->pid, SIGUSR1);   // finish your sessions and leave
    }
    if (o->state == WState::Old) ++o->reloads;
  }
  c.state = WState::Current;
  enforce_limits();
  finish_reload(true, {});
}

void Master::finish_reload(bool ok, std::string text) {
  reloading_ = false;
  uint64_t took_us = core::monotonic_us() - reload_start_us_;
  if (ok) {
    // The sockets of the new configuration are now the reference; drop the others (the old
    // workers have their own copies).
    if (!pending_fds_.empty()) {
      for (auto& [k, fd] : fds_)
        if (!pending_fds_.contains(k) || pending_fds_.at(k) != fd) ::close(fd);
      fds_ = std::move(pending_fds_);
      pending_fds_.clear();
    }
    Child* c = current();
    core::log(core::Level::Notice, "master: worker {} (generation {}) serving, {} in {:.1f} ms", c ? c->pid : 0,
              c ? c->generation : 0, reloads_ ? "reloaded" : "started", static_cast<double>(took_us) / 1000.0);
  } else {
    for (auto& [k, fd] : pending_fds_)
      if (!fds_.contains(k) || fds_.at(k) != fd) ::close(fd);
    pending_fds_.clear();
    core::log(core::Level::Alert, "master: reload failed; the previous worker keeps serving");
    if (current() == nullptr && !reloads_) {
      // The very first worker failed: nothing serves, stop.
      exit_code_ = 1;
      stop_all(SIGTERM);
    }
  }
  last_log_ = reload_log_ + text;
  reload_log_.clear();
  if (ok || current() != nullptr) {
    if (!ready_notified_ || reloads_) notify_ready();
    ready_notified_ = true;
  }
  auto waiters = std::move(reload_waiters_);
  reload_waiters_.clear();
  std::string reply = fmt::format("Success={}\n--\n{}", ok ? 1 : 0, last_log_);
  for (auto& w : waiters) w(reply);
}

void Master::reload(Done done) {
  if (done) reload_waiters_.push_back(std::move(done));
  if (reloading_ || stopping_) {
    if (stopping_) finish_reload(false, "the master is stopping\n");
    return;   // the reload in progress answers every waiter
  }
  reloading_ = true;
  ++reloads_;
  reload_start_us_ = core::monotonic_us();
  notify_reloading();
  core::log(core::Level::Notice, "master: reloading the configuration");
  auto loaded = load_config(opt_);
  reload_log_ = loaded.messages;
  if (!loaded.cfg) return finish_reload(false, {});
  if (auto r = check_limits_and_identity(*loaded.cfg); !r)
    return finish_reload(false, fmt::format("[ALERT] {}\n", r.error().message));
  auto fds = open_listeners(*loaded.cfg);
  if (!fds) return finish_reload(false, fmt::format("[ALERT] {}\n", fds.error().message));
  pending_fds_ = *fds;
  auto cfg = std::make_shared<config::Config>(std::move(*loaded.cfg));
  // The new worker starts with the current one's server state (admin state, weights,
  // addresses, health); files named by load-server-state-from-file serve when it has none.
  auto go = [this, cfg](std::string answer) {
    if (stopping_) return finish_reload(false, "the master is stopping\n");
    auto [state_text, tables] = split_state_and_tables(answer);
    pending_tables_ = std::move(tables);
    std::vector<ServerStateLine> state = parse_server_state(state_text);
    auto files = read_state_files(*cfg);
    if (!files) return finish_reload(false, fmt::format("[ALERT] {}\n", files.error().message));
    if (state.empty()) state = std::move(*files);   // the live state wins over files
    start_worker(*cfg, pending_fds_, std::move(state));
  };
  Child* c = current();
  if (c && c->channel) c->channel->query("show servers state;_dumptables", go);
  else go("");
}

void Master::show_proc(Done done) {
  // Rows are snapshots: a worker may exit (and be freed) before its answer comes back.
  struct Row {
    pid_t pid;
    WState state;
    uint32_t reloads, generation;
    uint64_t start_ms;
    std::string sessions = "?";
  };
  struct Gather {
    std::vector<Row> rows;
    size_t left = 0;
    Done done;
  };
  auto g = std::make_shared<Gather>();
  g->done = std::move(done);
  uint64_t now = core::monotonic_ms();
  auto finish = [this, g, now] {
    std::string out = fmt::format("#{:<14} {:<15} {:<15} {:<15} {:<15} {:<15} {}\n", "<PID>", "<type>", "<reloads>",
                                  "<uptime>", "<version>", "<generation>", "<sessions>");
    out += fmt::format("{:<15} {:<15} {:<15} {:<15} {:<15} {:<15} {}\n", getpid(), "master", reloads_,
                       uptime(now - start_ms_), SLUICE_VERSION, "-", "-");
    for (WState st : {WState::Current, WState::Old}) {
      out += st == WState::Current ? "# workers\n" : "# old workers\n";
      for (auto& r : g->rows)
        if (r.state == st)
          out += fmt::format("{:<15} {:<15} {:<15} {:<15} {:<15} {:<15} {}\n", r.pid, "worker", r.reloads,
                             uptime(now - r.start_ms), SLUICE_VERSION, r.generation, r.sessions);
    }
    g->done(out);
  };
  std::vector<Child*> asked;
  for (auto& c : children_) {
    if (c->exited || c->state == WState::Starting) continue;
    g->rows.push_back(Row{c->pid, c->state, c->reloads, c->generation, c->start_ms});
    asked.push_back(c.get());
  }
  g->left = g->rows.size();
  if (g->left == 0) return finish();
  for (size_t i = 0; i < asked.size(); ++i) {
    asked[i]->channel->query("show info", [g, i, finish](std::string info) {
      auto p = info.find("CurrConns: ");
      if (p != std::string::npos) g->rows[i].sessions = std::to_string(std::atoi(info.c_str() + p + 11));
      if (--g->left == 0) finish();
    });
  }
}

void Master::forward(std::string_view target, std::string cmd, Done done) {
  Child* to = nullptr;
  if (target.starts_with("!")) {
    pid_t pid = std::atoi(std::string(target.substr(1)).c_str());
    for (auto& c : children_)
      if (c->pid == pid && !c->exited) to = c.get();
  } else {
    int rel = std::atoi(std::string(target).c_str());
    if (rel == 0) return done("The master has no runtime API of its own; use @1 for the current worker.\n");
    // @1 is the current worker, @2 the previous one, and so on.
    std::vector<Child*> live;
    for (auto it = children_.rbegin(); it != children_.rend(); ++it)
      if (!(*it)->exited && (*it)->state != WState::Starting) live.push_back(it->get());
    if (rel >= 1 && static_cast<size_t>(rel) <= live.size()) to = live[static_cast<size_t>(rel) - 1];
  }
  if (to == nullptr || !to->channel) return done("Can't find the target PID matching the prefix\n");
  to->channel->query(std::move(cmd), [done](std::string r) {
    // Drop the worker's own framing (the empty line that ends a reply).
    if (r.ends_with("\n\n")) r.pop_back();
    done(std::move(r));
  });
}

void Master::enforce_limits() {
  std::vector<Child*> old;
  for (auto& c : children_)
    if (!c->exited && c->state == WState::Old) old.push_back(c.get());
  auto max = cfg_.global.mworker_max_reloads;
  size_t excess = old.size() > kMaxOldWorkers ? old.size() - kMaxOldWorkers : 0;
  for (Child* c : old) {   // oldest first
    bool over = (max && c->reloads > *max) || excess > 0;
    if (!over) continue;
    if (excess > 0) --excess;
    core::log(core::Level::Warning, "master: old worker {} (generation {}) terminated: {} reloads survived, {} old workers",
              c->pid, c->generation, c->reloads, old.size());
    ::kill(c->pid, SIGTERM);
  }
}

void Master::stop_all(int sig) {
  stopping_ = true;
  bool any = false;
  for (auto& c : children_)
    if (!c->exited) {
      ::kill(c->pid, sig);
      any = true;
    }
  if (!any) loop_.stop();
}

void Master::on_signal(int sig) {
  switch (sig) {
    case SIGUSR2:
    case SIGHUP: reload(nullptr); break;
    case SIGUSR1:
      core::log(core::Level::Notice, "master: soft stop of every worker (SIGUSR1)");
      notify_stopping();
      stop_all(SIGUSR1);
      break;
    case SIGTERM:
    case SIGINT:
      core::log(core::Level::Notice, "master: stopping every worker (signal {})", sig);
      notify_stopping();
      stop_all(SIGTERM);
      break;
    case SIGTTOU:
    case SIGTTIN:
      for (auto& c : children_)
        if (!c->exited) ::kill(c->pid, sig);
      break;
    case SIGCHLD: reap(); break;
    default: break;
  }
}

void Master::reap() {
  for (;;) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) break;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    for (auto& c : children_) {
      if (c->pid != pid) continue;
      c->exited = true;
      WState was = c->state;
      if (was == WState::Starting) {
        on_started(*c, false, fmt::format("the new worker exited with code {} before serving\n", code));
      } else if (was == WState::Current && !stopping_) {
        core::log(core::Level::Alert, "master: current worker {} exited with code {}", pid, code);
        if (!cfg_.global.master_worker_no_exit_on_failure) {
          exit_code_ = code ? code : 1;
          stop_all(SIGTERM);
        }
      } else {
        core::log(core::Level::Notice, "master: former worker {} (generation {}) exited with code {}", pid,
                  c->generation, code);
      }
    }
  }
  for (auto& c : children_)
    if (c->exited && c->state != WState::Starting) loop_.defer_delete(std::move(c));
  std::erase(children_, nullptr);
  if (stopping_ && children_.empty()) loop_.stop();
}

}  // namespace sluice::app
