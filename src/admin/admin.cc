// The stats sockets: listening, one connection object per client, reply framing, one-shot
// and `prompt` modes, `stats timeout`. Everything runs on worker 0's loop, non-blocking.
#include "admin/admin.h"

#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>

#include "admin/commands.h"
#include "app/handover.h"
#include "core/log.h"
#include "net/socket.h"

namespace sluice::admin {

namespace {

class Conn;

struct State {
  proxy::Runtime* rt = nullptr;
  core::EventLoop* loop = nullptr;
  Sockets socks;
  std::vector<std::unique_ptr<core::IoHandler>> acceptors;
  std::vector<Conn*> conns;
  uint64_t timeout_ms = 10'000;
};
State& state() {
  static State s;
  return s;
}

class Conn final : public core::IoHandler, public core::Deletable {
 public:
  // `expose_fd`: the socket has `expose-fd listeners` (`_getsocks` allowed). `master`: the
  // master's channel to this worker: prompt mode, no idle timeout, not counted in maxconn.
  Conn(int fd, Level level, bool expose_fd, bool master = false)
      : fd_(fd), ctx_{*state().rt, *state().loop, level, 0}, idle_([this] { close(); }),
        expose_fd_(expose_fd), master_(master) {
    alive_ = std::make_shared<bool>(true);
    prompt_ = master;
    state().loop->add(fd_, EPOLLIN | EPOLLRDHUP, this, true);
    if (!master_) state().conns.push_back(this);
    arm_idle();
  }
  ~Conn() override = default;

  void on_io(uint32_t ev) override {
    if (closed_) return;
    if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) read_some();
    if (closed_) return;
    if (ev & EPOLLOUT) flush();
    if (!closed_) process();
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    *alive_ = false;
    idle_.disarm();
    state().loop->remove(fd_);
    ::close(fd_);
    auto& v = state().conns;
    v.erase(std::remove(v.begin(), v.end(), this), v.end());
    state().loop->defer_delete(std::unique_ptr<core::Deletable>(this));
  }

 private:
  void arm_idle() {
    if (state().timeout_ms && !master_) idle_.arm(*state().loop, state().loop->now() + state().timeout_ms);
  }

  void read_some() {
    char buf[4096];
    for (;;) {
      ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n > 0) {
        if (!eof_) in_.append(buf, static_cast<size_t>(n));
        continue;
      }
      if (n == 0) {
        eof_ = true;
        break;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return close();
    }
    arm_idle();
  }

  // Runs queued commands one after the other; an asynchronous one stops the loop until its
  // reply arrives (which calls process() again).
  void process() {
    while (!closed_ && !pending_) {
      if (queue_.empty()) {
        if (line_done_) {
          line_done_ = false;
          if (!prompt_ || quit_) {
            done_ = true;
            break;
          }
          out_ += "> ";
        }
        auto nl = in_.find('\n');
        std::string line;
        if (nl != std::string::npos) {
          line = in_.substr(0, nl);
          in_.erase(0, nl + 1);
        } else if (in_.size() > kMaxLine) {
          out_ += "Command line too long.\n\n";
          done_ = true;
          break;
        } else if (eof_ && !in_.empty()) {
          line = std::move(in_);
          in_.clear();
        } else {
          if (eof_) done_ = true;
          break;
        }
        auto cmds = tokenize(line);
        if (!cmds) {
          out_ += cmds.error().message + "\n\n";
        } else {
          for (auto& c : *cmds) queue_.push_back(std::move(c));
        }
        line_done_ = true;
        continue;
      }
      Words cmd = std::move(queue_.front());
      queue_.pop_front();
      run(cmd);
    }
    flush();
  }

  void run(const Words& w) {
    // Session commands, handled here (they change the connection, not the process).
    if (w.size() == 1 && w[0] == "prompt") {
      prompt_ = !prompt_;
      return;
    }
    if (w.size() == 1 && w[0] == "quit") {
      quit_ = true;
      queue_.clear();
      return;
    }
    if (w.size() == 1 && (w[0] == "user" || w[0] == "operator")) {
      Level l = w[0] == "user" ? Level::User : Level::Operator;
      if (allowed(ctx_.level, l)) ctx_.level = l;   // only ever lowers the level
      else out_ += "Permission denied\n\n";
      return;
    }
    if (w.size() == 1 && w[0] == "_getsocks") return getsocks();
    if (w.size() == 3 && w[0] == "show" && w[1] == "cli" && w[2] == "level") {
      out_ += std::string(to_string(ctx_.level)) + "\n\n";
      return;
    }
    pending_ = true;
    sync_ = true;
    idle_.disarm();
    std::weak_ptr<bool> alive = alive_;
    dispatch(ctx_, w, [this, alive](std::string text) {
      auto live = alive.lock();
      if (!live || !*live) return;
      out_ += text;
      out_ += "\n";
      pending_ = false;
      arm_idle();
      if (!sync_) process();
    });
    sync_ = false;
  }

  // `_getsocks`: hands the listening sockets to a new process (app/handover.h has the
  // protocol), then closes. Only on a socket with `expose-fd listeners` and admin level.
  void getsocks() {
    if (!expose_fd_ || ctx_.level != Level::Admin) {
      out_ += "Permission denied\n\n";
      return;
    }
    flush();
    auto r = app::send_listeners(fd_, state().rt->listener_fds());
    if (!r) core::log(core::Level::Warning, "_getsocks: {}", r.error().message);
    queue_.clear();
    out_.clear();
    done_ = true;
  }

  void flush() {
    while (!out_.empty()) {
      ssize_t n = ::send(fd_, out_.data(), out_.size(), MSG_NOSIGNAL);
      if (n > 0) {
        out_.erase(0, static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        if (!want_out_) {
          want_out_ = true;
          state().loop->modify(fd_, EPOLLIN | EPOLLOUT | EPOLLRDHUP, this, true);
        }
        return;
      }
      return close();
    }
    if (want_out_) {
      want_out_ = false;
      state().loop->modify(fd_, EPOLLIN | EPOLLRDHUP, this, true);
    }
    if (done_ && !pending_) {
      ::shutdown(fd_, SHUT_WR);
      close();
    }
  }

  int fd_;
  Context ctx_;
  core::Timer idle_;
  std::shared_ptr<bool> alive_;
  std::string in_, out_;
  std::deque<Words> queue_;
  bool prompt_ = false, quit_ = false, eof_ = false, done_ = false, closed_ = false;
  bool pending_ = false, sync_ = false, line_done_ = false, want_out_ = false;
  bool expose_fd_ = false, master_ = false;
};

class Acceptor final : public core::IoHandler {
 public:
  Acceptor(int fd, Level level, bool expose_fd) : fd_(fd), level_(level), expose_fd_(expose_fd) {
    state().loop->add(fd_, EPOLLIN, this, true);
  }
  ~Acceptor() override { state().loop->remove(fd_); }
  void on_io(uint32_t) override {
    for (int i = 0; i < 64; ++i) {
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (c < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
          core::log(core::Level::Warning, "stats socket accept: {}", std::strerror(errno));
        return;
      }
      if (state().conns.size() >= std::max<uint32_t>(state().rt->config().global.stats_maxconn, 1)) {
        ::close(c);   // like haproxy: over `stats maxconn`, refuse
        continue;
      }
      new Conn(c, level_, expose_fd_);   // owns itself; freed by Conn::close()
    }
  }

 private:
  int fd_;
  Level level_;
  bool expose_fd_;
};

Result<int> open_one(const config::StatsSocket& spec) {
  if (spec.addr.kind == config::Address::Kind::Unix) {
    auto fd = net::listen_unix(spec.addr.path, 10, spec.mode);
    if (!fd) return fd;
    std::optional<uid_t> uid = spec.uid;
    std::optional<gid_t> gid = spec.gid;
    if (!spec.user.empty()) {
      passwd* pw = ::getpwnam(spec.user.c_str());
      if (!pw) return fail("stats socket " + spec.addr.path + ": unknown user " + spec.user);
      uid = pw->pw_uid;
    }
    if (!spec.group.empty()) {
      group* gr = ::getgrnam(spec.group.c_str());
      if (!gr) return fail("stats socket " + spec.addr.path + ": unknown group " + spec.group);
      gid = gr->gr_gid;
    }
    if ((uid || gid) && ::chown(spec.addr.path.c_str(), uid ? *uid : static_cast<uid_t>(-1),
                                gid ? *gid : static_cast<gid_t>(-1)) != 0) {
      int e = errno;
      ::close(*fd);
      return fail(fmt::format("cannot change owner of stats socket {}: {}", spec.addr.path,
                              std::strerror(e)));
    }
    return fd;
  }
  if (spec.addr.kind == config::Address::Kind::Inet && spec.addr.sa.ss_family != AF_UNSPEC) {
    net::ListenOptions opt;
    opt.backlog = 10;
    auto fd = net::listen_on(reinterpret_cast<const sockaddr*>(&spec.addr.sa), spec.addr.sa_len, opt);
    if (!fd) return fail("stats socket " + spec.addr.text + ": " + fd.error().message);
    return fd;
  }
  return fail("stats socket " + spec.addr.text + ": unsupported address");
}

}  // namespace

Result<Sockets> open_sockets(proxy::Runtime& rt) {
  Sockets out;
  for (const auto& spec : rt.config().global.stats_sockets) {
    auto fd = open_one(spec);
    if (!fd) {
      for (int f : out.fds) ::close(f);
      return fail(fd.error().message);
    }
    out.fds.push_back(*fd);
    out.specs.push_back(spec);
  }
  return out;
}

void attach(proxy::Runtime& rt, std::vector<std::unique_ptr<proxy::Worker>>& workers, Sockets& s) {
  if (workers.empty()) return;
  State& st = state();
  st.rt = &rt;
  st.loop = &workers[0]->loop();
  if (auto t = rt.config().global.stats_timeout) st.timeout_ms = static_cast<uint64_t>(t->count());
  if (rt.start_wall_s == 0) rt.start_wall_s = static_cast<uint64_t>(time(nullptr));
  install_waiter_hooks(*st.loop);
  st.socks = std::move(s);
  for (size_t i = 0; i < st.socks.fds.size(); ++i)
    st.acceptors.push_back(std::make_unique<Acceptor>(st.socks.fds[i], st.socks.specs[i].level,
                                                      st.socks.specs[i].expose_fd_listeners));
}

void adopt_master_channel(int fd) {
  if (state().loop == nullptr) return;
  new Conn(fd, Level::Admin, false, true);   // owns itself; freed by Conn::close()
}

void close_sockets() {
  State& st = state();
  drop_waiters();
  while (!st.conns.empty()) st.conns.back()->close();
  st.acceptors.clear();
  for (int fd : st.socks.fds) ::close(fd);
  st.socks.fds.clear();
}

}  // namespace sluice::admin
