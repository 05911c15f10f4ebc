#include "proxy/http_session.h"

#include <arpa/inet.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "check/check.h"
#include "core/log.h"
#include "core/clock.h"
#include "log/access_log.h"
#include "http/cookie.h"
#include "http/errors.h"
#include "http/status.h"
#include "lb/algorithm.h"
#include "net/socket.h"

namespace sluice::proxy {

namespace {

// ASCII case-insensitive equality (header names are tokens: no locale, no libc call).
inline char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }
bool ieq(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

// Hop-by-hop fields (RFC 9110 section 7.6.1) never forwarded as received.
bool hop_by_hop(std::string_view name) {
  return ieq(name, "connection") || ieq(name, "keep-alive") || ieq(name, "proxy-connection") ||
         ieq(name, "te") || ieq(name, "upgrade") || ieq(name, "trailer") ||
         ieq(name, "proxy-authenticate");
}

// True when `name` is listed in any Connection header (its field is then hop-by-hop too).
bool named_in_connection(const std::vector<http::Header>& hs, std::string_view name) {
  for (const auto& h : hs) {
    if (!ieq(h.name, "connection")) continue;
    std::string_view v = h.value;
    size_t i = 0;
    while (i < v.size()) {
      size_t j = v.find(',', i);
      if (j == std::string_view::npos) j = v.size();
      std::string_view tok = v.substr(i, j - i);
      while (!tok.empty() && (tok.front() == ' ' || tok.front() == '\t')) tok.remove_prefix(1);
      while (!tok.empty() && (tok.back() == ' ' || tok.back() == '\t')) tok.remove_suffix(1);
      if (ieq(tok, name)) return true;
      i = j + 1;
    }
  }
  return false;
}


void append_header(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append("\r\n");
}

std::string to_base32(uint64_t v) {
  static constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuv";
  std::string out;
  do {
    out.insert(out.begin(), kDigits[v % 32]);
    v /= 32;
  } while (v != 0);
  return out;
}

// Validates the chunked bytes of `buf` after the `fwd` forwardable and `held` held ones, then
// makes forwardable all but what the decoder holds back (see ChunkedDecoder::held()).
http::ChunkedDecoder::Step feed_chunked(http::ChunkedDecoder& dec, std::string_view buf, size_t& fwd,
                                        size_t& held) {
  auto s = dec.feed(buf.substr(fwd + held));
  fwd += held + s.consumed - dec.held();
  held = dec.held();
  return s;
}

// Once the decoder is done: sends the held tail (last-chunk, trailers, final CRLF) on, without
// the trailer fields RFC 9110 §6.5.1 forbids. Usually there are none and the bytes go out
// in place; else the filtered copy goes to `out`, which is sent before `buf`'s bytes, so only
// once the body before the tail is out. False while waiting for that.
bool finish_chunked(core::Buffer& buf, size_t& fwd, size_t& held, std::string& out) {
  const std::string_view tail(buf.data() + fwd, held);
  if (!http::has_forbidden_trailer(tail)) {
    fwd += held;
  } else {
    if (fwd > 0) return false;
    http::append_allowed_trailers(tail, out);
    buf.consume(held);
  }
  held = 0;
  return true;
}

}  // namespace

std::string_view to_string(TxState s) {
  switch (s) {
    case TxState::WaitRequest: return "WAIT_REQ";
    case TxState::Queued: return "QUEUED";
    case TxState::Connecting: return "CONNECTING";
    case TxState::Exchange: return "EXCHANGE";
    case TxState::Tunnel: return "TUNNEL";
    case TxState::Closing: return "CLOSING";
    case TxState::Closed: return "CLOSED";
  }
  return "?";
}

HttpSession::HttpSession(Worker& w, Frontend& fe, int fd, const sockaddr_storage& src, uint64_t id)
    : Session(w, fe, fd, src, id), timer_([this] { on_timeout(); }) {
  cin_.attach(w.pool());
  sin_.attach(w.pool());
  const auto& g = w.runtime().config().global;
  req_opts_.max_headers = g.tune_http_maxhdr;
  rsp_opts_.max_headers = g.tune_http_maxhdr;
  req_opts_.accept_invalid = fe.config().accept_invalid_http_request.value_or(false);
  // option http-buffer-request, from the frontend (or listen) or its default backend: the
  // backend a use_backend rule picks later is not known while the body is awaited.
  buffer_request_ = fe.config().http_buffer_request.value_or(false) ||
                    (fe.default_backend && fe.default_backend->config().http_buffer_request.value_or(false));
  to_ = effective_timeouts(fe.config().timeouts, fe.default_backend ? fe.default_backend->config().timeouts
                                                                    : fe.config().timeouts);
}

HttpSession::~HttpSession() {
  if (sc_ != nullptr) close_server(false);
  if (cfd_ >= 0) {
    ::close(cfd_);
  }
}

void HttpSession::start() {
  cwatch_.start(w_.loop(), cfd_, EPOLLIN | EPOLLOUT | EPOLLRDHUP, this);
  last_c_io_ = tx_start_ms_ = w_.loop().now();
  process();
}

void HttpSession::set_state(TxState s) { st_ = s; }

void HttpSession::on_io(uint32_t events) {
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) c_readable_ = true;
  if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) c_hup_ = true;   // see read_client
  if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) c_writable_ = true;
  process();
}

void HttpSession::on_server_io() { process(); }

void HttpSession::process() {
  if (closed_) return;
  int steps = 0;
  while (!closed_ && step()) {
    if (++steps == kStepBudget) {
      continue_soon();   // still moving: let the other connections run, then go on
      break;
    }
  }
  if (closed_) return;
  if (st_ == TxState::Closed) {
    finish();
    return;
  }
  update_timer();
}

// One pass over every direction; true if anything moved.
bool HttpSession::step() {
  bool progress = false;
  progress |= read_client();
  switch (st_) {
    case TxState::WaitRequest: {
      if (soft_stop_ && cin_.empty()) {
        // Soft stop of an idle keep-alive connection. Closing it now would race a request
        // the client may be sending (RFC 9112 §9.6): unread data at close() makes the kernel
        // answer with a reset. So wait a moment for one (answered with Connection: close),
        // then close gracefully: FIN first, draining whatever still comes (lingering close).
        if (c_eof_ || c_err_) {
          set_state(TxState::Closed);
          return false;
        }
        if (w_.loop().now() >= soft_stop_ms_ + soft_stop_linger_ms()) set_state(TxState::Closing);
        break;
      }
      if (tarpit_until_ != 0) {   // tarpit: the timer answers; a client that leaves ends it
        if (c_err_) {
          log_tx('C', 'T');
          set_state(TxState::Closed);
        }
        break;
      }
      if (cin_.empty()) {
        if (c_eof_ || c_err_) set_state(TxState::Closed);
        break;
      }
      if (req_scan_.searched == 0 && req_fwd_ == 0 && requests_ > 0 && tx_start_ms_ < last_c_io_ &&
          !buffering_)
        tx_start_ms_ = last_c_io_;
      if (!tx_open_) {
        tx_open_ = true;
        tx_bytes_in_start_ = bytes_in_ - cin_.size();
        tx_bytes_out_start_ = bytes_out_;
      }
      auto r = http::parse_request(cin_.view(), req_scan_, req_, req_opts_);
      if (r.status == http::ParseStatus::NeedMore) {
        if (cin_.full()) {
          uint16_t st = http::oversized_request_status(cin_.view());
          reply_error(st, st == 414 ? "request line too long" : "request headers too large");
          log_tx('P', 'R');
          return true;
        }
        if (c_eof_ || c_err_) {
          log_tx('C', 'R');   // aborted request: no reply
          set_state(TxState::Closed);
        }
        break;
      }
      if (r.status == http::ParseStatus::Error) {
        fe_.counters.req_errors.fetch_add(1, std::memory_order_relaxed);
        core::debug("session {}: bad request: {}", id_, r.reason);
        reply_error(r.error_status, r.reason);
        log_tx('P', 'R');
        return true;
      }
      if (buffer_request_ && !request_body_buffered()) {
        // option http-buffer-request: wait (within timeout http-request) for the whole body,
        // or a full buffer. The head is parsed again then: the buffer may move meanwhile.
        req_scan_ = {};
        buffering_ = true;
        if (c_eof_ || c_err_) {
          log_tx('C', 'D');
          set_state(TxState::Closed);
        }
        break;
      }
      buffering_ = false;
      progress |= on_request_head();
      break;
    }
    case TxState::Connecting:
      if (sc_ != nullptr && sc_->writable) progress |= on_connected();
      if (c_err_) {
        set_state(TxState::Closed);
        return false;
      }
      break;
    case TxState::Exchange:
      progress |= write_server();
      progress |= read_server();
      if (st_ != TxState::Exchange) break;
      if (!rsp_head_done_) {
        // Every complete head in sin_ (interim ones, then the final one) before looking at a
        // close: a server may send 100 + 103 + a final answer and close at once.
        while (!rsp_head_done_ && st_ == TxState::Exchange && !sin_.empty()) {
          auto r = http::parse_response(sin_.view(), rsp_scan_, req_.method, rsp_, rsp_opts_);
          if (r.status == http::ParseStatus::Done) {
            progress |= on_response_head();
            continue;
          }
          if (r.status == http::ParseStatus::Error) {
            core::debug("session {}: bad response: {}", id_, r.reason);
            if (server_) {
              server_->counters.response_errors.fetch_add(1, std::memory_order_relaxed);
              check::report_observed_error(*server_, true);
            }
            if (be_) be_->counters.response_errors.fetch_add(1, std::memory_order_relaxed);
            close_server(false);
            reply_after_interim(502, r.reason);
            log_tx('S', 'H');
            return true;
          }
          if (sin_.full()) {
            close_server(false);
            reply_after_interim(502, "response headers too large");
            log_tx('P', 'H');
            return true;
          }
          break;
        }
        if (st_ != TxState::Exchange) break;   // 502 (a bad 1xx or 101), or a tunnel
        if (!rsp_head_done_ && sc_ != nullptr && sc_->eof) {
          // Server closed without (a complete) response. On a reused idle connection that gave
          // nothing back, an idempotent request without a body is sent again on a new
          // connection (RFC 9110 §9.2.2: the server may have closed it as we sent).
          if (retry_on_new_connection()) return true;
          if (server_) server_->counters.response_errors.fetch_add(1, std::memory_order_relaxed);
          close_server(false);
          reply_after_interim(502, "server closed the connection before responding");
          log_tx('S', 'H');
          return true;
        }
      }
      if (st_ != TxState::Exchange) break;   // 101 / CONNECT 2xx: the Tunnel state relays now
      if (rsp_head_done_) progress |= forward_response_body();
      progress |= forward_request_body();
      progress |= write_client();
      if (rsp_body_ == Body::Done && rsp_out_off_ >= rsp_out_.size() && rsp_fwd_ == 0) {
        progress |= end_transaction();
      } else if (c_err_) {
        // Client gone: abort the exchange.
        close_server(false);
        set_state(TxState::Closed);
        return false;
      }
      break;
    case TxState::Tunnel: {
      // Raw relay both ways.
      progress |= read_server();
      if (!cin_.empty() && sc_ != nullptr) {
        req_fwd_ = cin_.size();
        progress |= write_server();
      }
      if (!sin_.empty()) {
        rsp_fwd_ = sin_.size();
        progress |= write_client();
      } else if (rsp_out_off_ < rsp_out_.size()) {
        progress |= write_client();
      }
      bool c_done = (c_eof_ || c_err_) && cin_.empty();
      bool s_done = sc_ == nullptr || (sc_->eof && sin_.empty());
      if (c_done && sc_ != nullptr && !sc_->eof) ::shutdown(sc_->fd, SHUT_WR);
      if (s_done && !c_eof_) ::shutdown(cfd_, SHUT_WR);
      if ((c_done && s_done) || c_err_) {
        close_server(false);
        set_state(TxState::Closed);
        return false;
      }
      break;
    }
    case TxState::Closing:
      progress |= write_client();
      if (rsp_out_off_ >= rsp_out_.size() || c_err_) {
        if (!lingering_ && !c_err_) {
          // Lingering close: stop sending, drain what the client still sends, so that the
          // kernel does not answer it with a reset that would destroy our response.
          ::shutdown(cfd_, SHUT_WR);
          lingering_ = true;
          last_c_io_ = w_.loop().now();
        }
        if (c_eof_ || c_err_) {
          set_state(TxState::Closed);
          return false;
        }
        cin_.consume(cin_.size());
      }
      break;
    case TxState::Queued:
      // Waiting for a server slot: only a client that goes away matters here.
      if (c_err_) {
        set_state(TxState::Closed);
        return false;
      }
      break;
    case TxState::Closed:
      return false;
  }
  return progress;
}

bool HttpSession::read_client() {
  if (!c_readable_ || c_eof_ || c_err_) return false;
  if (st_ == TxState::Closing && lingering_) {
    char junk[4096];
    ssize_t n = ::recv(cfd_, junk, sizeof junk, 0);
    if (n > 0) return true;
    if (n == 0) c_eof_ = true;
    else if (errno == EAGAIN) c_readable_ = false;
    else c_err_ = true;
    return n == 0;
  }
  char* p;
  size_t room = cin_.prepare(p);
  if (room == 0) return false;   // full: resume when drained
  ssize_t n = ::recv(cfd_, p, room, 0);
  if (n > 0) {
    cin_.produce(static_cast<size_t>(n));
    bytes_in_ += static_cast<uint64_t>(n);
    last_c_io_ = w_.loop().now();
    // Drained the socket (ET); but a FIN that came with this edge gets no edge of its own.
    if (static_cast<size_t>(n) < room && !c_hup_) c_readable_ = false;
    return true;
  }
  if (n == 0) {
    c_eof_ = true;
    cin_.release_if_empty();
    return true;
  }
  if (errno == EAGAIN || errno == EWOULDBLOCK) {
    c_readable_ = false;
    cin_.release_if_empty();
  } else if (errno != EINTR) {
    c_err_ = true;
    return true;
  }
  return false;
}

// Writes the pending response head (rsp_out_) and forwardable body bytes of sin_.
bool HttpSession::write_client() {
  if (!c_writable_ || c_err_) return false;
  size_t head_left = rsp_out_.size() - rsp_out_off_;
  size_t body = rsp_fwd_;
  if (head_left == 0 && body == 0) return false;
  iovec iov[2];
  int cnt = 0;
  if (head_left) iov[cnt++] = {rsp_out_.data() + rsp_out_off_, head_left};
  if (body) iov[cnt++] = {sin_.data(), body};
  // MSG_MORE while the body continues lets the kernel fill whole segments (as TCP_CORK
  // would) instead of pushing each buffer out at once.
  msghdr mh{};
  mh.msg_iov = iov;
  mh.msg_iovlen = static_cast<size_t>(cnt);
  // Only for Content-Length bodies: a chunked stream (server-sent events...) must not wait
  // behind the kernel's cork timer.
  bool more = rsp_head_done_ && rsp_body_ == Body::Length && st_ == TxState::Exchange;
  ssize_t n = ::sendmsg(cfd_, &mh, MSG_NOSIGNAL | (more ? MSG_MORE : 0));
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      c_writable_ = false;
      return false;
    }
    if (errno == EINTR) return false;
    c_err_ = true;
    return true;
  }
  size_t sent = static_cast<size_t>(n);
  bytes_out_ += sent;
  last_c_io_ = w_.loop().now();
  if (sent < head_left + body) c_writable_ = false;
  size_t h = std::min(sent, head_left);
  rsp_out_off_ += h;
  sent -= h;
  if (rsp_out_off_ == rsp_out_.size()) {
    rsp_out_.clear();
    rsp_out_off_ = 0;
  }
  if (sent) {
    sin_.consume(sent);
    rsp_fwd_ -= sent;
    sin_.release_if_empty();
  }
  return true;
}

bool HttpSession::read_server() {
  if (sc_ == nullptr || !sc_->readable || sc_->eof) return false;
  char* p;
  size_t room = sin_.prepare(p);
  if (room == 0) return false;
  ssize_t n = ::recv(sc_->fd, p, room, 0);
  if (n > 0) {
    sin_.produce(static_cast<size_t>(n));
    last_s_io_ = w_.loop().now();
    // A short read drained the socket; but if the edge that announced these bytes also
    // carried the FIN (EPOLLRDHUP), no new edge will come for it: read again then, to see
    // the 0 and never miss a truncation. Otherwise wait for the next edge (no extra
    // syscall on the data path).
    if (static_cast<size_t>(n) < room && !sc_->hup) sc_->readable = false;
    return true;
  }
  if (n == 0) {
    sc_->eof = true;
    sin_.release_if_empty();
    return true;
  }
  if (errno == EAGAIN || errno == EWOULDBLOCK) {
    sc_->readable = false;
    sin_.release_if_empty();
    return false;
  }
  if (errno == EINTR) return false;
  sc_->eof = true;   // reset: treated as a close
  return true;
}

bool HttpSession::write_server() {
  if (sc_ == nullptr || !sc_->writable || !sc_->connected) return false;
  size_t head_left = req_out_.size() - req_out_off_;
  size_t body = req_fwd_;
  if (head_left == 0 && body == 0) return false;
  iovec iov[2];
  int cnt = 0;
  if (head_left) iov[cnt++] = {req_out_.data() + req_out_off_, head_left};
  if (body) iov[cnt++] = {cin_.data(), body};
  msghdr mh{};
  mh.msg_iov = iov;
  mh.msg_iovlen = static_cast<size_t>(cnt);
  bool more = req_body_ == Body::Length && st_ == TxState::Exchange;
  ssize_t n = ::sendmsg(sc_->fd, &mh, MSG_NOSIGNAL | (more ? MSG_MORE : 0));
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      sc_->writable = false;
      return false;
    }
    if (errno == EINTR) return false;
    sc_->eof = true;
    sc_->writable = false;
    return true;
  }
  size_t sent = static_cast<size_t>(n);
  last_s_io_ = w_.loop().now();
  if (sent < head_left + body) sc_->writable = false;
  size_t h = std::min(sent, head_left);
  req_out_off_ += h;
  sent -= h;
  if (sent) {
    cin_.consume(sent);
    req_fwd_ -= sent;
  }
  return true;
}

// ---- request ------------------------------------------------------------------------

// The persistence cookie's server value in the request, or empty. With maxidle/maxlife the
// inserted value carries two dates (`SRV|last-seen|first-seen`, seconds in base 32, as
// haproxy does): a cookie idle or old beyond them is ignored, and its flag says why.
std::string_view HttpSession::persistence_cookie_value() {
  const auto& ck = be_->config().cookie;
  if (!ck) return {};
  cookie_first_s_ = 0;
  for (int i = req_.find("cookie"); i >= 0; i = req_.find("cookie", i + 1)) {
    auto v = http::find_cookie(req_.headers[static_cast<size_t>(i)].value, ck->name);
    if (!v) continue;
    std::string_view val = *v;
    if (ck->mode == config::CookieConfig::Mode::Prefix) {
      auto tilde = val.find('~');
      if (tilde == std::string_view::npos) return {};
      return val.substr(0, tilde);
    }
    if (auto bar = val.find('|'); bar != std::string_view::npos && (ck->maxidle || ck->maxlife)) {
      std::string_view dates = val.substr(bar + 1);
      auto bar2 = dates.find('|');
      uint64_t last = std::strtoull(std::string(dates.substr(0, bar2)).c_str(), nullptr, 32);
      uint64_t first = bar2 == std::string_view::npos
                           ? last : std::strtoull(std::string(dates.substr(bar2 + 1)).c_str(), nullptr, 32);
      uint64_t now_s = static_cast<uint64_t>(core::wall_seconds());
      if (ck->maxidle && now_s > last + static_cast<uint64_t>(ck->maxidle->count()) / 1000) {
        cookie_expired_ = 'E';
        return {};
      }
      if (ck->maxlife && now_s > first + static_cast<uint64_t>(ck->maxlife->count()) / 1000) {
        cookie_expired_ = 'O';
        return {};
      }
      cookie_first_s_ = first;
      cookie_last_s_ = last;
      return val.substr(0, bar);
    }
    return val;
  }
  return {};
}

void HttpSession::capture(bool request) {
  auto& out = request ? req_caps_ : rsp_caps_;
  out.clear();
  for (const auto& c : fe_.config().captures) {
    if (c.request != request) continue;
    int i = request ? req_.find(c.header) : rsp_.find(c.header);
    std::string_view v;
    if (i >= 0) v = (request ? req_.headers : rsp_.headers)[static_cast<size_t>(i)].value;
    out.emplace_back(v.substr(0, c.len ? c.len : v.size()));
  }
}

// An idle keep-alive connection keeps only what it needs to wait: the capacity its last
// exchange left in heads, strings and vectors goes back to the allocator (the next request
// pays a few allocations; a busy connection never idles long enough to pay them).
void HttpSession::trim_idle() {
  trimmed_ = true;
  std::string().swap(req_out_);
  std::string().swap(rsp_out_);
  std::string().swap(req_line_);
  std::string().swap(cookie_value_);
  std::vector<http::Header>().swap(req_.headers);
  std::vector<http::Header>().swap(rsp_.headers);
  std::vector<const lb::Candidate*>().swap(tried_);
  std::vector<std::string>().swap(req_caps_);
  std::vector<std::string>().swap(rsp_caps_);
}

bool HttpSession::on_request_head() {
  ++requests_;
  trimmed_ = false;
  if (!fe_.config().captures.empty()) capture(true);
  head_done_ms_ = w_.loop().now();
  connected_ms_ = rsp_head_ms_ = 0;
  queue_start_ms_ = 0;
  tx_wait_ms_ = 0;
  tx_retries_ = 0;
  redispatched_ = false;
  ck_req_ = ck_rsp_ = '-';
  fe_.counters.requests_total.fetch_add(1, std::memory_order_relaxed);
  fe_.counters.req_rate.hit(head_done_ms_);
  arena_.reset();
  rctx_.unique_id = {};
  rctx_.request_wall_us = 0;
  txn_vars_.clear();
  be_rules_ = nullptr;
  // The request line as received, for the log and for every phase after the head is gone.
  req_line_.assign(req_.method_name).append(" ").append(req_.target);
  req_method_ = req_.method;
  req_line_.append(req_.version_minor == 0 ? " HTTP/1.0" : " HTTP/1.1");
  AclContext& actx = rule_ctx(rules::kHttpReq);

  // monitor-uri: answered here, never forwarded.
  const auto& fcfg = fe_.config();
  if (!fcfg.monitor_uri.empty()) {
    std::string_view path = req_.path;
    if (auto q = path.find('?'); q != std::string_view::npos) path = path.substr(0, q);
    if (path == fcfg.monitor_uri) {
      fe_.counters.intercepted.fetch_add(1, std::memory_order_relaxed);
      bool failed = false;
      for (auto& c : fe_.monitor_fail)
        if (c.eval(actx)) failed = true;
      tx_open_ = false;   // monitor requests are not logged
      if (failed) reply_error(503, "monitor fail");
      else if (auto page = fe_.error_pages.find(200); page != fe_.error_pages.end()) reply_raw(page->second);
      else reply_raw("HTTP/1.1 200 OK\r\ncontent-length: 58\r\ncache-control: no-cache\r\n"
                     "content-type: text/html\r\nconnection: close\r\n\r\n"
                     "<html><body><h1>200 OK</h1>\nService ready.\n</body></html>\n");
      return true;
    }
  }
  // tcp-request content rules see each request before the http-request rules, as in HAProxy.
  if (run_rules(fe_.rules.tcp_content, rules::kReqContent)) return true;
  if (run_rules(fe_.rules.http_req, rules::kHttpReq)) return true;

  be_ = w_.runtime().pick_backend(fe_, actx);
  actx.be = be_;
  if (be_ != nullptr && be_->config().kind == config::ProxyConfig::Kind::Backend) {
    be_rules_ = w_.runtime().backend_rules(be_);
    if (be_rules_ != nullptr && run_rules(be_rules_->http_req, rules::kHttpReq)) return true;
  }
  bool prometheus = actx.service == "prometheus-exporter";
  if (auto svc = stats::match(fe_, be_, req_, prometheus); svc != stats::Service::None)
    return serve_service(svc);
  if (be_ == nullptr) {
    reply_error(503, "no backend");
    log_tx('S', 'C');
    return true;
  }
  // unique-id-format: the id exists from here on (HAProxy generates it after the
  // http-request rules, unless a rule asked for it first); unique-id-header sends it.
  if (!rules::unique_id(actx).empty() && !fcfg.unique_id_header.empty())
    req_.headers.push_back({fcfg.unique_id_header, actx.unique_id});
  to_ = effective_timeouts(fcfg.timeouts, be_->config().timeouts);
  rsp_opts_.accept_invalid = be_->config().accept_invalid_http_response.value_or(false);

  // Connection modes: the client side keeps alive unless told otherwise.
  auto mode_of = [](const config::ProxyConfig& p) {
    return p.http_conn_mode.value_or(config::HttpConnMode::KeepAlive);
  };
  auto fmode = mode_of(fcfg), bmode = mode_of(be_->config());
  bool close_mode = fmode == config::HttpConnMode::Close || bmode == config::HttpConnMode::Close;
  bool server_close = close_mode || fmode == config::HttpConnMode::ServerClose ||
                      bmode == config::HttpConnMode::ServerClose;
  client_keepalive_ = req_.keep_alive && !close_mode && !soft_stop_ &&
                      !w_.runtime().soft_stopping.load(std::memory_order_relaxed);
  server_keepalive_ = !server_close && be_->config().http_reuse != config::HttpReuse::Never;
  // A connection opened for a client's only request (it closes after this one) could only be
  // reused by other clients' later requests (http-reuse safe); in practice it idles until it
  // is purged. Let the server close it instead: it then also keeps the TIME_WAIT.
  if (!client_keepalive_ && first_request_ && be_->config().http_reuse == config::HttpReuse::Safe)
    server_keepalive_ = false;

  switch (req_.framing) {
    case http::Framing::ContentLength:
      req_body_ = req_.content_length ? Body::Length : Body::Done;
      req_left_ = req_.content_length;
      break;
    case http::Framing::Chunked:
      req_body_ = Body::Chunked;
      req_chunk_.reset();
      break;
    default: req_body_ = Body::Done; break;
  }
  if (req_.upgrade || req_.method == http::Method::Connect) server_keepalive_ = false;

  cookie_expired_ = 0;
  cookie_value_ = std::string(persistence_cookie_value());
  retries_left_ = be_->config().retries;
  tried_.clear();
  build_request_head();
  prepare_pick();
  cin_.consume(req_.head_len);
  req_scan_ = {};
  continue_sent_ = false;
  // Validate the part of a chunked body that came with the head before choosing a server: a
  // malformed body (a smuggling attempt usually arrives in one packet) is then refused with no
  // byte reaching any server. The decoder carries on from here in forward_request_body().
  req_held_ = 0;
  if (req_body_ == Body::Chunked && !cin_.empty()) {
    req_fwd_ = 0;
    auto s = feed_chunked(req_chunk_, cin_.view(), req_fwd_, req_held_);
    if (s.error) {
      fe_.counters.req_errors.fetch_add(1, std::memory_order_relaxed);
      reply_error(400, s.reason);
      log_tx('P', 'R');
      return true;
    }
    if (s.done && finish_chunked(cin_, req_fwd_, req_held_, req_out_)) req_body_ = Body::Done;
  }
  be_->counters.sessions_total.fetch_add(1, std::memory_order_relaxed);
  return start_connect();
}

// option http-buffer-request: true once the body of the parsed request head is complete in
// cin_ (or cin_ is full: the rest then streams, as in haproxy). A malformed chunked body also
// counts as complete: on_request_head() rejects it. Answers Expect: 100-continue itself
// (once), since the server will only see the request when the body is here.
bool HttpSession::request_body_buffered() {
  const std::string_view body = cin_.view().substr(req_.head_len);
  bool complete = true;
  if (req_.framing == http::Framing::ContentLength) {
    complete = body.size() >= req_.content_length;
  } else if (req_.framing == http::Framing::Chunked) {
    http::ChunkedDecoder d;
    auto st = d.feed(body);
    complete = st.done || st.error;
  }
  if (complete || cin_.full()) return true;
  if (req_.expect_continue && !continue_sent_) {
    continue_sent_ = true;
    rsp_out_.append("HTTP/1.1 100 Continue\r\n\r\n");
    write_client();
  }
  return false;
}

AclContext& HttpSession::rule_ctx(uint16_t phase) {
  AclContext& c = rctx_;
  c.phase = phase;
  c.src = &src_;
  c.dst = &dst();
  c.fd = cfd_;
  c.fe_name = fe_.name();
  c.fe_id = fe_.id();
  c.so_name = so_name;
  c.fe_counters = &fe_.counters;
  c.be = be_;
  c.srv = server_;
  // A forwarded request's views point into a buffer that has moved on: response rules only
  // see what the transaction kept (the method, from req_line_), as in HAProxy.
  c.req = (phase & rules::kReqPhases) != 0 ? &req_ : nullptr;
  c.rsp = (phase & rules::kResPhases) != 0 ? &rsp_ : nullptr;
  c.method = req_method_;   // as received: HAProxy's `method` ignores set-method too
  c.method_name = std::string_view(req_line_).substr(0, req_line_.find(' '));
  c.first_request = requests_ <= 1;
  c.sess_vars = &sess_vars;
  c.txn_vars = &txn_vars_;
  c.arena = &arena_;
  c.unique_id_format = fe_.unique_id_format ? &*fe_.unique_id_format : nullptr;
  if (c.request_wall_us == 0) {   // once per transaction (reset with the arena)
    uint64_t now_ms = w_.loop().now(), wall = log::wall_clock_us();
    c.accept_wall_us = wall - (now_ms - start_ms_) * 1000u;
    c.request_wall_us = wall - (now_ms - tx_start_ms_) * 1000u;
  }
  return c;
}

// Rules run in order on the live message: a set-header then a del-header of the same name
// leaves nothing, as in HAProxy. An answer (deny, return, redirect...) is sent here.
bool HttpSession::run_rules(const rules::RuleSet& set, uint16_t phase) {
  if (set.empty()) return false;
  AclContext& c = rule_ctx(phase);
  c.reply = {};
  if (set.run(c) != rules::Verdict::Answered) return false;
  return send_rule_reply();
}

bool HttpSession::send_rule_reply() {
  const rules::Reply& r = rctx_.reply;
  switch (r.kind) {
    case rules::Reply::Kind::Close:
    case rules::Reply::Kind::SilentDrop:
      // reject / silent-drop: the connection ends with no answer.
      fe_.counters.denied.fetch_add(1, std::memory_order_relaxed);
      if (r.kind == rules::Reply::Kind::SilentDrop) net::silent_drop(cfd_);
      reply_raw({});   // nothing to send: the connection closes
      log_tx('P', 'R');
      return true;
    case rules::Reply::Kind::Error:
    case rules::Reply::Kind::Full:
    default: {
      // deny, tarpit, auth and failed rewrites are denials; return and redirect intercept.
      bool denial = r.kind == rules::Reply::Kind::Error || r.log_reason == "denied by rule" || r.tarpit;
      (denial ? fe_.counters.denied : fe_.counters.intercepted).fetch_add(1, std::memory_order_relaxed);
      core::debug("session {}: rule reply {} ({})", id_, r.status, r.log_reason);
      if (r.tarpit) {
        // tarpit: hold the request (the timer wakes us, nothing polls) for timeout tarpit of
        // the proxy whose rule matched, then answer.
        const auto& t = be_rules_ != nullptr ? be_->config().timeouts : fe_.config().timeouts;
        uint64_t ms = t.tarpit ? static_cast<uint64_t>(t.tarpit->count())
                               : t.connect ? static_cast<uint64_t>(t.connect->count()) : to_.connect;
        tarpit_status_ = r.status;
        tarpit_page_ = rule_reply_page(r);
        tarpit_until_ = w_.loop().now() + std::max<uint64_t>(ms, 1);
        return true;
      }
      uint16_t status = r.status ? r.status : 403;
      std::string page = rule_reply_page(r);
      if (answer_and_keep_alive(status, page)) return true;
      send_page(status, page);
      log_tx('P', 'R');
      return true;
    }
  }
}

// A rule's answer to a request without a body to read (return, redirect, deny, auth...) keeps the
// client's connection, as HAProxy does: the page goes out without its Connection: close and
// the transaction ends once it is written; the next request may follow. False when the
// connection must close (a body to skip, HTTP/1.0 without keep-alive, close modes, stopping):
// the caller sends the page the usual way.
bool HttpSession::answer_and_keep_alive(uint16_t status, std::string_view page) {
  // A body counts as skipped when it is all in the buffer already (a small POST); a longer or
  // chunked one would have to be read and dropped: the connection closes instead.
  size_t body_len = req_.framing == http::Framing::ContentLength ? req_.content_length : 0;
  bool no_body = req_.framing == http::Framing::None ||
                 (req_.framing == http::Framing::ContentLength && cin_.size() >= req_.head_len + body_len);
  auto mode = [](const config::ProxyConfig& p) { return p.http_conn_mode.value_or(config::HttpConnMode::KeepAlive); };
  bool close_mode = mode(fe_.config()) == config::HttpConnMode::Close ||
                    (be_ != nullptr && mode(be_->config()) == config::HttpConnMode::Close);
  if (page.empty() || !no_body || !req_.keep_alive || close_mode || req_.upgrade || soft_stop_ ||
      w_.runtime().soft_stopping.load(std::memory_order_relaxed) || st_ != TxState::WaitRequest)
    return false;
  status_ = status;
  std::string_view final_page = after_response_page(page);
  // Drop the page's own Connection header (error pages carry "close"), then say keep-alive
  // to an HTTP/1.0 client.
  std::string out(final_page);
  size_t head_end = out.find("\r\n\r\n");
  if (head_end == std::string::npos) return false;
  for (size_t pos = out.find("\r\n"); pos < head_end;) {
    size_t eol = out.find("\r\n", pos + 2);
    std::string_view line(out.data() + pos + 2, eol - pos - 2);
    if (line.size() >= 11 && ieq(line.substr(0, 11), "connection:")) {
      out.erase(pos, eol - pos);
      head_end -= eol - pos;
      continue;
    }
    pos = eol;
  }
  if (req_.version_minor == 0) out.insert(head_end + 2, "Connection: keep-alive\r\n");
  count_status(status_);
  log_tx('P', 'R');
  cin_.consume(req_.head_len + body_len);
  req_scan_ = {};
  req_out_.clear();
  req_out_off_ = 0;
  req_fwd_ = req_held_ = 0;
  req_body_ = Body::Done;
  rsp_body_ = Body::Done;
  rsp_head_done_ = true;
  rsp_out_ = std::move(out);
  rsp_out_off_ = 0;
  rsp_fwd_ = 0;
  client_keepalive_ = true;
  set_state(TxState::Exchange);   // no server: Exchange writes the page, then end_transaction()
  return true;
}

// The bytes of a rule's answer, before the http-after-response rules: a response built from
// its parts (return, redirect), or an error page with the rule's extra headers (auth).
std::string HttpSession::rule_reply_page(const rules::Reply& r) {
  std::string out;
  auto valid = [](std::string_view v) { return v.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos; };
  if (r.kind == rules::Reply::Kind::Full) {
    out.append("HTTP/1.1 ").append(fmt::format_int(r.status).c_str()).push_back(' ');
    out.append(r.reason.empty() ? http::status_reason(r.status) : r.reason).append("\r\n");
    for (const auto& [n, v] : r.headers)
      if (valid(v)) append_header(out, n, v);
    append_header(out, "content-length", fmt::format_int(r.body.size()).c_str());
    if (!r.content_type.empty()) append_header(out, "content-type", r.content_type);
    out.append("\r\n");
    if (req_.method != http::Method::Head) out.append(r.body);   // a HEAD gets the head only
    return out;
  }
  out.assign(r.raw_page != nullptr ? std::string_view(*r.raw_page)
                                   : w_.runtime().error_page(fe_, be_, r.status ? r.status : 403).value_or(std::string_view{}));
  if (r.headers.empty() || out.empty()) return out;
  size_t end = out.find("\r\n\r\n");
  if (end == std::string::npos) return out;
  std::string extra;
  for (const auto& [n, v] : r.headers)
    if (valid(v)) append_header(extra, n, v);
  out.insert(end + 2, extra);
  return out;
}

void HttpSession::build_request_head() {
  const auto& bcfg = be_->config();
  const auto& ck = bcfg.cookie;
  req_out_.clear();
  req_out_off_ = 0;
  req_upgrade_.clear();
  req_out_.append(req_.method_name);
  req_out_.push_back(' ');
  req_out_.append(req_.target);
  req_out_.append(req_.version_minor == 0 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n");
  bool has_conn_tokens = req_.find("connection") >= 0;
  bool xff_present = false;
  const auto& ff = bcfg.forwardfor.enabled ? bcfg.forwardfor : fe_.config().forwardfor;
  bool cl_sent = false, te_sent = false;
  for (const auto& h : req_.headers) {
    if (hop_by_hop(h.name)) {
      if (req_.upgrade && ieq(h.name, "upgrade")) {
        append_header(req_out_, h.name, h.value);
        req_upgrade_.append(h.value).push_back(',');   // what a 101 may switch to
      }
      continue;
    }
    if (h.name.size() == 14 && ieq(h.name, "content-length")) {
      // RFC 9110 §8.6: the parser merged identical repeats ("5, 5", two fields); the server
      // gets one plain value, so no parser behind us can read the framing differently.
      if (!cl_sent) append_header(req_out_, h.name, fmt::format_int(req_.content_length).c_str());
      cl_sent = true;
      continue;
    }
    if (has_conn_tokens && named_in_connection(req_.headers, h.name)) continue;
    if (continue_sent_ && ieq(h.name, "expect")) continue;   // answered by us (http-buffer-request)
    if (ff.enabled && ieq(h.name, ff.header)) xff_present = true;
    if (ieq(h.name, "transfer-encoding")) te_sent = true;
    if (ck && ieq(h.name, "cookie")) {
      // insert+indirect: our cookie is removed before the server sees it; prefix: the
      // "SERVER~" part is stripped so the application sees its own cookie unchanged.
      auto v = http::find_cookie(h.value, ck->name);
      if (v) {
        if (ck->mode == config::CookieConfig::Mode::Prefix) {
          std::string_view val = *v;
          auto tilde = val.find('~');
          if (tilde != std::string_view::npos) {
            size_t off = static_cast<size_t>(val.data() - h.value.data());
            std::string nv;
            nv.append(h.value.substr(0, off));
            nv.append(val.substr(tilde + 1));
            nv.append(h.value.substr(off + val.size()));
            append_header(req_out_, h.name, nv);
            continue;
          }
        } else if (ck->mode == config::CookieConfig::Mode::Insert && ck->indirect) {
          std::string nv = http::remove_cookie(h.value, ck->name);
          if (!nv.empty()) append_header(req_out_, h.name, nv);
          continue;
        }
      }
    }
    append_header(req_out_, h.name, h.value);
  }
  // The framing is what was parsed, whatever rules did to the headers (a rule that removed
  // it must not turn the body into a second request).
  if (req_.framing == http::Framing::ContentLength && !cl_sent)
    append_header(req_out_, "Content-Length", fmt::format_int(req_.content_length).c_str());
  if (req_.framing == http::Framing::Chunked && !te_sent) append_header(req_out_, "Transfer-Encoding", "chunked");
  if (ff.enabled && !(ff.if_none && xff_present) && src_.ss_family != AF_UNIX) {
    if (!(ff.except && ff.except->contains(src_)))
      append_header(req_out_, ff.header, net::to_string(src_, false));
  }
  if (req_.upgrade) {
    req_out_.append("Connection: upgrade\r\n");
  } else if (!server_keepalive_) {
    req_out_.append("Connection: close\r\n");
  } else if (req_.version_minor == 0) {
    req_out_.append("Connection: keep-alive\r\n");
  }
  req_out_.append("\r\n");
}

// Everything server selection reads from the request head, computed while the head is
// still in the buffer: the hash key, stick-table lookups and keys, the log's request line.
// (Retries and queue grants happen later, when those bytes may be gone.)
void HttpSession::prepare_pick() {
  lb_key_.reset();
  const auto& bcfg = be_->config();
  const lb::HashSpec spec = hash_spec(bcfg);
  switch (bcfg.balance) {
    case config::Balance::Source: lb_key_ = lb::hash_address(reinterpret_cast<const sockaddr*>(&src_), spec); break;
    case config::Balance::Uri: lb_key_ = lb::hash_bytes(uri_hash_input(req_.path, bcfg), spec); break;
    case config::Balance::UrlParam:
      if (auto v = url_param_value(req_.path, bcfg.balance_arg)) lb_key_ = lb::hash_bytes(*v, spec);
      break;
    case config::Balance::Hdr: {
      int i = req_.find(bcfg.balance_arg);
      if (i >= 0) lb_key_ = lb::hash_bytes(req_.headers[static_cast<size_t>(i)].value, spec);
      break;
    }
    default: break;
  }
  stick_ = bcfg.stick_rules.empty() ? nullptr : w_.runtime().stick_rules(be_);
  stick_prep_ = {};
  if (stick_ != nullptr) {
    stick_prep_ = stick_->prepare(*be_, rule_ctx(rules::kHttpReq), w_.loop().now());
  }
}

bool HttpSession::start_connect() {
  const auto& bcfg = be_->config();
  std::optional<uint64_t> key = lb_key_;
  backend::Server* sticky = stick_prep_.sticky;
  release_server_slot();
  if (!queue_start_ms_) queue_start_ms_ = w_.loop().now();
  backend::PendingRequest* pending = queue_entry(*be_);
  auto pick = be_->pick(cookie_value_, key, tried_, pending, w_.loop().now(), sticky);
  pick_by_cookie_ = pick.by_cookie;
  if (pick.result == backend::PickResult::Queued) {
    // Every candidate is at its maxconn: wait for a slot (timeout queue -> 503).
    set_state(TxState::Queued);
    w_.add_waiting(id_, *this);
    return true;
  }
  server_ = pick.server;
  if (server_ == nullptr) {
    if (bcfg.dispatch) {
      server_addr_ = bcfg.dispatch->sa;
      server_addr_len_ = bcfg.dispatch->sa_len;
    } else {
      be_->counters.no_server.fetch_add(1, std::memory_order_relaxed);
      reply_error(503, "no server available");
      log_tx('S', 'C');
      return true;
    }
  } else {
    server_addr_ = pick.addr;
    server_addr_len_ = pick.addr_len;
    counted_on_server_ = true;
  }
  return connect_server();
}

void HttpSession::on_slot_granted() {
  if (closed_ || st_ != TxState::Queued) return;
  w_.remove_waiting(id_);
  tx_wait_ms_ = static_cast<int64_t>(w_.loop().now() - queue_start_ms_);
  server_ = pending_->granted;
  server_addr_ = pending_->addr;
  server_addr_len_ = pending_->addr_len;
  counted_on_server_ = true;
  connect_server();
  process();
}

// An idempotent request without a body (RFC 9110 9.2.2) can be sent again.
bool HttpSession::resendable() const {
  bool idempotent = req_.method == http::Method::Get || req_.method == http::Method::Head ||
                    req_.method == http::Method::Options || req_.method == http::Method::Put ||
                    req_.method == http::Method::Delete || req_.method == http::Method::Trace;
  bool no_body = req_.framing == http::Framing::None ||
                 (req_.framing == http::Framing::ContentLength && req_.content_length == 0);
  return idempotent && no_body;
}

bool HttpSession::retry_on_new_connection() {
  if (!conn_reused_ || !sin_.empty() || interim_count_ != 0 || !resendable() || req_body_ != Body::Done)
    return false;
  core::debug("session {}: reused server connection closed before any response; sending again", id_);
  close_server(false);
  req_out_off_ = 0;
  fresh_connection_ = true;
  return connect_server();
}

// Connects (or reuses an idle connection) to server_ / server_addr_, whose slot is held.
bool HttpSession::connect_server() {
  const auto& bcfg = be_->config();
  if (stick_ != nullptr && server_ != nullptr) StickRules::commit(stick_prep_, *server_, w_.loop().now());
  if (server_ != nullptr && server_->port_from_client()) {
    uint16_t cport = net::port_of(reinterpret_cast<const sockaddr*>(&dst()));
    int port = server_->config().addr.port_offset ? cport + server_->config().addr.port_delta : cport;
    net::set_port(server_addr_, static_cast<uint16_t>(port));
  }
  // Insert a cookie when the client did not present a valid one for this server.
  const auto& ck = bcfg.cookie;
  if (ck) {
    if (cookie_expired_) ck_req_ = cookie_expired_;
    else if (cookie_value_.empty()) ck_req_ = 'N';
    else if (pick_by_cookie_) ck_req_ = server_ != nullptr && server_->usable_for_persistence() ? 'V' : 'D';
    else ck_req_ = 'I';
    ck_rsp_ = 'N';
  }
  set_cookie_ = false;
  if (ck && server_ != nullptr && ck->mode == config::CookieConfig::Mode::Insert) {
    bool valid = !cookie_value_.empty() && cookie_value_ == server_->cookie();
    bool post_ok = !ck->postonly || req_.method == http::Method::Post;
    set_cookie_ = !valid && post_ok && !server_->cookie().empty();
    // maxidle: refresh the last-seen date once a quarter of the idle time has passed.
    if (valid && ck->maxidle && cookie_last_s_ != 0) {
      uint64_t now_s = static_cast<uint64_t>(core::wall_seconds());
      if (now_s >= cookie_last_s_ + static_cast<uint64_t>(ck->maxidle->count()) / 4000) set_cookie_ = true;
    }
  }

  set_state(TxState::Connecting);
  connect_start_ms_ = w_.loop().now();
  rsp_head_done_ = false;
  rsp_started_ = false;
  rsp_scan_ = {};
  conn_reused_ = false;

  // Reuse an idle connection to the same server (http-reuse safe: not for the first
  // request of a client connection, which browsers could not retry).
  bool fresh = fresh_connection_;
  fresh_connection_ = false;
  if (server_ != nullptr && server_keepalive_ && !fresh) {
    auto reuse = bcfg.http_reuse;
    bool allowed = reuse == config::HttpReuse::Always || reuse == config::HttpReuse::Aggressive ||
                   (reuse == config::HttpReuse::Safe && !first_request_);
    if (allowed) {
      // A request that could not be sent again is only put on an idle connection checked
      // to be open (one peek); the others are resent if it turns out closed.
      if (ServerConn* c = w_.take_idle(*server_, !resendable())) {
        sc_ = c;
        sc_->owner = this;
        conn_reused_ = true;
        connected_ms_ = w_.loop().now();
        set_state(TxState::Exchange);
        return true;
      }
    }
  }
  int err = 0;
  int fd = net::connect_start(reinterpret_cast<const sockaddr*>(&server_addr_), server_addr_len_, err);
  if (fd < 0) {
    on_connect_error(err, false);
    return true;
  }
  apply_socket_options(fd, be_->config(), false);
  sc_ = new ServerConn(w_, server_, fd, server_addr_);
  sc_->owner = this;
  sc_->start_watch();
  return true;
}

bool HttpSession::on_connected() {
  int err = net::connect_result(sc_->fd);
  if (err != 0) {
    on_connect_error(err, false);
    return true;
  }
  sc_->connected = true;
  set_state(TxState::Exchange);
  last_s_io_ = connected_ms_ = w_.loop().now();
  return true;
}

void HttpSession::on_connect_error(int err, bool timeout) {
  core::debug("session {}: connect to {} failed: {}", id_, net::to_string(server_addr_),
              timeout ? "timeout" : std::strerror(err));
  if (sc_ != nullptr) close_server(false);
  if (server_) {
    server_->counters.connect_errors.fetch_add(1, std::memory_order_relaxed);
    be_->counters.connect_errors.fetch_add(1, std::memory_order_relaxed);
    check::report_observed_error(*server_, false);   // observe layer4 / on-error
  }
  if (retries_left_ > 0) {
    --retries_left_;
    ++tx_retries_;
    if (server_) server_->counters.retries.fetch_add(1, std::memory_order_relaxed);
    be_->counters.retries.fetch_add(1, std::memory_order_relaxed);
    // option redispatch (or the old `redispatch`): the last retry, or a retry of a server
    // that is not usable any more, goes to another server.
    bool redispatch = be_->config().redispatch.value_or(false);
    if (redispatch && server_ != nullptr && (retries_left_ == 0 || !server_->takes_new_traffic())) {
      tried_.push_back(server_);
      cookie_value_.clear();
      redispatched_ = true;
      be_->counters.redispatches.fetch_add(1, std::memory_order_relaxed);
      server_->counters.redispatches.fetch_add(1, std::memory_order_relaxed);
    }
    start_connect();
    return;
  }
  if (be_->config().redispatch.value_or(false) && server_ != nullptr && tried_.size() < 2 &&
      std::find(tried_.begin(), tried_.end(), server_) == tried_.end()) {
    tried_.push_back(server_);
    cookie_value_.clear();
    be_->counters.redispatches.fetch_add(1, std::memory_order_relaxed);
    start_connect();
    return;
  }
  reply_error(503, timeout ? "connect timeout" : "connection refused");
  log_tx(timeout ? 's' : 'S', 'C');
}

// ---- response -----------------------------------------------------------------------

// Interim response (100 Continue, 103 Early Hints): relayed as is to an HTTP/1.1 client, as
// haproxy does, and never to an HTTP/1.0 one (RFC 9110 §15.2); the final one follows. Bounded
// in count and bytes, so that an endless stream cannot hold the exchange or grow rsp_out_.
bool HttpSession::on_interim_response() {
  ++interim_count_;
  interim_bytes_ += rsp_.head_len;
  if (interim_count_ > kMaxInterim || interim_bytes_ > sin_.capacity()) {
    if (server_) server_->counters.response_errors.fetch_add(1, std::memory_order_relaxed);
    if (be_) be_->counters.response_errors.fetch_add(1, std::memory_order_relaxed);
    close_server(false);
    reply_after_interim(502, "too many interim responses");
    log_tx('S', 'H');
    return true;
  }
  if (req_.version_minor >= 1) rsp_out_.append(sin_.data(), rsp_.head_len);
  sin_.consume(rsp_.head_len);
  rsp_scan_ = {};
  return true;
}

// RFC 9110 §7.8: a 101 answers only a request that asked for an upgrade (Connection: upgrade
// and Upgrade, in HTTP/1.1), and switches only to a protocol the client named. Anything else
// would turn the connection into a tunnel that no later rule or parser looks at.
bool HttpSession::upgrade_accepted() const {
  if (!req_.upgrade || req_.version_minor == 0) return false;
  std::string offered;
  for (const auto& h : rsp_.headers)
    if (ieq(h.name, "upgrade")) offered.append(h.value).push_back(',');
  return http::upgrade_offer_ok(req_upgrade_, offered);
}

// An error instead of the final response, after the interim responses already queued (a partly
// written one must be completed, or the client would misread the 502).
void HttpSession::reply_after_interim(uint16_t status, const char* reason, std::optional<std::string> page) {
  size_t pending = rsp_out_.size() - rsp_out_off_;
  if (rsp_head_done_) pending = bytes_out_ < rsp_final_at_ ? rsp_final_at_ - bytes_out_ : 0;
  std::string interim = rsp_out_.substr(rsp_out_off_, pending);
  if (page) {
    core::debug("session {}: replying {} ({})", id_, status, reason);
    send_page(status, *page);
  } else {
    reply_error(status, reason);
  }
  rsp_out_.insert(0, interim);
}

bool HttpSession::on_response_head() {
  rsp_started_ = true;
  uint16_t st = rsp_.status;
  if (st >= 100 && st < 200 && st != 101) return on_interim_response();
  if (st == 101 && !upgrade_accepted()) {
    core::debug("session {}: 101 to a request that did not ask for this upgrade", id_);
    if (server_) server_->counters.response_errors.fetch_add(1, std::memory_order_relaxed);
    if (be_) be_->counters.response_errors.fetch_add(1, std::memory_order_relaxed);
    close_server(false);
    reply_after_interim(502, "unsolicited 101 Switching Protocols");
    log_tx('S', 'H');
    return true;
  }
  rsp_head_done_ = true;
  rsp_head_ms_ = w_.loop().now();
  if (!fe_.config().captures.empty()) capture(false);
  if (stick_ != nullptr && server_ != nullptr && stick_->has_response_rules()) {
    stick_->store(*server_, rule_ctx(rules::kHttpRes), &rsp_, rsp_head_ms_);
  }
  if (server_ != nullptr) {
    // observe layer7: 5xx answers count as errors (as haproxy's observe does).
    if (st >= 500 && st != 501 && st != 505) check::report_observed_error(*server_, true);
    else check::report_observed_success(*server_);
  }
  if (run_response_rules()) return true;
  status_ = rsp_.status;   // set-status may have changed it
  count_status(status_);
  build_response_head();
  sin_.consume(rsp_.head_len);
  switch (rsp_.framing) {
    case http::Framing::ContentLength:
      rsp_body_ = rsp_.content_length ? Body::Length : Body::Done;
      rsp_left_ = rsp_.content_length;
      break;
    case http::Framing::Chunked:
      rsp_body_ = Body::Chunked;
      rsp_chunk_.reset();
      rsp_held_ = 0;
      break;
    case http::Framing::UntilClose: rsp_body_ = Body::UntilClose; break;
    case http::Framing::Tunnel:
      set_state(TxState::Tunnel);
      rsp_body_ = Body::Done;
      req_body_ = Body::Done;
      return true;
    case http::Framing::None: rsp_body_ = Body::Done; break;
  }
  return true;
}

// http-response rules (the backend's, then the frontend's, as in HAProxy), then
// http-after-response rules, on the live response head before it is serialised. True when a
// rule answered instead: the server's response is dropped and the answer sent.
std::array<const rules::RuleSet*, 2> HttpSession::response_sets(rules::RuleSet rules::ProxyRules::*which) const {
  return {be_rules_ != nullptr ? &(be_rules_->*which) : nullptr, &(fe_.rules.*which)};
}

bool HttpSession::run_response_rules() {
  for (const auto* set : response_sets(&rules::ProxyRules::http_res)) {
    if (set == nullptr || set->empty()) continue;
    AclContext& c = rule_ctx(rules::kHttpRes);
    c.reply = {};
    if (set->run(c) != rules::Verdict::Answered) continue;
    // deny: the response goes no further (HAProxy's 502 unless deny_status says otherwise).
    fe_.counters.denied_resp.fetch_add(1, std::memory_order_relaxed);
    if (be_ != nullptr) be_->counters.denied_resp.fetch_add(1, std::memory_order_relaxed);
    close_server(false);
    const rules::Reply& r = rctx_.reply;
    if (r.kind == rules::Reply::Kind::Close || r.kind == rules::Reply::Kind::SilentDrop) {
      if (r.kind == rules::Reply::Kind::SilentDrop) net::silent_drop(cfd_);
      reply_raw({});
    } else {
      reply_after_interim(r.status ? r.status : 502, r.log_reason.empty() ? "response denied by rule" : r.log_reason.data(),
                          rule_reply_page(r));
    }
    log_tx('P', 'H');
    return true;
  }
  run_after_response_rules();
  return false;
}

// http-after-response rules: on every response, the server's and the proxy's own.
void HttpSession::run_after_response_rules() {
  for (const auto* set : response_sets(&rules::ProxyRules::after_res)) {
    if (set == nullptr || set->empty()) continue;
    rule_ctx(rules::kAfterRes).reply = {};
    set->run(rctx_);   // after-response actions cannot answer (allow only stops the set)
  }
}

bool HttpSession::has_after_response_rules() const {
  for (const auto* set : response_sets(&rules::ProxyRules::after_res))
    if (set != nullptr && !set->empty()) return true;
  return false;
}

// A page the proxy answers with (a full HTTP/1 response), after the http-after-response
// rules changed it: parsed into rsp_, rewritten, serialised again. A page that does not
// parse (an errorfile is checked at load, so only an empty one) goes out as it is.
std::string_view HttpSession::after_response_page(std::string_view page) {
  if (page.empty() || !has_after_response_rules()) return page;
  http::HeadScan scan;
  http::ParseOptions opts;
  opts.accept_invalid = true;
  if (http::parse_response(page, scan, http::Method::Get, rsp_, opts).status != http::ParseStatus::Done) return page;
  std::string_view body = page.substr(rsp_.head_len);
  run_after_response_rules();
  status_ = rsp_.status;
  std::string out;
  out.reserve(page.size() + 128);
  out.append(rsp_.version_minor == 0 ? "HTTP/1.0 " : "HTTP/1.1 ");
  out.append(fmt::format_int(rsp_.status).c_str());
  out.push_back(' ');
  out.append(rsp_.reason);
  out.append("\r\n");
  for (const auto& h : rsp_.headers) append_header(out, h.name, h.value);
  out.append("\r\n");
  out.append(body);
  return arena_.copy(out);
}

void HttpSession::build_response_head() {
  const auto& bcfg = be_->config();
  const auto& ck = bcfg.cookie;
  bool tunnel = rsp_.framing == http::Framing::Tunnel;
  // RFC 9110 §9.3.6: a 2xx to CONNECT is a tunnel, not an upgrade: no Connection: upgrade,
  // and the Content-Length / Transfer-Encoding a server must not send are not relayed.
  bool connect_tunnel = tunnel && req_.method == http::Method::Connect;
  rsp_final_at_ = bytes_out_ + (rsp_out_.size() - rsp_out_off_);
  // Keep the client alive only if the response is delimited.
  if (rsp_.framing == http::Framing::UntilClose) client_keepalive_ = false;
  if (!rsp_.keep_alive || rsp_.framing == http::Framing::UntilClose) server_keepalive_ = false;
  if (soft_stop_ || w_.runtime().soft_stopping.load(std::memory_order_relaxed)) client_keepalive_ = false;

  dechunk_ = rsp_.framing == http::Framing::Chunked && req_.version_minor == 0;
  if (dechunk_) {
    client_keepalive_ = false;   // the close delimits the de-chunked body
    unchunk_st_ = Unchunk::Size;
    unchunk_left_ = 0;
  }
  rsp_out_.append(req_.version_minor == 0 ? "HTTP/1.0 " : "HTTP/1.1 ");
  rsp_out_.append(fmt::format_int(rsp_.status).c_str());
  rsp_out_.push_back(' ');
  rsp_out_.append(rsp_.reason);
  rsp_out_.append("\r\n");
  bool has_conn_tokens = rsp_.find("connection") >= 0;
  bool has_cache_control = false;
  bool cl_sent = false, te_sent = false;
  for (const auto& h : rsp_.headers) {
    if (hop_by_hop(h.name)) {
      if (tunnel && !connect_tunnel && ieq(h.name, "upgrade")) append_header(rsp_out_, h.name, h.value);
      continue;
    }
    if ((dechunk_ || connect_tunnel) && ieq(h.name, "transfer-encoding")) continue;
    if (connect_tunnel && ieq(h.name, "content-length")) continue;
    if (h.name.size() == 14 && ieq(h.name, "content-length")) {
      // One plain value, as for requests (build_request_head).
      if (!cl_sent) append_header(rsp_out_, h.name, fmt::format_int(rsp_.content_length).c_str());
      cl_sent = true;
      continue;
    }
    if (has_conn_tokens && named_in_connection(rsp_.headers, h.name)) continue;
    if (ieq(h.name, "cache-control")) has_cache_control = true;
    if (ieq(h.name, "transfer-encoding")) te_sent = true;
    if (ck && server_ != nullptr && ieq(h.name, "set-cookie") &&
        (ck->mode == config::CookieConfig::Mode::Prefix || ck->mode == config::CookieConfig::Mode::Rewrite)) {
      auto sc = http::parse_set_cookie(h.value);
      if (sc && sc->name == ck->name && !server_->cookie().empty()) {
        size_t off = static_cast<size_t>(sc->value.data() - h.value.data());
        std::string nv;
        nv.append(h.value.substr(0, off));
        nv.append(server_->cookie());
        if (ck->mode == config::CookieConfig::Mode::Prefix) {
          nv.push_back('~');
          nv.append(sc->value);
        }
        nv.append(h.value.substr(off + sc->value.size()));
        append_header(rsp_out_, h.name, nv);
        continue;
      }
    }
    append_header(rsp_out_, h.name, h.value);
  }
  if (!connect_tunnel && rsp_.framing == http::Framing::ContentLength && !cl_sent)
    append_header(rsp_out_, "Content-Length", fmt::format_int(rsp_.content_length).c_str());
  if (!dechunk_ && !connect_tunnel && rsp_.framing == http::Framing::Chunked && !te_sent)
    append_header(rsp_out_, "Transfer-Encoding", "chunked");
  if (set_cookie_ && ck->preserve) {
    // preserve: a server that sets the cookie itself (e.g. to end the session) wins.
    for (const auto& h : rsp_.headers) {
      if (!ieq(h.name, "set-cookie")) continue;
      auto sc = http::parse_set_cookie(h.value);
      if (sc && sc->name == ck->name) set_cookie_ = false;
    }
  }
  if (set_cookie_) {
    std::string v = ck->name + "=" + server_->cookie();
    if (ck->maxidle || ck->maxlife) {
      uint64_t now_s = static_cast<uint64_t>(core::wall_seconds());
      uint64_t first = cookie_first_s_ && cookie_value_ == server_->cookie() ? cookie_first_s_ : now_s;
      v += "|" + to_base32(now_s) + "|" + to_base32(first);
    }
    v += "; path=/";
    for (auto& d : ck->domains) v += "; domain=" + d;
    if (ck->httponly) v += "; HttpOnly";
    if (ck->secure) v += "; Secure";
    for (auto& a : ck->attrs) v += "; " + a;
    append_header(rsp_out_, "Set-Cookie", v);
    ck_rsp_ = 'I';
    if (ck->nocache && !has_cache_control) rsp_out_.append("Cache-Control: private\r\n");
  }
  if (connect_tunnel) {
    // nothing: the tunnel ends with the connection
  } else if (tunnel) {
    rsp_out_.append("Connection: upgrade\r\n");
  } else if (!client_keepalive_) {
    rsp_out_.append("Connection: close\r\n");
  } else if (req_.version_minor == 0) {
    rsp_out_.append("Connection: keep-alive\r\n");
  }
  rsp_out_.append("\r\n");
}

bool HttpSession::forward_request_body() {
  if (req_body_ == Body::Done || st_ != TxState::Exchange) return false;
  if (req_body_ == Body::Chunked && req_chunk_.done()) {
    if (!finish_chunked(cin_, req_fwd_, req_held_, req_out_)) return false;
    req_body_ = Body::Done;
    return true;
  }
  size_t avail = cin_.size() - req_fwd_ - req_held_;
  if (avail == 0 && req_body_ == Body::Chunked && req_fwd_ == 0 && cin_.full()) {
    // Only held bytes fill the buffer: a chunk line or trailers larger than it.
    close_server(false);
    reply_error(400, "chunk size line or trailers larger than the buffer");
    log_tx('P', 'D');
    return true;
  }
  if (avail == 0) {
    if (c_eof_ || c_err_) {
      // Client went away in the middle of its request body.
      close_server(false);
      set_state(TxState::Closed);
      return true;
    }
    return false;
  }
  if (req_body_ == Body::Length) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(avail, req_left_));
    req_fwd_ += n;
    req_left_ -= n;
    if (req_left_ == 0) req_body_ = Body::Done;
    return n > 0;
  }
  auto s = feed_chunked(req_chunk_, cin_.view(), req_fwd_, req_held_);
  if (s.error) {
    close_server(false);
    reply_error(400, s.reason);
    log_tx('P', 'D');
    return true;
  }
  if (s.done && finish_chunked(cin_, req_fwd_, req_held_, req_out_)) req_body_ = Body::Done;
  return s.consumed > 0;
}

bool HttpSession::forward_response_body() {
  if (rsp_body_ == Body::Done) return false;
  if (rsp_body_ == Body::Chunked && !dechunk_ && rsp_chunk_.done()) {
    if (!finish_chunked(sin_, rsp_fwd_, rsp_held_, rsp_out_)) return false;
    rsp_body_ = Body::Done;
    return true;
  }
  size_t avail = sin_.size() - rsp_fwd_ - rsp_held_;
  bool s_eof = sc_ == nullptr || sc_->eof;
  if (rsp_body_ == Body::UntilClose) {
    rsp_fwd_ += avail;
    if (s_eof && sin_.size() == rsp_fwd_) {
      rsp_body_ = Body::Done;
      return true;
    }
    return avail > 0;
  }
  if (avail == 0) {
    if (s_eof) {
      // Truncated response: the client connection cannot be trusted for more.
      if (server_) server_->counters.response_errors.fetch_add(1, std::memory_order_relaxed);
      be_->counters.response_errors.fetch_add(1, std::memory_order_relaxed);
      core::debug("session {}: server closed during the response body", id_);
      client_keepalive_ = false;
      close_server(false);
      rsp_body_ = Body::Done;
      req_body_ = Body::Done;
      return true;
    }
    return false;
  }
  if (rsp_body_ == Body::Length) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(avail, rsp_left_));
    rsp_fwd_ += n;
    rsp_left_ -= n;
    if (rsp_left_ == 0) rsp_body_ = Body::Done;
    return n > 0;
  }
  if (dechunk_ && rsp_out_.size() - rsp_out_off_ >= sin_.capacity()) return false;   // back-pressure
  http::ChunkedDecoder::Step s;
  if (dechunk_) {
    // HTTP/1.0 client: only the payload goes out (RFC 9112 section 6.1: no chunked
    // encoding to a 1.0 recipient); the end of the body is the close of the connection.
    s = rsp_chunk_.feed(std::string_view(sin_.data() + rsp_fwd_, avail));
    unchunk(std::string_view(sin_.data() + rsp_fwd_, s.consumed));
    sin_.consume(s.consumed);
  } else {
    s = feed_chunked(rsp_chunk_, sin_.view(), rsp_fwd_, rsp_held_);
    if (!s.error && !s.done && rsp_fwd_ == 0 && sin_.size() == sin_.capacity())
      s = {0, false, true, "chunk size line or trailers larger than the buffer"};
  }
  if (s.error) {
    bad_response_body(s.reason);
    return true;
  }
  if (s.done && (dechunk_ || finish_chunked(sin_, rsp_fwd_, rsp_held_, rsp_out_))) rsp_body_ = Body::Done;
  return s.consumed > 0;
}

// A malformed chunked response body. While no byte of the final response has reached the
// client, it gets a 502 instead. Else it gets the complete chunks before the error and then
// the close: a truncated message, never the malformed bytes nor a last-chunk.
void HttpSession::bad_response_body(const char* reason) {
  core::debug("session {}: bad chunked response body: {}", id_, reason);
  if (server_) server_->counters.response_errors.fetch_add(1, std::memory_order_relaxed);
  be_->counters.response_errors.fetch_add(1, std::memory_order_relaxed);
  rsp_held_ = 0;
  if (bytes_out_ <= rsp_final_at_) {
    reply_after_interim(502, reason);
    log_tx('S', 'D');
    return;
  }
  client_keepalive_ = false;
  close_server(false);
  rsp_body_ = Body::Done;
  req_body_ = Body::Done;
}

// Appends the payload of validated chunked bytes to rsp_out_ (framing, extensions and
// trailers dropped). The bytes were checked by rsp_chunk_, so this only tracks positions.
void HttpSession::unchunk(std::string_view in) {
  size_t i = 0;
  while (i < in.size()) {
    char c = in[i];
    switch (unchunk_st_) {
      case Unchunk::Size:
        if (c == ';' || c == ' ' || c == '\t' || c == '\r') {
          unchunk_st_ = Unchunk::SizeLine;
        } else if (c == '\n') {
          unchunk_st_ = unchunk_left_ == 0 ? Unchunk::Trailer : Unchunk::Data;
        } else {
          unsigned d = c <= '9' ? static_cast<unsigned>(c - '0') : static_cast<unsigned>((c | 0x20) - 'a' + 10);
          unchunk_left_ = unchunk_left_ * 16 + d;
        }
        ++i;
        break;
      case Unchunk::SizeLine:
        if (c == '\n') unchunk_st_ = unchunk_left_ == 0 ? Unchunk::Trailer : Unchunk::Data;
        ++i;
        break;
      case Unchunk::Data: {
        size_t n = static_cast<size_t>(std::min<uint64_t>(unchunk_left_, in.size() - i));
        rsp_out_.append(in.substr(i, n));
        unchunk_left_ -= n;
        i += n;
        if (unchunk_left_ == 0) unchunk_st_ = Unchunk::DataEnd;
        break;
      }
      case Unchunk::DataEnd:   // the CRLF after chunk data
        if (c == '\n') unchunk_st_ = Unchunk::Size;
        ++i;
        break;
      case Unchunk::Trailer:   // trailer fields up to the empty line: dropped
        i = in.size();
        break;
    }
  }
}

// The response is fully delivered to the client.
bool HttpSession::end_transaction() {
  log_tx('-', '-');
  bool req_complete = req_body_ == Body::Done && req_out_off_ >= req_out_.size() && req_fwd_ == 0;
  bool reusable = server_keepalive_ && req_complete && sc_ != nullptr && !sc_->eof && sin_.empty();
  if (!req_complete) client_keepalive_ = false;   // unread body left on the client side
  close_server(reusable);
  release_server_slot();
  server_ = nullptr;   // a finished exchange keeps no reference (del server may free it)
  first_request_ = false;
  if (!client_keepalive_) {
    set_state(TxState::Closing);
    return true;
  }
  // Next request, possibly already pipelined in cin_.
  req_out_.clear();
  req_out_off_ = 0;
  rsp_out_.clear();
  rsp_out_off_ = 0;
  req_scan_ = {};
  req_body_ = rsp_body_ = Body::None;
  rsp_head_done_ = false;
  interim_count_ = 0;
  interim_bytes_ = 0;
  status_ = 0;
  tx_start_ms_ = w_.loop().now();
  set_state(TxState::WaitRequest);
  cin_.release_if_empty();
  sin_.release_if_empty();
  return true;
}

void HttpSession::count_status(uint16_t st) {
  auto bump = [st](auto& c) {
    if (st < 200) c.http_1xx.fetch_add(1, std::memory_order_relaxed);
    else if (st < 300) c.http_2xx.fetch_add(1, std::memory_order_relaxed);
    else if (st < 400) c.http_3xx.fetch_add(1, std::memory_order_relaxed);
    else if (st < 500) c.http_4xx.fetch_add(1, std::memory_order_relaxed);
    else if (st < 600) c.http_5xx.fetch_add(1, std::memory_order_relaxed);
    else c.http_other.fetch_add(1, std::memory_order_relaxed);
  };
  bump(fe_.counters);
  if (be_) bump(be_->counters);
  if (server_) bump(server_->counters);
}

void HttpSession::reply_error(uint16_t status, const char* reason) {
  core::debug("session {}: replying {} ({})", id_, status, reason);
  send_page(status, w_.runtime().error_page(fe_, be_, status).value_or(std::string_view{}));
}

void HttpSession::send_page(uint16_t status, std::string_view bytes) {
  status_ = status;
  std::string_view page = after_response_page(bytes);
  count_status(status_);
  reply_raw(page);
}

void HttpSession::reply_raw(std::string_view bytes) {
  leave_queue();
  if (sc_ != nullptr) close_server(false);
  release_server_slot();
  rsp_out_.assign(bytes);
  rsp_out_off_ = 0;
  rsp_fwd_ = 0;
  sin_.consume(sin_.size());
  client_keepalive_ = false;
  set_state(TxState::Closing);
}

void HttpSession::close_server(bool reusable) {
  if (sc_ == nullptr) return;
  ServerConn* c = sc_;
  sc_ = nullptr;
  c->owner = nullptr;
  if (reusable && c->server != nullptr) {
    ++c->requests;
    c->readable = false;   // read_server may have left it set; an idle conn waits for an event
    w_.park(c);
  } else {
    w_.close_conn(c);
  }
  rsp_fwd_ = 0;
  if (!reusable) sin_.consume(sin_.size());
}

void HttpSession::release_server_slot() {
  if (counted_on_server_ && server_ != nullptr) server_->backend().release(*server_);
  counted_on_server_ = false;
}

// Leaves the queue, if waiting. A slot granted meanwhile (the wake-up is in flight) is
// given back.
void HttpSession::leave_queue() {
  if (st_ != TxState::Queued) return;
  w_.remove_waiting(id_);
  if (be_ != nullptr && !be_->cancel(*pending_) && pending_->granted != nullptr)
    pending_->granted->backend().release(*pending_->granted);
  pending_->granted = nullptr;
}

// ---- services and logs ---------------------------------------------------------------

bool HttpSession::serve_service(stats::Service svc) {
  size_t body_len = req_.framing == http::Framing::ContentLength ? req_.content_length : 0;
  if (req_.framing == http::Framing::Chunked) {
    reply_error(411, "chunked body to an internal service");
    log_tx('P', 'R');
    return true;
  }
  if (req_.head_len + body_len > cin_.capacity()) {
    reply_error(413, "request body too large for an internal service");
    log_tx('P', 'R');
    return true;
  }
  if (cin_.size() < req_.head_len + body_len) {
    // Wait for the whole body; the head is parsed again when it is complete (the buffer
    // may move meanwhile, so no view into it is kept).
    --requests_;
    req_scan_ = {};
    if (c_eof_ || c_err_) set_state(TxState::Closed);
    return false;
  }
  fe_.counters.intercepted.fetch_add(1, std::memory_order_relaxed);
  service_ = svc == stats::Service::Prometheus ? "<PROMEX>" : "<STATS>";
  bool admin = false;
  if (fe_.stats_admin) {
    admin = fe_.stats_admin->eval(rule_ctx(rules::kHttpReq));
  }
  stats::ServiceRequest sr{req_, std::string_view(cin_.data() + req_.head_len, body_len), src_,
                           w_.runtime(), fe_, be_, admin};
  std::string rsp = stats::serve(svc, sr);
  uint16_t st = 0;
  if (rsp.size() > 12) st = static_cast<uint16_t>(std::atoi(rsp.c_str() + 9));
  status_ = st;
  count_status(st);
  cin_.consume(req_.head_len + body_len);
  reply_raw(rsp);
  log_tx('-', '-');
  return true;
}

void HttpSession::log_tx(char who, char phase) {
  if (!tx_open_) return;
  tx_open_ = false;
  uint64_t now = w_.loop().now();
  log::TxRecord r;
  r.http = true;
  r.fe = &fe_;
  r.be = be_;
  r.srv = server_;
  r.client = src_;
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  uint64_t wall_us = static_cast<uint64_t>(ts.tv_sec) * 1000000u + static_cast<uint64_t>(ts.tv_nsec) / 1000u;
  r.accept_wall_us = wall_us - (now - start_ms_) * 1000u;
  r.request_wall_us = wall_us - (now - tx_start_ms_) * 1000u;
  r.local = dst();
  if (server_ != nullptr || connect_start_ms_ != 0) r.server_addr = server_addr_;
  r.service = service_;
  r.req_captures = std::move(req_caps_);
  r.rsp_captures = std::move(rsp_caps_);
  req_caps_.clear();
  rsp_caps_.clear();
  r.TR = head_done_ms_ >= tx_start_ms_ && requests_ > 0 && st_ != TxState::WaitRequest
             ? static_cast<int64_t>(head_done_ms_ - tx_start_ms_) : -1;
  if (phase == 'R') r.TR = -1;
  // Tw: no queue before the request was complete; else the wait, once a server was sought.
  bool sought_server = phase == 'Q' || connect_start_ms_ != 0;
  r.Tw = phase != 'R' && sought_server ? tx_wait_ms_ : -1;
  r.Tc = connected_ms_ ? static_cast<int64_t>(connected_ms_ - connect_start_ms_) : -1;
  r.Tr = rsp_head_ms_ && connected_ms_ ? static_cast<int64_t>(rsp_head_ms_ - connected_ms_) : -1;
  r.Ta = static_cast<int64_t>(now - tx_start_ms_);
  r.Tt = static_cast<int64_t>(now - start_ms_);
  r.status = status_ ? status_ : -1;
  r.bytes_in = bytes_in_ - tx_bytes_in_start_;
  r.bytes_out = bytes_out_ - tx_bytes_out_start_ + (rsp_out_.size() - rsp_out_off_);
  r.term[0] = who;
  r.term[1] = phase;
  r.term[2] = ck_req_;
  r.term[3] = ck_rsp_;
  auto& rt = w_.runtime();
  r.actconn = rt.cur_conns.load(std::memory_order_relaxed);
  r.feconn = fe_.counters.cur_conns.load(std::memory_order_relaxed);
  // Counts as after this exchange released its slot (as haproxy reports them).
  uint32_t mine = counted_on_server_ ? 1 : 0;
  r.beconn = be_ ? be_->counters.cur_sess.load(std::memory_order_relaxed) - (be_ && mine ? mine : 0) : 0;
  r.srv_conn = server_ ? server_->counters.cur_sess.load(std::memory_order_relaxed) - mine : 0;
  r.srv_queue = server_ ? server_->queue_len.load(std::memory_order_relaxed) : 0;
  r.be_queue = be_ ? be_->queue_len() : 0;
  r.retries = tx_retries_;
  r.redispatched = redispatched_;
  if (requests_ > 0 && phase != 'R' && !req_line_.empty()) {
    r.request_line = req_line_;
  } else {
    r.request_line = "<BADREQ>";
  }
  r.unique_id = std::string(rctx_.unique_id);
  r.sess_vars = &sess_vars;
  r.txn_vars = &txn_vars_;
  r.error = who != '-' || status_ >= 500;
  r.empty = r.bytes_in == 0 && phase == 'R';
  // Byte counters for stats (per exchange, so the data path touches no shared cache line).
  fe_.counters.bytes_in.fetch_add(r.bytes_in, std::memory_order_relaxed);
  fe_.counters.bytes_out.fetch_add(r.bytes_out, std::memory_order_relaxed);
  if (be_ != nullptr) {
    be_->counters.bytes_in.fetch_add(r.bytes_in, std::memory_order_relaxed);
    be_->counters.bytes_out.fetch_add(r.bytes_out, std::memory_order_relaxed);
  }
  if (server_ != nullptr) {
    server_->counters.bytes_in.fetch_add(r.bytes_in, std::memory_order_relaxed);
    server_->counters.bytes_out.fetch_add(r.bytes_out, std::memory_order_relaxed);
    // qtime/ctime/rtime/ttime: complete exchanges only (Tc and Tr known).
    server_->counters.times.add(r.Tw, r.Tc, r.Tr, r.Ta);
    be_->counters.times.add(r.Tw, r.Tc, r.Tr, r.Ta);
  }
  log::emit(r);
  service_ = nullptr;
}

// ---- timers ---------------------------------------------------------------------------

void HttpSession::update_timer() {
  uint64_t deadline = 0;
  auto consider = [&](uint64_t d) {
    if (deadline == 0 || d < deadline) deadline = d;
  };
  switch (st_) {
    case TxState::WaitRequest:
      if (tarpit_until_ != 0) consider(tarpit_until_);
      else if (soft_stop_ && cin_.empty()) consider(soft_stop_ms_ + soft_stop_linger_ms());
      else if (idle_between_requests()) {
        consider(last_c_io_ + to_.http_keep_alive);
        if (!trimmed_) consider(last_c_io_ + kTrimIdleMs);
      }
      else consider(tx_start_ms_ + to_.http_request);
      break;
    case TxState::Connecting: consider(connect_start_ms_ + to_.connect); break;
    case TxState::Queued: consider(queue_start_ms_ + to_.queue); break;
    case TxState::Exchange:
      // timeout server bounds the wait for the server's data, but only while we can take it:
      // with the buffer full because the client reads slowly, that is timeout client's job.
      if ((rsp_body_ != Body::Done || !rsp_head_done_) && !sin_.full()) consider(last_s_io_ + to_.server);
      if (rsp_out_off_ < rsp_out_.size() || rsp_fwd_ > 0 || req_body_ != Body::Done)
        consider(last_c_io_ + to_.client);
      break;
    case TxState::Tunnel: consider(std::max(last_c_io_, last_s_io_) + to_.tunnel); break;
    case TxState::Closing:
      consider(last_c_io_ + (lingering_ ? std::min<uint64_t>(to_.client_fin, 1000) : to_.client));
      break;
    case TxState::Closed: break;
  }
  if (deadline) timer_.arm(w_.loop(), deadline);
  else timer_.disarm();
}

void HttpSession::on_timeout() {
  switch (st_) {
    case TxState::WaitRequest:
      if (tarpit_until_ != 0) {
        if (w_.loop().now() < tarpit_until_) {
          update_timer();
          return;
        }
        tarpit_until_ = 0;
        send_page(tarpit_status_, tarpit_page_);
        std::string().swap(tarpit_page_);
        log_tx('P', 'T');
        process();
        return;
      }
      if (soft_stop_ && cin_.empty()) {   // idle linger of a soft stop is over: close gracefully
        process();
        return;
      }
      if (idle_between_requests() && !trimmed_ && w_.loop().now() < last_c_io_ + to_.http_keep_alive) {
        trim_idle();
        update_timer();
        return;
      }
      if (!cin_.empty() || requests_ == 0) {
        // RFC 9110 §15.5.9. A connection that never sent a byte gets its 408 too, as in
        // haproxy 2.6 (checked against it; its `option http-ignore-probes` is not supported).
        // An idle keep-alive connection (timeout http-keep-alive) is closed silently below.
        if (!tx_open_) {
          tx_open_ = true;
          tx_bytes_in_start_ = bytes_in_;
          tx_bytes_out_start_ = bytes_out_;
        }
        reply_error(408, buffering_ ? "timeout http-request (body)" : "timeout http-request");
        log_tx('c', buffering_ ? 'D' : 'R');
        process();
        return;
      }
      set_state(TxState::Closed);
      break;
    case TxState::Connecting: on_connect_error(ETIMEDOUT, true); process(); return;
    case TxState::Queued:
      if (be_->cancel(*pending_)) {
        // timeout queue: answered 503, as haproxy does ("sQ").
        w_.remove_waiting(id_);
        be_->counters.queue_timeouts.fetch_add(1, std::memory_order_relaxed);
        tx_wait_ms_ = static_cast<int64_t>(w_.loop().now() - queue_start_ms_);
        reply_error(503, "timeout queue");
        log_tx('s', 'Q');
        process();
      } else {
        update_timer();   // granted at this very moment: the wake-up is on its way
      }
      return;
    case TxState::Exchange:
      if (!rsp_head_done_ && w_.loop().now() >= last_s_io_ + to_.server) {
        close_server(false);
        reply_error(504, "server timeout");
        log_tx('s', 'H');
        process();
        return;
      }
      if (req_body_ != Body::Done && !rsp_started_ && rsp_out_.empty() &&
          w_.loop().now() >= last_c_io_ + to_.client) {
        // timeout client while the request body uploads, nothing answered yet: RFC 9110
        // §15.5.9 says 408. The server only ever saw a valid but incomplete request.
        close_server(false);
        reply_error(408, "timeout client during the request body");
        log_tx('c', 'D');
        process();
        return;
      }
      close_server(false);
      set_state(TxState::Closed);
      break;
    default: set_state(TxState::Closed); break;
  }
  finish();
}

// ---- lifecycle ------------------------------------------------------------------------

void HttpSession::finish() {
  if (closed_) return;
  leave_queue();
  if (!tx_open_ && requests_ == 0 && bytes_in_ == 0) {
    // A connection that never sent a byte: logged as haproxy does (CR, <BADREQ>), which
    // `option dontlognull` suppresses.
    tx_open_ = true;
    status_ = 400;
    log_tx('C', 'R');
  }
  if (tx_open_) {
    // The session ends in the middle of an exchange: say who ended it, and when.
    char who = c_err_ || c_eof_ ? 'C' : (sc_ != nullptr && sc_->eof) ? 'S' : 'K';
    char phase = st_ == TxState::WaitRequest ? 'R' : !rsp_head_done_ ? 'H' : 'D';
    if (st_ == TxState::Tunnel) phase = 'D';
    log_tx(who, phase);
  }
  closed_ = true;
  timer_.disarm();
  close_server(false);
  release_server_slot();
  cwatch_.stop_before_close();   // events still queued for the client fd are dropped
  ::close(cfd_);
  cfd_ = -1;
  retire();
}

void HttpSession::kill(const char* why) {
  core::debug("session {}: killed ({})", id_, why);
  if (closed_) return;
  set_state(TxState::Closed);
  finish();
}

void HttpSession::soft_stop() {
  soft_stop_ = true;
  soft_stop_ms_ = w_.loop().now();
  if (st_ == TxState::WaitRequest && cin_.empty()) {
    c_readable_ = true;   // a request may already wait in the socket: read it first
    process();
  }
}

uint64_t HttpSession::soft_stop_linger_ms() const {
  return std::min<uint64_t>(to_.http_keep_alive, kSoftStopIdleLingerMs);
}

std::string HttpSession::describe() const {
  return fmt::format("{:#x}: proto=tcpv4 src={} fe={} be={} srv={} ts=00 age={}s calls=0 rate=0 cpu=0 lat=0 "
                     "state={} rq[f=0,i=0,an=0,rx=,wx=,ax=] rp[f=0,i=0,an=0,rx=,wx=,ax=] "
                     "scf=[8,0h,fd={},ex=] scb=[8,0h,fd={},ex=]",
                     id_, net::to_string(src_), fe_.name(), be_ ? be_->name() : "<NONE>",
                     server_ ? std::string(server_->name()) : "<none>",
                     (w_.loop().now() - start_ms_) / 1000, to_string(st_), cfd_,
                     sc_ ? sc_->fd : -1);
}

}  // namespace sluice::proxy
