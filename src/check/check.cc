#include "check/check.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>

#include "backend/backend.h"
#include "backend/state.h"
#include "check/server_checks.h"
#include "core/assert.h"
#include "core/log.h"
#include "net/socket.h"
#include "proxy/runtime.h"
#include "proxy/worker.h"

namespace sluice::check {

using backend::CheckStatus;
using backend::OpState;
using backend::AdminState;

// ---- Prober -----------------------------------------------------------------------------

Prober::Prober(core::EventLoop& loop, Script script, Done done)
    : loop_(loop), script_(std::move(script)), done_(std::move(done)), timeout_([this] { on_timeout(); }) {}

Prober::~Prober() { close_fd(); }

void Prober::cancel() {
  timeout_.disarm();
  close_fd();
  state_ = State::Idle;
}

void Prober::run(const sockaddr_storage& target, uint16_t port, ProbeTiming timing) {
  SLUICE_ASSERT(state_ == State::Idle, "probe already running");
  target_ = target;
  port_ = port;
  timing_ = timing;
  start_ms_ = loop_.refresh_now();
  step_ = 0;
  in_.clear();
  out_.clear();
  timeout_.arm(loop_, start_ms_ + timing_.total_ms);
  connect_to(script_.steps.front().port);
}

void Prober::connect_to(std::optional<uint16_t> port) {
  close_fd();
  eof_ = false;
  in_.clear();
  out_.clear();
  sockaddr_storage ss = target_;
  uint16_t p = port.value_or(port_);
  if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)
    return finish(Verdict::fail(CheckStatus::L4Con, "No address for health check"));
  if (p == 0) return finish(Verdict::fail(CheckStatus::L4Con, "No port for health check"));
  net::set_port(ss, p);
  int err = 0;
  fd_ = net::connect_start(reinterpret_cast<const sockaddr*>(&ss), net::sockaddr_len(ss), err);
  if (fd_ < 0) {
    state_ = State::Connecting;   // finish() expects a running probe
    return finish(Verdict::fail(CheckStatus::L4Con, std::strerror(err)));
  }
  state_ = State::Connecting;
  // Connect is bounded by `timeout connect` (at most the whole probe's budget).
  uint64_t now = loop_.now();
  timeout_.arm(loop_, std::min(now + timing_.connect_ms, start_ms_ + timing_.total_ms));
  // A new registration: events of the previous socket (a Connect step, or the last run
  // finished from inside this batch) never reach this one, even with the same fd number.
  watch_.start(loop_, fd_, EPOLLIN | EPOLLOUT | EPOLLRDHUP, this);
}

void Prober::on_io(uint32_t events) {
  if (state_ == State::Connecting) {
    if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
    if (int err = net::connect_result(fd_); err != 0)
      return finish(Verdict::fail(CheckStatus::L4Con, std::strerror(err)));
    state_ = State::Active;
    timeout_.arm(loop_, start_ms_ + timing_.total_ms);
    ++step_;
    return advance();
  }
  if (state_ != State::Active) return;
  if (events & EPOLLOUT) flush();
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) read_all();
  advance();
}

void Prober::advance() {
  while (state_ == State::Active) {
    if (step_ >= script_.steps.size()) {
      // Nothing left to expect: pass (a TCP check passes once connected).
      return finish(Verdict::pass(script_.done));
    }
    Step& st = script_.steps[step_];
    switch (st.kind) {
      case Step::Kind::Connect:
        return connect_to(st.port);
      case Step::Kind::Send:
        out_ += st.data;
        ++step_;
        flush();
        break;
      case Step::Kind::Expect: {
        Verdict v = st.match(in_, eof_);
        if (v.kind == Verdict::Kind::NeedMore) return;
        if (v.kind == Verdict::Kind::Fail || step_ + 1 == script_.steps.size()) return finish(v);
        in_.clear();
        ++step_;
        break;
      }
    }
  }
}

void Prober::flush() {
  while (!out_.empty()) {
    ssize_t n = ::send(fd_, out_.data(), out_.size(), MSG_NOSIGNAL);
    if (n > 0) {
      out_.erase(0, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    out_.clear();   // EPIPE/ECONNRESET: the expect step will see EOF
    return;
  }
}

void Prober::read_all() {
  char buf[4096];
  while (!eof_) {
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n > 0) {
      if (in_.size() < 65536) in_.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    eof_ = true;   // 0 or a hard error (ECONNRESET)
  }
}

void Prober::on_timeout() {
  if (state_ == State::Connecting) return finish(Verdict::fail(CheckStatus::L4Tout, {}));
  if (state_ == State::Active) {
    if (!in_.empty() || eof_) {   // let the matcher judge what it has
      Verdict v = script_.steps[std::min(step_, script_.steps.size() - 1)].kind == Step::Kind::Expect
                      ? script_.steps[step_].match(in_, true)
                      : Verdict::more();
      if (v.kind == Verdict::Kind::Pass) return finish(v);
    }
    return finish(Verdict::fail(script_.timeout, {}));
  }
}

void Prober::finish(const Verdict& v) {
  if (state_ == State::Idle) return;
  close_fd();
  timeout_.disarm();
  state_ = State::Idle;
  int64_t dur = static_cast<int64_t>(loop_.refresh_now() - start_ms_);
  done_(v, dur);   // last: done_ may run() us again
}

void Prober::close_fd() {
  if (fd_ < 0) return;
  watch_.stop_before_close();
  // RST instead of FIN: thousands of checks a second must not pile up TIME_WAIT sockets.
  net::set_linger_reset(fd_);
  ::close(fd_);
  fd_ = -1;
}

// ---- timing -------------------------------------------------------------------------------

uint64_t next_interval(const config::ServerConfig& c, const Health& h) {
  uint64_t inter = static_cast<uint64_t>(c.inter.count());
  if (h.value() == 0 && c.downinter) return static_cast<uint64_t>(c.downinter->count());
  if (h.transitioning() && c.fastinter) return static_cast<uint64_t>(c.fastinter->count());
  return inter;
}

namespace {

ProbeTiming timing_for(const backend::Server& s, uint64_t inter) {
  const auto& t = s.backend().config().timeouts;
  if (t.check) {
    // HAProxy: with `timeout check`, connect gets min(timeout connect, inter) and the
    // check timeout is an additional read timeout.
    uint64_t conn = std::min<uint64_t>(t.connect ? static_cast<uint64_t>(t.connect->count()) : inter, inter);
    return {conn, conn + static_cast<uint64_t>(t.check->count())};
  }
  return {t.connect ? std::min<uint64_t>(static_cast<uint64_t>(t.connect->count()), inter) : inter, inter};
}

Script health_script(const config::CheckConfig& c) {
  using K = config::CheckConfig::Kind;
  switch (c.kind) {
    case K::Http: return http_script(c);
    case K::SslHello: return ssl_hello_script();
    case K::TcpCheck: return tcp_check_script(c);
    default: return tcp_script();   // smtp/mysql/...: TODO(checks): protocol probes; TCP for now
  }
}

struct Registry {
  std::mutex mu;
  proxy::Runtime* rt = nullptr;
  std::vector<std::unique_ptr<ServerChecks>> all;
  size_t next_worker = 0;
  bool observer_added = false;
};
Registry& registry() {
  static Registry* r = new Registry;   // never destroyed: see check.h "Lifetime"
  return *r;
}

void kill_sessions_where(proxy::Runtime& rt, std::function<bool(const backend::Server&)> pred, const char* why) {
  rt.post_all([pred = std::move(pred), why](proxy::Worker& w) {
    std::vector<proxy::Session*> victims;
    w.sessions().for_each([&](proxy::Session& s) {
      if (backend::Server* srv = s.server(); srv != nullptr && pred(*srv)) victims.push_back(&s);
    });
    for (auto* s : victims) s->kill(why);
  });
}

bool needs_checks(const config::ServerConfig& c) {
  return c.check || c.agent_check || c.slowstart.count() > 0;
}

}  // namespace

// ---- ServerChecks ---------------------------------------------------------------------------

ServerChecks::ServerChecks(proxy::Runtime* rt, backend::Server& s, core::EventLoop& loop, uint32_t spread_pct)
    : rt_(rt), s_(s), loop_(loop), spread_pct_(spread_pct), rng_(s.index() * 2654435761u + 1),
      health_(s.config().rise, s.config().fall, s.config().init_state.value_or(config::InitState::Up)),
      health_timer_([this] { run_health(); }),
      agent_timer_([this] { run_agent(); }),
      slowstart_timer_([this] { slowstart_tick(); }) {
  const auto& c = s.config();
  if (c.check) {
    health_probe_ = std::make_unique<Prober>(loop_, health_script(s.backend().config().check),
                                             [this](const Verdict& v, int64_t d) { on_health(v, d); });
    s_.check_info.status = CheckStatus::Ini;
    s_.check_info.health = health_.value();
  }
  if (c.agent_check)
    agent_probe_ = std::make_unique<Prober>(loop_, agent_script(c.agent_send),
                                            [this](const Verdict& v, int64_t d) { on_agent(v, d); });
}

void ServerChecks::start(uint64_t first_delay_ms) {
  if (retired_) return;
  uint64_t now = loop_.refresh_now();
  if (health_probe_) health_timer_.arm(loop_, now + first_delay_ms);
  if (agent_probe_) agent_timer_.arm(loop_, now + first_delay_ms);
}

uint64_t ServerChecks::jitter(uint64_t ms) {
  if (spread_pct_ == 0 || ms == 0) return ms;
  // spread-checks P: each interval moves by a random +/-P percent.
  int64_t span = static_cast<int64_t>(ms * spread_pct_ / 100);
  if (span == 0) return ms;
  std::uniform_int_distribution<int64_t> d(-span, span);
  return static_cast<uint64_t>(std::max<int64_t>(1, static_cast<int64_t>(ms) + d(rng_)));
}

sockaddr_storage ServerChecks::target(const std::optional<config::Address>& addr) const {
  if (addr) return addr->sa;
  std::lock_guard lk(s_.backend().mutex());
  return s_.addr();
}

void ServerChecks::run_health() {
  if (health_probe_->running()) return;
  if (s_.health_check_disabled.load(std::memory_order_relaxed)) {
    // `disable health`: no probe, the state stays as it is; look again next interval.
    health_timer_.arm(loop_, loop_.now() + static_cast<uint64_t>(s_.config().inter.count()));
    return;
  }
  const auto& c = s_.config();
  uint16_t port = c.check_port.value_or(0);
  if (port == 0 && c.check_addr) port = c.check_addr->port;
  if (port == 0) port = s_.config().addr.port_offset ? 0 : net::port_of(reinterpret_cast<const sockaddr*>(&s_.addr()));
  uint64_t inter = static_cast<uint64_t>(c.inter.count());
  health_probe_->run(target(c.check_addr), port, timing_for(s_, inter));
}

void ServerChecks::run_agent() {
  if (agent_probe_->running()) return;
  const auto& c = s_.config();
  if (s_.agent_check_disabled.load(std::memory_order_relaxed)) {
    agent_timer_.arm(loop_, loop_.now() + static_cast<uint64_t>(c.agent_inter.value_or(c.inter).count()));
    return;
  }
  uint16_t port = c.agent_port.value_or(c.agent_addr ? c.agent_addr->port : 0);
  uint64_t inter = static_cast<uint64_t>(c.agent_inter.value_or(c.inter).count());
  agent_probe_->run(target(c.agent_addr), port, timing_for(s_, inter));
}

void ServerChecks::on_health(const Verdict& v, int64_t dur) {
  bool ok = v.kind == Verdict::Kind::Pass;
  auto& ci = s_.check_info;
  ci.status = v.status;
  ci.code = v.code > 0 ? v.code : 0;
  ci.duration_ms = dur;
  if (!ok) s_.counters.failed_checks.fetch_add(1, std::memory_order_relaxed);
  health_.observe(ok);
  if (ok) nolb_ = v.nolb;
  ci.health = health_.value();
  commit(v, dur);
  health_timer_.arm(loop_, loop_.now() + jitter(next_interval(s_.config(), health_)));
}

void ServerChecks::on_agent(const Verdict& v, int64_t dur) {
  s_.check_info.agent_status = v.status;
  const auto& c = s_.config();
  uint64_t inter = static_cast<uint64_t>(c.agent_inter.value_or(c.inter).count());
  agent_timer_.arm(loop_, loop_.now() + jitter(inter));
  // HAProxy: an agent that cannot be reached changes nothing; only its words do.
  if (v.kind != Verdict::Kind::Pass) return;
  AgentReply r = parse_agent_line(v.info);
  if (!r.valid) return;
  std::string info = r.message.empty() ? v.info : r.message;
  if (r.weight_pct) backend::set_weight(s_, c.weight * *r.weight_pct / 100, "agent");
  if (r.admin && *r.admin != s_.admin_state())
    backend::set_admin_state(s_, *r.admin, {"changed by agent", info, dur});
  if (r.up) {
    agent_down_ = !*r.up;
    Verdict why = *r.up ? Verdict::pass(CheckStatus::L7Ok, -1, info)
                        : Verdict::fail(CheckStatus::L7Sts, info);
    commit(why, dur);
  }
}

void ServerChecks::commit(const Verdict& v, int64_t dur) {
  bool up = (!health_probe_ || health_.up()) && !agent_down_;
  OpState want = !up ? OpState::Down : (nolb_ ? OpState::Nolb : OpState::Up);
  if (want == s_.op_state()) return;
  backend::Transition t;
  t.reason = std::string(backend::describe(v.status));
  t.code = v.code;
  // HAProxy prints the info only for failures ("Connection refused", "Not Found").
  if (v.kind != Verdict::Kind::Pass || v.status == CheckStatus::L7Ok) t.info = v.kind != Verdict::Kind::Pass ? v.info : "";
  t.check_duration_ms = dur;
  backend::set_op_state(s_, want, t);
}

uint64_t ServerChecks::health_interval() const { return next_interval(s_.config(), health_); }

void ServerChecks::on_error_limit(bool layer7) {
  loop_.post([this, layer7] { apply_on_error(layer7); });
}

void ServerChecks::apply_on_error(bool layer7) {
  if (retired_ || !health_probe_) return;
  const auto& c = s_.config();
  Verdict why = Verdict::fail(layer7 ? CheckStatus::L7Sts : CheckStatus::L4Con,
                              fmt::format("{} consecutive {} errors seen on live traffic", c.error_limit,
                                          layer7 ? "layer7" : "layer4"));
  switch (c.on_error) {
    case config::OnError::FastInter: break;
    case config::OnError::FailCheck:
      s_.counters.failed_checks.fetch_add(1, std::memory_order_relaxed);
      health_.observe(false);
      break;
    case config::OnError::SuddenDeath: health_.pre_fatal(); break;
    case config::OnError::MarkDown: health_.force_down(); break;
  }
  s_.check_info.health = health_.value();
  commit(why, 0);
  // All actions force the next check at fastinter.
  uint64_t fast = static_cast<uint64_t>(c.fastinter.value_or(c.inter).count());
  if (!health_probe_->running() &&
      (!health_timer_.armed() || health_timer_.deadline() > loop_.now() + fast))
    health_timer_.arm(loop_, loop_.now() + fast);
}

void ServerChecks::on_state_change(AdminState old_admin, OpState old_op) {
  const auto& c = s_.config();
  bool was_usable = old_admin != AdminState::Maint && old_op == OpState::Up;
  bool is_usable = s_.usable();
  if (c.slowstart.count() > 0 && !was_usable && is_usable) loop_.post([this] { slowstart_begin(); });
  if (rt_ == nullptr) return;
  if (c.on_marked_down_shutdown_sessions && old_op != OpState::Down && s_.op_state() == OpState::Down) {
    backend::Server* me = &s_;
    kill_sessions_where(*rt_, [me](const backend::Server& x) { return &x == me; }, "server marked down");
  }
  if (c.on_marked_up_shutdown_backup_sessions && !s_.is_backup() && !was_usable && is_usable) {
    backend::Backend* be = &s_.backend();
    kill_sessions_where(*rt_, [be](const backend::Server& x) { return x.is_backup() && &x.backend() == be; },
                        "active server marked up");
  }
}

void ServerChecks::slowstart_begin() {
  if (retired_) return;
  slowstart_since_ = loop_.refresh_now();
  slowstart_tick();
}

void ServerChecks::slowstart_tick() {
  if (retired_) return;
  uint64_t total = static_cast<uint64_t>(s_.config().slowstart.count());
  if (!s_.usable()) {   // went down again: the ramp restarts when it comes back
    backend::set_slowstart(s_, 1.0);
    return;
  }
  uint64_t elapsed = loop_.now() - slowstart_since_;
  if (elapsed >= total) {
    backend::set_slowstart(s_, 1.0);
    return;
  }
  // HAProxy starts the ramp near zero; we start at 5% so a ramping server is never skipped.
  double f = std::max(0.05, static_cast<double>(elapsed) / static_cast<double>(total));
  backend::set_slowstart(s_, f);
  uint64_t step = std::clamp<uint64_t>(total / 20, 50, 1000);
  slowstart_timer_.arm(loop_, loop_.now() + step);
}

void ServerChecks::retire() {
  retired_ = true;
  health_timer_.disarm();
  agent_timer_.disarm();
  slowstart_timer_.disarm();
  if (health_probe_) health_probe_->cancel();
  if (agent_probe_) agent_probe_->cancel();
}

// ---- public API ----------------------------------------------------------------------------

namespace {
void add_observer_once(Registry& r) {
  if (r.observer_added) return;
  r.observer_added = true;
  backend::add_state_observer([](backend::Server& s, AdminState old_admin, OpState old_op) {
    // Under the lock: detach_server() nulls s.checks under it too, so nothing reaches a check
    // object after its deletion has been posted.
    std::lock_guard lk(s.backend().mutex());
    if (s.checks != nullptr) s.checks->on_state_change(old_admin, old_op);
  });
}

ServerChecks* create(Registry& r, proxy::Runtime& rt, backend::Server& s) {
  SLUICE_CHECK(!rt.workers.empty(), "check::start needs the workers");
  proxy::Worker* w = rt.workers[r.next_worker++ % rt.workers.size()];
  auto sc = std::make_unique<ServerChecks>(&rt, s, w->loop(), rt.config().global.spread_checks);
  ServerChecks* p = sc.get();
  r.all.push_back(std::move(sc));
  std::lock_guard lk(s.backend().mutex());
  s.checks = p;
  // init-state down / fully-down: start DOWN, silently (HAProxy logs nothing at startup).
  if (s.config().check && !p->health().up()) {
    s.set_op_state(OpState::Down);
    s.backend().server_changed_locked(s);
  }
  return p;
}
}  // namespace

void start(proxy::Runtime& rt) {
  Registry& r = registry();
  std::lock_guard lk(r.mu);
  r.rt = &rt;
  add_observer_once(r);
  std::vector<ServerChecks*> made;
  for (auto& b : rt.backends())
    for (auto& s : b->servers())
      if (needs_checks(s->config())) made.push_back(create(r, rt, *s));
  // Spread the first probes evenly over each server's interval, as HAProxy does.
  size_t n = made.size();
  for (size_t i = 0; i < n; ++i) {
    ServerChecks* sc = made[i];
    uint64_t inter = static_cast<uint64_t>(sc->server().config().inter.count());
    if (const auto& cap = rt.config().global.max_spread_checks)   // max-spread-checks bounds the spread
      inter = std::min<uint64_t>(inter, static_cast<uint64_t>(cap->count()));
    uint64_t delay = n ? inter * i / n : 0;
    sc->loop().post([sc, delay] { sc->start(delay); });
  }
  if (n) core::debug("health checks: {} server(s) over {} worker(s)", n, rt.workers.size());
}

void attach_server(proxy::Runtime& rt, backend::Server& s) {
  if (!needs_checks(s.config()) || s.checks != nullptr) return;
  Registry& r = registry();
  std::lock_guard lk(r.mu);
  add_observer_once(r);
  ServerChecks* sc = create(r, rt, s);
  sc->loop().post([sc] { sc->start(0); });
}

core::EventLoop* check_loop(const backend::Server& s) {
  return s.checks != nullptr ? &s.checks->loop() : nullptr;
}

void detach_server(backend::Server& s) {
  ServerChecks* sc;
  {
    std::lock_guard lk(s.backend().mutex());
    sc = s.checks;
    s.checks = nullptr;
  }
  if (sc == nullptr) return;
  sc->retire();
  std::unique_ptr<ServerChecks> owned;
  {
    Registry& r = registry();
    std::lock_guard lk(r.mu);
    auto it = std::find_if(r.all.begin(), r.all.end(), [sc](const auto& p) { return p.get() == sc; });
    SLUICE_ASSERT(it != r.all.end(), "checks not registered");
    owned = std::move(*it);
    r.all.erase(it);
  }
  // Tasks posted before s.checks went null may still name sc: free it after them, and after
  // the events of the current epoll batch (defer_delete).
  core::EventLoop& loop = sc->loop();
  loop.post([&loop, p = owned.release()] { loop.defer_delete(std::unique_ptr<core::Deletable>(p)); });
}

void report_observed_error(backend::Server& s, bool layer7) {
  const auto& c = s.config();
  if (c.observe == config::Observe::None || s.checks == nullptr) return;
  if (layer7 && c.observe != config::Observe::Layer7) return;
  uint32_t n = s.check_info.consecutive_errors.fetch_add(1, std::memory_order_relaxed) + 1;
  if (n < std::max<uint32_t>(c.error_limit, 1)) return;
  s.check_info.consecutive_errors.store(0, std::memory_order_relaxed);
  std::lock_guard lk(s.backend().mutex());   // see detach_server()
  if (s.checks != nullptr) s.checks->on_error_limit(layer7);
}

void report_observed_success(backend::Server& s) {
  if (s.check_info.consecutive_errors.load(std::memory_order_relaxed) != 0)
    s.check_info.consecutive_errors.store(0, std::memory_order_relaxed);
}

}  // namespace sluice::check
