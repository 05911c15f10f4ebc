// The stats sockets: listening, one connection object per client, reply framing, one-shot
// and `prompt` modes, `stats timeout`. Everything runs on worker 0's loop, non-blocking.
#include "admin/admin.h"

#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>

#include "admin/commands.h"
#include "admin/line_conn.h"
#include "app/handover.h"
#include "core/log.h"
#include "net/socket.h"
#include "rules/global_vars.h"

namespace sluice::admin {

namespace {

class Conn;
class Acceptor;

struct State {
  proxy::Runtime* rt = nullptr;
  core::EventLoop* loop = nullptr;
  Sockets socks;
  std::vector<std::unique_ptr<Acceptor>> acceptors;
  std::vector<Conn*> conns;
  uint64_t timeout_ms = 10'000;
};
// Defined after Acceptor: destroying the state needs the complete type.
State& state();

// `stats maxconn`: the number of client connections served at once (the master's channel
// is not one of them).
size_t max_conns() { return std::max<uint32_t>(state().rt->config().global.stats_maxconn, 1); }
void resume_accepting();

// A stats socket client. `expose_fd`: the socket has `expose-fd listeners` (`_getsocks`
// allowed). `master`: the master's channel to this worker: prompt mode, no idle timeout,
// not counted in `stats maxconn`.
class Conn final : public LineConn {
 public:
  Conn(int fd, Level level, bool expose_fd, bool master = false)
      : LineConn(*state().loop, fd, "> ", master), ctx_{*state().rt, *state().loop, level, 0},
        idle_([this] { close(); }), expose_fd_(expose_fd), master_(master) {
    if (!master_) state().conns.push_back(this);
    on_idle_change(true);
  }

 private:
  Result<std::vector<Words>> split(std::string_view line) override { return tokenize(line); }

  void on_idle_change(bool waiting_for_client) override {
    if (!waiting_for_client) idle_.disarm();
    else if (state().timeout_ms && !master_) idle_.arm(loop(), loop().now() + state().timeout_ms);
  }

  void on_closed() override {
    idle_.disarm();
    auto& v = state().conns;
    bool counted = std::erase(v, this) > 0;
    if (counted) resume_accepting();
  }

  void run(const Words& w) override {
    // Session commands, handled here (they change the connection, not the process).
    if (w.size() == 1 && (w[0] == "user" || w[0] == "operator")) {
      Level l = w[0] == "user" ? Level::User : Level::Operator;
      if (allowed(ctx_.level, l)) ctx_.level = l;   // only ever lowers the level
      else write("Permission denied\n\n");
      return;
    }
    if (w.size() == 1 && w[0] == "_getsocks") return getsocks();
    if (w.size() >= 2 && w[0] == "get" && w[1] == "var" && allowed(ctx_.level, Level::Operator)) {
      // HAProxy answers a variable it found without the empty line that ends every other
      // answer (scripts and its reg-tests expect exactly that); its errors have the line.
      std::string t = rules::cli_get_var(w.size() > 2 ? std::string_view(w[2]) : std::string_view());
      return write(t.starts_with("proc.") ? t : t + "\n");
    }
    if (w.size() == 2 && w[0] == "experimental-mode" && (w[1] == "on" || w[1] == "off")) {
      if (!allowed(ctx_.level, Level::Admin)) return write("Permission denied\n\n");
      ctx_.experimental = w[1] == "on";
      return write("\n");
    }
    if (w.size() == 3 && w[0] == "show" && w[1] == "cli" && w[2] == "level") {
      write(std::string(to_string(ctx_.level)) + "\n\n");
      return;
    }
    auto done = later();
    dispatch(ctx_, w, [done](std::string text) { done(text + "\n"); });
  }

  // `_getsocks`: hands the listening sockets to a new process (app/handover.h has the
  // protocol), then closes. Only on a socket with `expose-fd listeners` and admin level.
  void getsocks() {
    if (!expose_fd_ || ctx_.level != Level::Admin) {
      write("Permission denied\n\n");
      return;
    }
    flush();
    auto r = app::send_listeners(fd(), state().rt->listener_fds());
    if (!r) core::log(core::Level::Warning, "_getsocks: {}", r.error().message);
    discard_output();
    end_session();
  }

  Context ctx_;
  core::Timer idle_;
  bool expose_fd_ = false, master_ = false;
};

// Over `stats maxconn`, as haproxy: the sockets are no longer polled and new clients wait in
// the kernel's backlog (its size is `stats maxconn` too) until a connection ends.
class Acceptor final : public core::IoHandler {
 public:
  Acceptor(int fd, Level level, bool expose_fd)
      : fd_(fd), level_(level), expose_fd_(expose_fd), retry_([this] { state().loop->add(fd_, EPOLLIN, this, true); }) {
    state().loop->add(fd_, EPOLLIN, this, true);
  }
  ~Acceptor() override { state().loop->remove(fd_); }
  void on_io(uint32_t) override {
    for (int i = 0; i < 64; ++i) {
      if (state().conns.size() >= max_conns()) return pause();
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (c < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
          // The client stays queued and would be reported again at once: stop watching for
          // a while instead of spinning (the proxy listeners say so in the log).
          state().loop->remove(fd_);
          retry_.arm(*state().loop, state().loop->now() + 100);
          return;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK)
          core::log(core::Level::Warning, "stats socket accept: {}", std::strerror(errno));
        return;
      }
      new Conn(c, level_, expose_fd_);   // owns itself; freed by Conn::close()
    }
  }
  void resume() {
    if (!paused_) return;
    paused_ = false;
    state().loop->modify(fd_, EPOLLIN, this, true);   // level-triggered: waiting clients fire
  }

 private:
  void pause() {
    if (paused_) return;
    paused_ = true;
    state().loop->modify(fd_, 0, this, true);
  }
  int fd_;
  Level level_;
  bool expose_fd_;
  core::Timer retry_;     // out of descriptors: watch again after a pause
  bool paused_ = false;   // at stats maxconn
};

State& state() {
  static State s;
  return s;
}

void resume_accepting() {
  if (state().conns.size() >= max_conns()) return;
  for (auto& a : state().acceptors) a->resume();
}

// The backlog is `stats maxconn`, as haproxy's (a listener's backlog defaults to its maxconn).
Result<int> open_one(const config::StatsSocket& spec, int backlog) {
  if (spec.addr.kind == config::Address::Kind::Unix) {
    auto fd = net::listen_unix(spec.addr.path, backlog, spec.mode);
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
  if (spec.addr.kind == config::Address::Kind::Fd) {   // `stats socket fd@N`: a listener given to us
    if (auto ok = net::adopt_listener(spec.addr.fd); !ok) return fail("stats socket " + ok.error().message);
    return spec.addr.fd;
  }
  if (spec.addr.kind == config::Address::Kind::Inet && spec.addr.sa.ss_family != AF_UNSPEC) {
    net::ListenOptions opt;
    opt.backlog = backlog;
    auto fd = net::listen_on(reinterpret_cast<const sockaddr*>(&spec.addr.sa), spec.addr.sa_len, opt);
    if (!fd) return fail("stats socket " + spec.addr.text + ": " + fd.error().message);
    return fd;
  }
  return fail("stats socket " + spec.addr.text + ": unsupported address");
}

}  // namespace

Result<Sockets> open_sockets(proxy::Runtime& rt) {
  Sockets out;
  int backlog = static_cast<int>(std::clamp<uint32_t>(rt.config().global.stats_maxconn, 1, 4096));
  for (const auto& spec : rt.config().global.stats_sockets) {
    auto fd = open_one(spec, backlog);
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
