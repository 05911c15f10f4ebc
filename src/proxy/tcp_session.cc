#include "proxy/tcp_session.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "check/check.h"
#include "core/log.h"
#include "log/access_log.h"
#include "lb/algorithm.h"
#include "net/socket.h"

namespace sluice::proxy {

TcpSession::TcpSession(Worker& w, Frontend& fe, int fd, const sockaddr_storage& src, uint64_t id)
    : Session(w, fe, fd, src, id), timer_([this] {
        if (st_ == State::Queued) {
          if (be_->cancel(*pending_)) {
            w_.remove_waiting(id_);
            timed_out_ = queue_timed_out_ = true;
            st_ = State::Closed;   // timeout queue: the client connection is closed
            finish();
          } else {
            update_timer();        // granted at this very moment: the wake-up is on its way
          }
          return;
        }
        if (st_ == State::Connecting) {
          on_connect_error(ETIMEDOUT);
          process();
        } else {
          timed_out_ = true;
          st_ = State::Closed;
          finish();
        }
      }) {
  c_.fd = cfd_;
  c_.readable = c_.writable = true;
  c2s_.attach(w.pool());
  s2c_.attach(w.pool());
  be_ = fe.default_backend;
  to_ = effective_timeouts(fe.config().timeouts, be_ ? be_->config().timeouts : fe.config().timeouts);
  if (be_) retries_left_ = be_->config().retries;
}

TcpSession::~TcpSession() {
  c_watch_.stop_before_close();
  s_watch_.stop_before_close();
  if (s_.fd >= 0) {
    ::close(s_.fd);
  }
  if (cfd_ >= 0) {
    ::close(cfd_);
  }
}

// tcp-request content rules (the frontend's, then the chosen backend's) and use_backend.
// Content fetches that wait for data (req.len, req.payload) are not implemented, so every
// rule decides at once, as HAProxy decides rules on layer-4 data without waiting.
// False when a rule closed the connection.
bool TcpSession::route() {
  rules::Arena arena;
  AclContext c;
  c.phase = rules::kReqContent;
  c.src = &src_;
  c.dst = &dst();
  c.fd = cfd_;
  c.fe_name = fe_.name();
  c.fe_id = fe_.id();
  c.so_name = so_name;
  c.fe_counters = &fe_.counters;
  c.sess_vars = &sess_vars;
  rules::VarStore txn_vars;   // a TCP stream is one transaction: txn.* lives while it routes
  c.txn_vars = &txn_vars;
  c.arena = &arena;
  auto closed = [&](const rules::RuleSet& set) {
    if (set.run(c) != rules::Verdict::Answered) return false;
    fe_.counters.denied.fetch_add(1, std::memory_order_relaxed);
    if (c.reply.kind == rules::Reply::Kind::SilentDrop) net::silent_drop(cfd_);
    return true;
  };
  if (closed(fe_.rules.tcp_content)) return false;
  backend::Backend* chosen = w_.runtime().pick_backend(fe_, c);
  if (chosen != be_) {
    be_ = chosen;
    to_ = effective_timeouts(fe_.config().timeouts, be_ ? be_->config().timeouts : fe_.config().timeouts);
    if (be_) retries_left_ = be_->config().retries;
  }
  c.be = be_;
  if (be_ != nullptr && be_->config().kind == config::ProxyConfig::Kind::Backend) {
    if (const auto* br = w_.runtime().backend_rules(be_); br != nullptr && closed(br->tcp_content)) return false;
  }
  return true;
}

void TcpSession::start() {
  c_watch_.start(w_.loop(), cfd_, EPOLLIN | EPOLLOUT | EPOLLRDHUP, this);
  c_.last_io = s_.last_io = w_.loop().now();
  if (!route() || be_ == nullptr) {
    st_ = State::Closed;
    finish();
    return;
  }
  be_->counters.sessions_total.fetch_add(1, std::memory_order_relaxed);
  connect_next();
  process();
}

void TcpSession::Side::on_events(uint32_t events) {
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) readable = true;
  if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) hup = true;
  if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) writable = true;
}

void TcpSession::on_io(uint32_t events) {
  c_.on_events(events);
  process();
}

void TcpSession::ServerSide::on_io(uint32_t events) {
  owner_.s_.on_events(events);
  owner_.process();
}

bool TcpSession::connect_next() {
  if (counted_on_server_ && server_) be_->release(*server_);
  counted_on_server_ = false;
  std::optional<uint64_t> key;
  if (be_->config().balance == config::Balance::Source)
    key = lb::hash_address(reinterpret_cast<const sockaddr*>(&src_), hash_spec(be_->config()));
  const StickRules* stick = be_->config().stick_rules.empty() ? nullptr : w_.runtime().stick_rules(be_);
  rules::Arena arena;
  AclContext actx;
  actx.phase = rules::kReqContent;
  actx.src = &src_;
  actx.dst = &dst();
  actx.arena = &arena;
  backend::Server* sticky = stick ? stick->match(*be_, actx, w_.loop().now()) : nullptr;
  backend::PendingRequest* pending = queue_entry(*be_);
  if (!queue_start_) queue_start_ = w_.loop().now();
  auto pick = be_->pick({}, key, tried_, pending, w_.loop().now(), sticky);
  if (pick.result == backend::PickResult::Queued) {
    st_ = State::Queued;   // every server at its maxconn: wait for a slot (timeout queue)
    w_.add_waiting(id_, *this);
    return true;
  }
  if (stick != nullptr && pick.server != nullptr) stick->store(*pick.server, actx, nullptr, w_.loop().now());
  server_ = pick.server;
  return connect_to(pick.addr, pick.addr_len);
}

void TcpSession::on_slot_granted() {
  if (closed_ || st_ != State::Queued) return;
  w_.remove_waiting(id_);
  wait_ms_ = static_cast<int64_t>(w_.loop().now() - queue_start_);
  st_ = State::Connecting;
  server_ = pending_->granted;
  pending_->granted = nullptr;
  connect_to(pending_->addr, pending_->addr_len);
  process();
}

void TcpSession::leave_queue() {
  if (st_ != State::Queued) return;
  w_.remove_waiting(id_);
  if (!be_->cancel(*pending_) && pending_->granted != nullptr) be_->release(*pending_->granted);
  pending_->granted = nullptr;
}

// Connects to the picked server (its slot is held) or to the dispatch address.
bool TcpSession::connect_to(sockaddr_storage addr, socklen_t len) {
  if (server_ == nullptr) {
    if (!be_->config().dispatch) {
      be_->counters.no_server.fetch_add(1, std::memory_order_relaxed);
      st_ = State::Closed;
      return false;
    }
    addr = be_->config().dispatch->sa;
    len = be_->config().dispatch->sa_len;
  } else {
    if (server_->port_from_client()) {
      uint16_t cport = net::port_of(reinterpret_cast<const sockaddr*>(&dst()));
      int port = server_->config().addr.port_offset ? cport + server_->config().addr.port_delta : cport;
      net::set_port(addr, static_cast<uint16_t>(port));
    }
    counted_on_server_ = true;   // pick() took the slot
  }
  connect_start_ = w_.loop().now();
  server_addr_ = addr;
  int err = 0;
  s_ = Side{};
  s_.fd = net::connect_start(reinterpret_cast<const sockaddr*>(&addr), len, err);
  if (s_.fd < 0) {
    on_connect_error(err);
    return true;
  }
  apply_socket_options(s_.fd, be_->config(), false);
  s_watch_.start(w_.loop(), s_.fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP, &server_side_);
  return true;
}

void TcpSession::on_connect_error(int err) {
  core::debug("tcp session {}: connect failed: {}", id_, std::strerror(err));
  if (s_.fd >= 0) {
    s_watch_.stop_before_close();   // a later event of this batch for it is dropped
    ::close(s_.fd);
    s_.fd = -1;
  }
  if (server_) {
    server_->counters.connect_errors.fetch_add(1, std::memory_order_relaxed);
    check::report_observed_error(*server_, false);
  }
  be_->counters.connect_errors.fetch_add(1, std::memory_order_relaxed);
  if (retries_left_ == 0) {
    st_ = State::Closed;
    return;
  }
  --retries_left_;
  ++retries_done_;
  be_->counters.retries.fetch_add(1, std::memory_order_relaxed);
  if (be_->config().redispatch.value_or(false) && server_ != nullptr &&
      (retries_left_ == 0 || !server_->takes_new_traffic())) {
    tried_.push_back(server_);
    be_->counters.redispatches.fetch_add(1, std::memory_order_relaxed);
  }
  connect_next();
}

// Moves bytes one way. Returns true on progress.
bool TcpSession::relay(Side& from, Side& to, core::Buffer& buf, uint64_t& bytes) {
  bool progress = false;
  if (from.readable && !from.eof) {
    char* p;
    size_t room = buf.prepare(p);
    if (room > 0) {
      ssize_t n = ::recv(from.fd, p, room, 0);
      if (n > 0) {
        buf.produce(static_cast<size_t>(n));
        bytes += static_cast<uint64_t>(n);
        // A short read drained the socket, unless a FIN came with the data: read on to see it.
        if (static_cast<size_t>(n) < room && !from.hup) from.readable = false;
        from.last_io = w_.loop().now();
        progress = true;
      } else if (n == 0) {
        from.eof = true;
        progress = true;
      } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        from.readable = false;
      } else if (errno != EINTR) {
        error_ = true;
        return true;
      }
    }
  }
  if (to.writable && !buf.empty()) {
    ssize_t n = ::send(to.fd, buf.data(), buf.size(), MSG_NOSIGNAL);
    if (n > 0) {
      if (static_cast<size_t>(n) < buf.size()) to.writable = false;
      buf.consume(static_cast<size_t>(n));
      progress = true;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      to.writable = false;
    } else if (n < 0 && errno != EINTR) {
      error_ = true;
      return true;
    }
  }
  if (from.eof && buf.empty() && !to.shut) {
    ::shutdown(to.fd, SHUT_WR);   // propagate the half-close
    to.shut = true;
    progress = true;
  }
  buf.release_if_empty();
  return progress;
}

void TcpSession::process() {
  if (closed_) return;
  for (int steps = 0;; ++steps) {
    if (steps == kStepBudget) {
      continue_soon();   // still moving: let the other connections run, then go on
      break;
    }
    if (st_ == State::Connecting) {
      if (s_.fd >= 0 && s_.writable) {
        int err = net::connect_result(s_.fd);
        if (err != 0) {
          on_connect_error(err);
          continue;
        }
        s_connected_ = true;
        st_ = State::Relaying;
        s_.last_io = connected_ms_ = w_.loop().now();
      } else {
        break;
      }
    }
    if (st_ != State::Relaying) break;
    bool p = relay(c_, s_, c2s_, bytes_c2s_);
    p |= relay(s_, c_, s2c_, bytes_s2c_);
    if (error_ || (c_.shut && s_.shut)) {
      st_ = State::Closed;
      break;
    }
    if (!p) break;
  }
  if (st_ == State::Closed) {
    finish();
    return;
  }
  update_timer();
}

void TcpSession::update_timer() {
  uint64_t d;
  if (st_ == State::Queued) {
    d = queue_start_ + to_.queue;
  } else if (st_ == State::Connecting) {
    d = connect_start_ + to_.connect;
  } else if (be_->config().timeouts.tunnel || fe_.config().timeouts.tunnel) {
    d = std::max(c_.last_io, s_.last_io) + to_.tunnel;
  } else {
    // Each side's inactivity bounds the session; after a half-close, the -fin timeouts.
    uint64_t dc = c_.last_io + (c_.eof ? to_.client_fin : to_.client);
    uint64_t ds = s_.last_io + (s_.eof ? to_.server_fin : to_.server);
    d = std::min(dc, ds);
  }
  timer_.arm(w_.loop(), d);
}

void TcpSession::log_session() {
  log::TxRecord r;
  r.http = false;
  r.fe = &fe_;
  r.be = be_;
  r.srv = server_;
  r.client = src_;
  r.local = dst();
  r.server_addr = server_addr_;
  uint64_t now = w_.loop().now();
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  uint64_t wall_us = static_cast<uint64_t>(ts.tv_sec) * 1000000u + static_cast<uint64_t>(ts.tv_nsec) / 1000u;
  r.accept_wall_us = r.request_wall_us = wall_us - (now - start_ms_) * 1000u;
  r.Tw = wait_ms_;
  r.Tc = s_connected_ ? static_cast<int64_t>(connected_ms_ - connect_start_) : -1;
  r.Tt = static_cast<int64_t>(now - start_ms_);
  r.bytes_in = bytes_c2s_;
  r.bytes_out = bytes_s2c_;
  char who = '-';
  if (error_) who = c_.eof ? 'S' : 'C';
  else if (timed_out_) who = st_ == State::Connecting ? 's' : (c_.last_io <= s_.last_io ? 'c' : 's');
  else if (!s_connected_) who = 'S';
  r.term[0] = who;
  r.term[1] = who == '-' ? '-' : (s_connected_ ? 'D' : 'C');
  if (queue_timed_out_) {
    r.term[0] = 's';
    r.term[1] = 'Q';
    r.Tw = wait_ms_ = static_cast<int64_t>(now - queue_start_);
  }
  r.term[2] = r.term[3] = '-';
  auto& rt = w_.runtime();
  r.actconn = rt.cur_conns.load(std::memory_order_relaxed);
  r.feconn = fe_.counters.cur_conns.load(std::memory_order_relaxed);
  uint32_t mine = counted_on_server_ ? 1 : 0;
  r.beconn = be_ ? be_->counters.cur_sess.load(std::memory_order_relaxed) - mine : 0;
  r.srv_conn = server_ ? server_->counters.cur_sess.load(std::memory_order_relaxed) - mine : 0;
  r.retries = retries_done_;
  r.redispatched = !tried_.empty();
  r.error = who != '-';
  r.empty = bytes_c2s_ == 0 && bytes_s2c_ == 0;
  fe_.counters.bytes_in.fetch_add(bytes_c2s_, std::memory_order_relaxed);
  fe_.counters.bytes_out.fetch_add(bytes_s2c_, std::memory_order_relaxed);
  if (be_) {
    be_->counters.bytes_in.fetch_add(bytes_c2s_, std::memory_order_relaxed);
    be_->counters.bytes_out.fetch_add(bytes_s2c_, std::memory_order_relaxed);
  }
  if (server_) {
    server_->counters.bytes_in.fetch_add(bytes_c2s_, std::memory_order_relaxed);
    server_->counters.bytes_out.fetch_add(bytes_s2c_, std::memory_order_relaxed);
    server_->counters.times.add(r.Tw, r.Tc, 0, r.Tt);   // no response time in tcp mode
    be_->counters.times.add(r.Tw, r.Tc, 0, r.Tt);
  }
  log::emit(r);
}

void TcpSession::finish() {
  if (closed_) return;
  leave_queue();
  log_session();
  closed_ = true;
  timer_.disarm();
  if (counted_on_server_ && server_) be_->release(*server_);
  counted_on_server_ = false;
  // The fds close with the object, later in this iteration; their events end now (any
  // still produced carry the ended generation and are dropped, so no epoll_ctl is needed).
  c_watch_.stop_before_close();
  s_watch_.stop_before_close();
  retire();
}

void TcpSession::kill(const char*) {
  if (closed_) return;
  st_ = State::Closed;
  finish();
}

std::string TcpSession::describe() const {
  return fmt::format("{:#x}: proto=tcpv4 src={} fe={} be={} srv={} age={}s state={} scf=[fd={}] scb=[fd={}]",
                     id_, net::to_string(src_), fe_.name(), be_ ? be_->name() : "<NONE>",
                     server_ ? std::string(server_->name()) : "<none>",
                     (w_.loop().now() - start_ms_) / 1000,
                     st_ == State::Queued ? "QUEUED" : st_ == State::Connecting ? "CONNECTING" : "RELAYING",
                     cfd_, s_.fd);
}

}  // namespace sluice::proxy
