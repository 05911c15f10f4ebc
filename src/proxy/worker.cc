#include "proxy/worker.h"

#include <malloc.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/clock.h"
#include "core/log.h"
#include "log/access_log.h"
#include "net/socket.h"
#include "proxy/http_session.h"
#include "proxy/tcp_session.h"

namespace sluice::proxy {

namespace {
constexpr uint64_t kIdleConnMaxAgeMs = 5000;     // idle server connections kept this long
constexpr size_t kTrimAfterBytes = 1u << 20;     // buffer memory given back that signals a burst's end
constexpr size_t kIdleConnsPerServer = 1024;
constexpr uint64_t kStarvedRetryMs = 100;         // out of descriptors: accept again after this
constexpr uint64_t kStarvedLogEveryMs = 10'000;   // and say so at most this often, process-wide
std::atomic<uint64_t> g_starved_log_after{0};     // monotonic ms
std::atomic<uint64_t> g_starved_unlogged{0};      // pauses since the last message
std::atomic<uint64_t> g_session_ids{1};
}  // namespace

Session::Session(Worker& w, Frontend& fe, int fd, const sockaddr_storage& src, uint64_t id)
    : w_(w), fe_(fe), cfd_(fd), src_(src), id_(id), start_ms_(w.loop().now()) {}

backend::PendingRequest* Session::queue_entry(backend::Backend& be) {
  if (!be.may_queue()) return nullptr;
  if (!pending_) {
    pending_ = std::make_unique<backend::PendingRequest>();
    // Runs under the backend lock on whichever thread freed the slot: only post.
    pending_->wake = [w = &w_, id = id_] { w->loop().post([w, id] { w->grant(id); }); };
  }
  return pending_.get();
}

const sockaddr_storage& Session::dst() {
  if (!dst_known_ && cfd_ >= 0) {
    socklen_t len = sizeof dst_;
    getsockname(cfd_, reinterpret_cast<sockaddr*>(&dst_), &len);
    dst_known_ = true;
  }
  return dst_;
}

Session::~Session() {
  w_.runtime().cur_conns.fetch_sub(1, std::memory_order_relaxed);
  fe_.counters.cur_conns.fetch_sub(1, std::memory_order_relaxed);
}

ServerConn::~ServerConn() {
  watch_.stop_before_close();
  if (fd >= 0) ::close(fd);   // closing also removes it from epoll (never dup'ed)
}

bool ServerConn::start_watch() { return watch_.start(w_.loop(), fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP, this); }

void ServerConn::on_io(uint32_t events) {
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) readable = true;
  if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) hup = true;
  if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) writable = true;
  if (owner != nullptr) {
    owner->on_server_io();
    return;
  }
  // Idle: any readable event means the server closed it (or sent garbage): drop it.
  if (readable) w_.close_conn(this);
}

// ---- listeners ------------------------------------------------------------------------

void Listener::on_io(uint32_t) {
  pending_ = true;
  accept_some();
}

void Listener::pause() {
  if (paused_) return;
  paused_ = true;
  starved_ = false;
  retry_timer_.disarm();
  if (registered_) {
    w_.loop().remove(spec_.fd);
    registered_ = false;
  }
}

void Listener::resume() {
  paused_ = false;
  limited_ = false;
  starved_ = false;
  retry_timer_.disarm();
  if (!registered_ && spec_.fd >= 0) {
    registered_ = w_.loop().add(spec_.fd, EPOLLIN | EPOLLEXCLUSIVE, this, true);
  }
  pending_ = true;
  accept_some();
}

void Listener::unlimit() {
  if (!limited_ || paused_) return;
  limited_ = false;
  if (starved_) return;   // the retry timer listens again
  if (!registered_ && spec_.fd >= 0) registered_ = w_.loop().add(spec_.fd, EPOLLIN | EPOLLEXCLUSIVE, this, true);
  pending_ = true;
  accept_some();
}

// tcp-request connection, then tcp-request session rules (sluice has no handshake between
// the two yet: no PROXY header or TLS), on the accepted socket. False when a rule closed it.
bool Listener::tcp_rules_accept(Frontend& fe, int fd, const sockaddr_storage& src, rules::VarStore& sess_vars) {
  rules::Arena arena;
  sockaddr_storage dst{};
  socklen_t dlen = sizeof dst;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&dst), &dlen) != 0) dst.ss_family = AF_UNSPEC;
  rules::Ctx c;
  c.src = &src;
  c.dst = &dst;
  c.fd = fd;
  c.fe_name = fe.name();
  c.fe_id = fe.id();
  c.so_name = spec_.bind.name;
  c.fe_counters = &fe.counters;
  c.sess_vars = &sess_vars;
  c.arena = &arena;
  for (auto [set, phase] : {std::pair{&fe.rules.tcp_conn, rules::kConn}, std::pair{&fe.rules.tcp_sess, rules::kSess}}) {
    c.phase = phase;
    if (set->run(c) != rules::Verdict::Answered) continue;
    auto& counter = phase == rules::kConn ? fe.counters.denied_conn : fe.counters.denied_sess;
    counter.fetch_add(1, std::memory_order_relaxed);
    if (c.reply.kind == rules::Reply::Kind::SilentDrop) net::silent_drop(fd);
    ::close(fd);
    return false;
  }
  return true;
}

void Listener::accept_some() {
  if (paused_ || spec_.fd < 0) return;
  Frontend& fe = *spec_.frontend;
  Runtime& rt = w_.runtime();
  uint32_t budget = rt.config().global.tune_maxaccept.value_or(64);
  while (budget-- > 0) {
    if (!w_.accepting_allowed(fe)) {
      // maxconn reached: leave connections in the backlog (never refuse them) and stop
      // watching the socket until a slot frees.
      if (registered_) {
        w_.loop().remove(spec_.fd);
        registered_ = false;
      }
      limited_ = true;
      return;
    }
    sockaddr_storage src{};
    socklen_t len = sizeof src;
    int fd = ::accept4(spec_.fd, reinterpret_cast<sockaddr*>(&src), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        pending_ = false;
        return;
      }
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) return starve(errno);
      return;
    }
    // monitor-net: health checkers get an immediate answer, no forwarding, no log.
    bool monitor = false;
    for (const auto& c : fe.config().monitor_net)
      if (c.contains(src)) monitor = true;
    if (monitor) {
      fe.counters.intercepted.fetch_add(1, std::memory_order_relaxed);
      if (fe.http()) {
        static constexpr char kOk[] = "HTTP/1.0 200 OK\r\n\r\n";
        ssize_t r = ::send(fd, kOk, sizeof kOk - 1, MSG_NOSIGNAL);
        (void)r;
      }
      ::close(fd);
      continue;
    }
    rules::VarStore sess_vars;
    if ((!fe.rules.tcp_conn.empty() || !fe.rules.tcp_sess.empty()) && !tcp_rules_accept(fe, fd, src, sess_vars)) continue;
    const auto& fc = fe.config();
    if (!fc.logs.empty() && !fc.httplog && !fc.tcplog && !fc.log_format) {
      // haproxy's default log format: one "Connect from" line per connection.
      sockaddr_storage dst{};
      socklen_t dlen = sizeof dst;
      getsockname(fd, reinterpret_cast<sockaddr*>(&dst), &dlen);
      log::emit_connect(fe, src, dst);
    }
    rt.total_conns.fetch_add(1, std::memory_order_relaxed);
    auto cur = rt.cur_conns.fetch_add(1, std::memory_order_relaxed) + 1;
    if (cur > rt.max_conns_seen.load(std::memory_order_relaxed)) rt.max_conns_seen.store(cur, std::memory_order_relaxed);
    auto fcur = fe.counters.cur_conns.fetch_add(1, std::memory_order_relaxed) + 1;
    if (fcur > fe.counters.max_conns.load(std::memory_order_relaxed)) fe.counters.max_conns.store(fcur, std::memory_order_relaxed);
    fe.counters.conns_total.fetch_add(1, std::memory_order_relaxed);
    fe.counters.sess_rate.hit(w_.loop().now());
    fe.counters.sessions_total.fetch_add(1, std::memory_order_relaxed);
    if (src.ss_family != AF_UNIX) net::set_nodelay(fd);
    apply_socket_options(fd, fe.config(), true);
    uint64_t id = w_.next_session_id();
    if (fe.http()) {
      auto* s = new HttpSession(w_, fe, fd, src, id);
      s->sess_vars = std::move(sess_vars);
      s->so_name = spec_.bind.name;
      w_.add_session(*s);
      s->start();
    } else {
      auto* s = new TcpSession(w_, fe, fd, src, id);
      s->sess_vars = std::move(sess_vars);
      s->so_name = spec_.bind.name;
      w_.add_session(*s);
      s->start();
    }
  }
  // Budget exhausted: more may wait; the idle hook calls us again.
}

// Out of descriptors (or memory): the connection stays in the listen queue, so watching the
// socket would report it again at once and spin. Stop watching, retry shortly.
void Listener::starve(int err) {
  if (registered_) {
    w_.loop().remove(spec_.fd);
    registered_ = false;
  }
  pending_ = false;
  starved_ = true;
  retry_timer_.arm(w_.loop(), w_.loop().now() + kStarvedRetryMs);
  uint64_t now = core::monotonic_ms();
  uint64_t after = g_starved_log_after.load(std::memory_order_relaxed);
  if (now < after || !g_starved_log_after.compare_exchange_strong(after, now + kStarvedLogEveryMs)) {
    g_starved_unlogged.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  rlimit nofile{};
  ::getrlimit(RLIMIT_NOFILE, &nofile);
  uint64_t more = g_starved_unlogged.exchange(0, std::memory_order_relaxed);
  core::log(core::Level::Alert,
            "Proxy {} reached the system FD limit (maxsock={}, ulimit-n={}): {}; accepting paused, retried every {} ms{}",
            spec_.frontend->name(), w_.runtime().maxsock, static_cast<uint64_t>(nofile.rlim_cur), std::strerror(err),
            kStarvedRetryMs, more ? fmt::format(" ({} more pauses since the last message)", more) : std::string());
}

void Listener::retry() {
  starved_ = false;
  if (paused_ || limited_ || spec_.fd < 0) return;
  if (!registered_) registered_ = w_.loop().add(spec_.fd, EPOLLIN | EPOLLEXCLUSIVE, this, true);
  pending_ = true;
  accept_some();
}

void Runtime::post_all(std::function<void(Worker&)> fn) {
  for (Worker* w : workers) w->loop().post([w, fn] { fn(*w); });
}

// ---- worker ---------------------------------------------------------------------------

Worker::Worker(Runtime& rt, uint32_t index)
    : rt_(rt), index_(index), pool_(rt.config().global.tune_bufsize),
      housekeeping_timer_([this] { housekeeping(); }) {
  loop_.set_idle_hook([this] {
    for (auto& l : listeners_) {
      if (l->paused()) continue;
      if (l->limited()) {
        if (accepting_allowed(*l->spec().frontend)) l->unlimit();
      } else if (l->pending()) {
        l->accept_some();
      }
    }
  });
}

Worker::~Worker() {
  sessions_.for_each([](Session& s) { s.kill("worker exit"); });
  for (auto& list : idle_) close_idle(list);
  // Retired sessions hold buffers of pool_, which dies before loop_: free them now.
  loop_.free_deferred();
}

void Session::retire() {
  resume_timer_.disarm();
  core::IntrusiveList<Session, SessionTag>::remove(*this);
  w_.session_closed();
  w_.loop().defer_delete(std::unique_ptr<core::Deletable>(this));
}

void Session::continue_soon() { resume_timer_.arm_soon(w_.loop()); }

uint64_t Worker::next_session_id() { return g_session_ids.fetch_add(1, std::memory_order_relaxed); }

void Worker::run() {
  idle_.resize(rt_.server_index_limit() + 64);
  for (auto& spec : rt_.listeners()) {
    auto l = std::make_unique<Listener>(*this, spec);
    l->resume();
    listeners_.push_back(std::move(l));
  }
  housekeeping_timer_.arm(loop_, loop_.now() + 1000);
  loop_.run();
}

void Worker::start_thread() {
  thread_ = std::thread([this] { run(); });
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

bool Worker::accepting_allowed(Frontend& fe) const {
  uint32_t gmax = rt_.maxconn.load(std::memory_order_relaxed);
  if (gmax && rt_.cur_conns.load(std::memory_order_relaxed) >= gmax) return false;
  uint32_t fmax = fe.maxconn.load(std::memory_order_relaxed);
  if (fmax && fe.counters.cur_conns.load(std::memory_order_relaxed) >= fmax) return false;
  return !soft_stopping_;
}

void Worker::add_session(Session& s) { sessions_.push_back(s); }

void Worker::grant(uint64_t id) {
  auto it = waiting_.find(id);
  if (it != waiting_.end()) it->second->on_slot_granted();
  // else: the session ended meanwhile; it gave the slot back when it left the queue.
}

void Worker::session_closed() {
  // Counters are decremented here for every session kind.
  // Accepting resumes from the idle hook if a listener had pending connections.
  if (soft_stopping_ && stop_when_idle_ && sessions_.empty()) loop_.stop();
}

namespace {
// An idle connection the server closed (its FIN may not have been reported by epoll yet, e.g.
// it came right after the response) or that carries unexpected bytes is not reused: one
// non-blocking peek before each reuse.
bool still_open(int fd) {
  char b;
  ssize_t n = ::recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}
}  // namespace

ServerConn* Worker::take_idle(backend::Server& s, bool verify) {
  if (s.index() >= idle_.size()) return nullptr;
  auto& list = idle_[s.index()];
  while (ServerConn* c = list.front()) {
    // A connection to an address the server no longer has is useless.
    if (std::memcmp(&c->addr, &s.addr(), sizeof c->addr) != 0 || c->eof || (verify && !still_open(c->fd))) {
      close_conn(c);
      continue;
    }
    list.pop_front();
    --idle_count_;
    return c;
  }
  return nullptr;
}

void Worker::park(ServerConn* c) {
  if (c->server == nullptr || soft_stopping_) {
    close_conn(c);
    return;
  }
  if (c->server->index() >= idle_.size()) idle_.resize(c->server->index() + 64);
  auto& list = idle_[c->server->index()];
  if (idle_count_ >= kIdleConnsPerServer * 4) {   // bound the whole pool, O(1)
    close_conn(c);
    return;
  }
  ++idle_count_;
  c->idle_since = loop_.now();
  list.push_front(*c);   // most recently used first: warmest connection reused next
}

void Worker::close_conn(ServerConn* c) {
  if (c->core::ListNode<IdleTag>::linked()) {   // an idle one (closed by its server, aged, purged)
    core::IntrusiveList<ServerConn, IdleTag>::remove(*c);
    --idle_count_;
  }
  c->owner = nullptr;
  // Events for it may still wait in this epoll batch: the ended watch makes the loop drop
  // them, and the object itself lives until the iteration is over.
  c->watch_.stop_before_close();
  if (c->fd >= 0) ::close(c->fd);
  c->fd = -1;
  loop_.defer_delete(std::unique_ptr<core::Deletable>(c));
}

void Worker::close_idle(core::IntrusiveList<ServerConn, IdleTag>& list) {
  while (ServerConn* c = list.front()) close_conn(c);
}

void Worker::purge_server(const backend::Server& s) {
  if (s.index() >= idle_.size()) return;
  close_idle(idle_[s.index()]);
}

void Worker::housekeeping() {
  uint64_t now = loop_.now();
  for (auto& list : idle_) {
    // Oldest at the back.
    while (ServerConn* c = list.back()) {
      if (now - c->idle_since < kIdleConnMaxAgeMs) break;
      close_conn(c);
    }
  }
  // After a burst, give its memory back. The pool returns the buffer pages the last second
  // did not need; when that is a lot, the burst's sessions and heads, freed inside the malloc
  // heap, are likely gone too: free() leaves such pages resident, malloc_trim() does not.
  if (pool_.purge() >= kTrimAfterBytes) malloc_trim(0);
  housekeeping_timer_.arm(loop_, now + 1000);
}

void Worker::pause_listeners() {
  for (auto& l : listeners_) l->pause();
}

void Worker::resume_listeners() {
  for (auto& l : listeners_) l->resume();
}

void Worker::stop_listeners() {
  for (auto& l : listeners_) l->pause();
}

void Worker::soft_stop() {
  soft_stopping_ = true;
  stop_listeners();
  sessions_.for_each([](Session& s) { s.soft_stop(); });
  for (auto& list : idle_) close_idle(list);
  if (stop_when_idle_ && sessions_.empty()) loop_.stop();
}

void Worker::hard_stop() {
  sessions_.for_each([](Session& s) { s.kill("hard stop"); });
  loop_.stop();
}

}  // namespace sluice::proxy
