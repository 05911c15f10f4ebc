// demo-app: a small HTTP/1.1 backend for the demo and the e2e tests.
//
// It stands in for the PHP/Tomcat servers of the seed documents: sessions live in this
// process's memory (as PHP file sessions do), a health URL can be switched between
// 200/404/500 (seed 004) or removed (seed 001 section 4.1, the /running file), and an
// optional second listener plays the port-81 iptables redirect (seed 000, seed 001
// section 4.2). Every response carries `X-Served-By: NAME`.
//
// One thread per connection: this is a test server, clarity beats throughput. The main
// thread owns the listening sockets; workers ask it (through a pipe) to close or reopen
// the check listener, so no fd is ever closed under another thread's poll().
//
// Usage: demo-app --name NAME --listen ADDR:PORT [--check-port PORT]
//                 [--session-cookie NAME] [--quiet]
// After binding it prints `READY name=NAME port=P check_port=Q` on stdout.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace demo {
namespace {

constexpr size_t kMaxHead = 64 * 1024;
constexpr size_t kMaxHeaders = 200;
constexpr size_t kMaxBody = 256 * 1024 * 1024;
constexpr size_t kMaxBytesEndpoint = 512 * 1024 * 1024;
constexpr int kIdleTimeoutSec = 120;

struct Options {
  std::string name;
  std::string address = "127.0.0.1";
  uint16_t port = 0;
  bool has_check_port = false;
  uint16_t check_port = 0;
  std::string session_cookie = "PHPSESSID";
  bool quiet = false;
};

// Process-wide state shared by the connection threads.
struct State {
  Options opt;
  std::atomic<int> health_status{200};
  std::atomic<bool> running_file{true};
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> health_requests{0};
  std::atomic<int64_t> active_connections{0};
  std::atomic<int64_t> in_flight{0};       // requests being handled right now
  std::atomic<int64_t> max_in_flight{0};   // the most ever handled at once

  std::mutex sessions_mu;
  std::unordered_map<std::string, uint64_t> sessions;  // id -> visits
  std::mt19937_64 rng{std::random_device{}()};

  // Check-port requests: a worker sets `check_wanted` and bumps `check_req`, pokes the
  // main loop, then waits until `check_done` catches up.
  std::mutex check_mu;
  std::condition_variable check_cv;
  bool check_wanted = true;
  uint64_t check_req = 0;
  uint64_t check_done = 0;
  bool check_ok = true;
};

State* g_state = nullptr;
int g_wake_pipe[2] = {-1, -1};

void on_signal(int) {
  const char q = 'q';
  [[maybe_unused]] ssize_t n = write(g_wake_pipe[1], &q, 1);
}

// ---- small string helpers ------------------------------------------------------------

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

template <class T>
bool parse_number(std::string_view s, T& out, int base = 10) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out, base);
  return ec == std::errc() && ptr == s.data() + s.size();
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned v = 0;
    if (s[i] == '%' && i + 2 < s.size() && parse_number(s.substr(i + 1, 2), v, 16)) {
      out.push_back(static_cast<char>(v));
      i += 2;
    } else if (s[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string json_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char tmp[8];
      std::snprintf(tmp, sizeof tmp, "\\u%04x", static_cast<unsigned>(c));
      out += tmp;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// FNV-1a 64: lets tests check that an uploaded body arrived intact without echoing it.
uint64_t fnv1a(std::string_view s) {
  uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

std::string hex64(uint64_t v) {
  char tmp[17];
  std::snprintf(tmp, sizeof tmp, "%016llx", static_cast<unsigned long long>(v));
  return tmp;
}

// ---- HTTP messages ---------------------------------------------------------------------

struct Request {
  std::string raw_head;  // exactly the bytes received, request line to the empty line
  std::string method;
  std::string target;
  std::string path;
  std::vector<std::pair<std::string, std::string>> query;
  int minor = 1;  // HTTP/1.x
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  bool chunked = false;
  bool has_length = false;
  size_t content_length = 0;
  bool local_port_is_check = false;

  const std::string* header(std::string_view name) const {
    for (const auto& [k, v] : headers)
      if (k == name) return &v;
    return nullptr;
  }
  std::string_view param(std::string_view name, std::string_view def = {}) const {
    for (const auto& [k, v] : query)
      if (k == name) return v;
    return def;
  }
  // True when the header's comma-separated list holds `token` (case-insensitive).
  bool header_has_token(std::string_view name, std::string_view token) const {
    for (const auto& [k, v] : headers) {
      if (k != name) continue;
      std::string lv = lower(v);
      size_t pos = 0;
      while (pos <= lv.size()) {
        size_t comma = lv.find(',', pos);
        if (comma == std::string::npos) comma = lv.size();
        if (trim(std::string_view(lv).substr(pos, comma - pos)) == token) return true;
        pos = comma + 1;
      }
    }
    return false;
  }
};

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string content_type = "text/plain";
  bool chunked = false;
  bool close = false;
};

const char* reason(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 413: return "Payload Too Large";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Status";
  }
}

enum class ParseStatus { Ok, Bad };

// Parses a request head (without the final empty line). Fills everything but the body.
ParseStatus parse_head(std::string_view head, Request& req) {
  size_t eol = head.find('\n');
  std::string_view line = trim(head.substr(0, eol));
  size_t sp1 = line.find(' ');
  size_t sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp2 == sp1) return ParseStatus::Bad;
  req.method = std::string(line.substr(0, sp1));
  req.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
  std::string_view version = line.substr(sp2 + 1);
  if (version == "HTTP/1.1") {
    req.minor = 1;
  } else if (version == "HTTP/1.0") {
    req.minor = 0;
  } else {
    return ParseStatus::Bad;
  }
  if (req.method.empty() || req.target.empty()) return ParseStatus::Bad;
  for (char c : req.method)
    if (!std::isupper(static_cast<unsigned char>(c)) && c != '-' && c != '_') return ParseStatus::Bad;
  for (char c : req.target)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return ParseStatus::Bad;

  // Absolute form (GET http://host/path) is accepted, as RFC 9112 §3.2.2 requires.
  std::string_view target = req.target;
  if (target.starts_with("http://")) {
    size_t slash = target.find('/', 7);
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  }
  size_t q = target.find('?');
  req.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) {
    std::string_view qs = target.substr(q + 1);
    while (!qs.empty()) {
      size_t amp = qs.find('&');
      std::string_view kv = qs.substr(0, amp);
      size_t eq = kv.find('=');
      std::string k = percent_decode(kv.substr(0, eq));
      std::string v = eq == std::string_view::npos ? std::string() : percent_decode(kv.substr(eq + 1));
      req.query.emplace_back(std::move(k), std::move(v));
      if (amp == std::string_view::npos) break;
      qs.remove_prefix(amp + 1);
    }
  }

  size_t pos = eol == std::string_view::npos ? head.size() : eol + 1;
  while (pos < head.size()) {
    size_t next = head.find('\n', pos);
    if (next == std::string_view::npos) next = head.size();
    std::string_view hl = head.substr(pos, next - pos);
    pos = next + 1;
    if (!hl.empty() && hl.back() == '\r') hl.remove_suffix(1);
    if (hl.empty()) continue;
    // RFC 9112 §5.2: obsolete line folding may be rejected; we do.
    if (hl.front() == ' ' || hl.front() == '\t') return ParseStatus::Bad;
    size_t colon = hl.find(':');
    if (colon == std::string_view::npos || colon == 0) return ParseStatus::Bad;
    std::string_view name = hl.substr(0, colon);
    for (char c : name)
      if (c == ' ' || c == '\t' || static_cast<unsigned char>(c) < 0x21) return ParseStatus::Bad;
    if (req.headers.size() >= kMaxHeaders) return ParseStatus::Bad;
    req.headers.emplace_back(lower(name), std::string(trim(hl.substr(colon + 1))));
  }

  for (const auto& [k, v] : req.headers) {
    if (k == "transfer-encoding") {
      if (lower(v) != "chunked") return ParseStatus::Bad;
      req.chunked = true;
    } else if (k == "content-length") {
      size_t n = 0;
      if (!parse_number(v, n) || n > kMaxBody) return ParseStatus::Bad;
      if (req.has_length && n != req.content_length) return ParseStatus::Bad;
      req.has_length = true;
      req.content_length = n;
    }
  }
  // RFC 9112 §6.1: a request with both Transfer-Encoding and Content-Length may be
  // rejected as a smuggling attempt; we do.
  if (req.chunked && req.has_length) return ParseStatus::Bad;
  return ParseStatus::Ok;
}

// ---- connection I/O ----------------------------------------------------------------------

class Connection {
 public:
  explicit Connection(int fd) : fd_(fd) {}
  ~Connection() { close(fd_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Appends more bytes to buf_; false on EOF, error or idle timeout.
  bool fill() {
    char tmp[16384];
    for (;;) {
      ssize_t n = recv(fd_, tmp, sizeof tmp, 0);
      if (n > 0) {
        buf_.append(tmp, static_cast<size_t>(n));
        return true;
      }
      if (n < 0 && errno == EINTR) continue;
      return false;
    }
  }

  bool send_all(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        return false;
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Lingering close: stop writing, then drain what the peer still sends for a moment so
  // the kernel does not answer it with a RST that could destroy our last response.
  void linger_close() {
    shutdown(fd_, SHUT_WR);
    timeval tv{1, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char tmp[4096];
    size_t total = 0;
    for (;;) {
      ssize_t n = recv(fd_, tmp, sizeof tmp, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      total += static_cast<size_t>(n);
      if (total > 1024 * 1024) break;
    }
  }

  std::string& buf() { return buf_; }
  int fd() const { return fd_; }

 private:
  int fd_;
  std::string buf_;
};

// Position just past the empty line ending the head, or npos. Bare LF line ends are
// tolerated (RFC 9112 §2.2).
size_t find_head_end(std::string_view buf) {
  size_t pos = 0;
  while ((pos = buf.find('\n', pos)) != std::string_view::npos) {
    if (pos + 1 < buf.size() && buf[pos + 1] == '\n') return pos + 2;
    if (pos + 2 < buf.size() && buf[pos + 1] == '\r' && buf[pos + 2] == '\n') return pos + 3;
    if (pos + 1 >= buf.size() || (pos + 2 >= buf.size() && buf[pos + 1] == '\r')) return std::string_view::npos;
    ++pos;
  }
  return std::string_view::npos;
}

bool read_line(Connection& c, std::string& line) {
  for (;;) {
    size_t nl = c.buf().find('\n');
    if (nl != std::string::npos) {
      line = c.buf().substr(0, nl);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      c.buf().erase(0, nl + 1);
      return true;
    }
    if (c.buf().size() > 8192 || !c.fill()) return false;
  }
}

bool read_exact(Connection& c, size_t n, std::string& out) {
  while (c.buf().size() < n)
    if (!c.fill()) return false;
  out.append(c.buf(), 0, n);
  c.buf().erase(0, n);
  return true;
}

// RFC 9112 §7.1 chunked decoding, trailers read and discarded.
bool read_chunked_body(Connection& c, std::string& body) {
  std::string line;
  for (;;) {
    if (!read_line(c, line)) return false;
    std::string_view size_str = trim(std::string_view(line).substr(0, line.find(';')));
    size_t size = 0;
    if (!parse_number(size_str, size, 16) || body.size() + size > kMaxBody) return false;
    if (size == 0) break;
    if (!read_exact(c, size, body)) return false;
    if (!read_line(c, line) || !line.empty()) return false;
  }
  do {
    if (!read_line(c, line)) return false;
  } while (!line.empty());
  return true;
}

// ---- sessions ----------------------------------------------------------------------------

struct SessionInfo {
  std::string id;
  uint64_t visits = 0;
  bool created = false;
};

// Finds the session named by the request's session cookie, or creates one.
SessionInfo touch_session(State& st, const Request& req) {
  std::lock_guard lock(st.sessions_mu);
  for (const auto& [k, v] : req.headers) {
    if (k != "cookie") continue;
    std::string_view rest = v;
    while (!rest.empty()) {
      size_t semi = rest.find(';');
      std::string_view kv = trim(rest.substr(0, semi));
      size_t eq = kv.find('=');
      if (eq != std::string_view::npos && trim(kv.substr(0, eq)) == st.opt.session_cookie) {
        auto it = st.sessions.find(std::string(trim(kv.substr(eq + 1))));
        if (it != st.sessions.end()) return {it->first, ++it->second, false};
      }
      if (semi == std::string_view::npos) break;
      rest.remove_prefix(semi + 1);
    }
  }
  std::string id = hex64(st.rng()) + hex64(st.rng());
  st.sessions[id] = 1;
  return {id, 1, true};
}

// ---- check-port control (runs on a worker, applied by the main loop) --------------------

bool request_check_port(State& st, bool on) {
  std::unique_lock lock(st.check_mu);
  st.check_wanted = on;
  uint64_t ticket = ++st.check_req;
  const char c = 'c';
  [[maybe_unused]] ssize_t n = write(g_wake_pipe[1], &c, 1);
  st.check_cv.wait(lock, [&] { return st.check_done >= ticket; });
  return st.check_ok;
}

// ---- request handling --------------------------------------------------------------------

std::string bytes_pattern(size_t n) {
  static constexpr std::string_view kAlphabet = "abcdefghijklmnopqrstuvwxyz";
  std::string out;
  out.reserve(n);
  while (out.size() < n) out.append(kAlphabet.substr(0, std::min(kAlphabet.size(), n - out.size())));
  return out;
}

bool is_health_path(std::string_view p) {
  return p == "/health" || p == "/healthcheck" || p == "/myurl" || p == "/running";
}

Response handle_control(State& st, const Request& req) {
  Response r;
  if (req.path == "/_demo/health") {
    int code = 0;
    if (!parse_number(req.param("status"), code) || code < 200 || code > 599) {
      r.status = 400;
      r.body = "status must be 200..599\n";
      return r;
    }
    st.health_status = code;
    r.body = "health=" + std::to_string(code) + "\n";
  } else if (req.path == "/_demo/running") {
    std::string_view on = req.param("on");
    if (on != "0" && on != "1") {
      r.status = 400;
      r.body = "on must be 0 or 1\n";
      return r;
    }
    st.running_file = on == "1";
    r.body = std::string("running=") + (on == "1" ? "on" : "off") + "\n";
  } else if (req.path == "/_demo/check-port") {
    std::string_view on = req.param("on");
    if (!st.opt.has_check_port) {
      r.status = 400;
      r.body = "no --check-port given\n";
    } else if (on != "0" && on != "1") {
      r.status = 400;
      r.body = "on must be 0 or 1\n";
    } else if (!request_check_port(st, on == "1")) {
      r.status = 500;
      r.body = "could not reopen the check port\n";
    } else {
      r.body = std::string("check_port=") + (on == "1" ? "on" : "off") + "\n";
    }
  } else if (req.path == "/_demo/stats") {
    size_t sessions = 0;
    {
      std::lock_guard lock(st.sessions_mu);
      sessions = st.sessions.size();
    }
    // The connection asking is not counted.
    r.content_type = "application/json";
    r.body = "{\"name\":\"" + json_escape(st.opt.name) + "\",\"requests\":" + std::to_string(st.requests.load()) +
             ",\"health_requests\":" + std::to_string(st.health_requests.load()) +
             ",\"active_connections\":" + std::to_string(st.active_connections.load() - 1) +
             ",\"max_in_flight\":" + std::to_string(st.max_in_flight.load()) +
             ",\"sessions\":" + std::to_string(sessions) + ",\"health_status\":" +
             std::to_string(st.health_status.load()) + ",\"running\":" + (st.running_file ? "true" : "false") +
             "}\n";
  } else {
    r.status = 404;
    r.body = "unknown control endpoint\n";
  }
  return r;
}

Response handle(State& st, const Request& req) {
  if (req.path.starts_with("/_demo/")) return handle_control(st, req);
  ++st.requests;
  Response r;
  r.headers.emplace_back("X-Request-Body-Length", std::to_string(req.body.size()));
  r.headers.emplace_back("X-Request-Body-Fnv1a", hex64(fnv1a(req.body)));
  if (is_health_path(req.path)) {
    ++st.health_requests;
    r.status = (req.path == "/running" && !st.running_file) ? 404 : st.health_status.load();
    r.body = "health=" + std::to_string(r.status) + " server=" + st.opt.name + "\n";
  } else if (req.path == "/echo") {
    r.body = req.raw_head;
  } else if (req.path == "/bytes") {
    size_t n = 0;
    if (!parse_number(req.param("n", "0"), n) || n > kMaxBytesEndpoint) {
      r.status = 400;
      r.body = "bad n\n";
    } else {
      r.body = bytes_pattern(n);
      r.content_type = "application/octet-stream";
      r.chunked = req.param("chunked") == "1";
    }
  } else if (req.path == "/slow") {
    int ms = 0;
    if (!parse_number(req.param("ms", "0"), ms) || ms < 0 || ms > 600000) {
      r.status = 400;
      r.body = "bad ms\n";
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
      r.body = "slept=" + std::to_string(ms) + " server=" + st.opt.name + "\n";
    }
  } else if (req.path == "/status") {
    int code = 0;
    if (!parse_number(req.param("code"), code) || code < 200 || code > 599) {
      r.status = 400;
      r.body = "code must be 200..599\n";
    } else {
      r.status = code;
      r.body = "status=" + std::to_string(code) + " server=" + st.opt.name + "\n";
    }
  } else if (req.path == "/setcookie") {
    std::string name(req.param("name", "JSESSIONID"));
    std::string value(req.param("value", "123"));
    r.headers.emplace_back("Set-Cookie", name + "=" + value + "; path=/");
    r.body = "set " + name + "=" + value + " server=" + st.opt.name + "\n";
  } else if (req.path == "/close") {
    r.close = true;
    r.body = "closing server=" + st.opt.name + "\n";
  } else {
    SessionInfo s = touch_session(st, req);
    if (s.created) r.headers.emplace_back("Set-Cookie", st.opt.session_cookie + "=" + s.id + "; path=/");
    r.headers.emplace_back("X-Session-Visits", std::to_string(s.visits));
    r.headers.emplace_back("X-Session-New", s.created ? "1" : "0");
    r.body = "server=" + st.opt.name + " session=" + s.id + " visits=" + std::to_string(s.visits) + "\n";
  }
  return r;
}

std::string serialize(const State& st, const Request* req, Response& r, bool keep_alive) {
  bool head = req && req->method == "HEAD";
  bool no_body = head || r.status == 204 || r.status == 304;
  // HTTP/1.0 clients cannot read chunked bodies.
  if (!req || req->minor == 0) r.chunked = false;
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " + reason(r.status) + "\r\n";
  out += "X-Served-By: " + st.opt.name + "\r\n";
  out += "Content-Type: " + r.content_type + "\r\n";
  for (const auto& [k, v] : r.headers) out += k + ": " + v + "\r\n";
  if (r.chunked) {
    out += "Transfer-Encoding: chunked\r\n";
  } else if (r.status != 204 && r.status != 304) {
    out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
  }
  if (!keep_alive) {
    out += "Connection: close\r\n";
  } else if (req && req->minor == 0) {
    out += "Connection: keep-alive\r\n";
  }
  out += "\r\n";
  if (no_body) return out;
  if (!r.chunked) return out + r.body;
  constexpr size_t kChunk = 8000;
  char size_line[32];
  for (size_t off = 0; off < r.body.size(); off += kChunk) {
    size_t n = std::min(kChunk, r.body.size() - off);
    std::snprintf(size_line, sizeof size_line, "%zx\r\n", n);
    out += size_line;
    out.append(r.body, off, n);
    out += "\r\n";
  }
  out += "0\r\n\r\n";
  return out;
}

void send_error(State& st, Connection& c, int status) {
  Response r;
  r.status = status;
  r.body = std::string(reason(status)) + "\n";
  c.send_all(serialize(st, nullptr, r, false));
  c.linger_close();
}

void serve_connection(State& st, int fd, bool on_check_port) {
  ++st.active_connections;
  {
    Connection c(fd);
    timeval tv{kIdleTimeoutSec, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    for (;;) {
      // RFC 9112 §2.2: ignore empty lines before a request line.
      size_t head_end;
      for (;;) {
        size_t skip = 0;
        while (skip < c.buf().size() && (c.buf()[skip] == '\r' || c.buf()[skip] == '\n')) ++skip;
        c.buf().erase(0, skip);
        head_end = find_head_end(c.buf());
        if (head_end != std::string::npos) break;
        if (c.buf().size() > kMaxHead) {
          send_error(st, c, 431);
          goto done;
        }
        if (!c.fill()) goto done;
      }
      if (head_end > kMaxHead) {
        send_error(st, c, 431);
        break;
      }
      Request req;
      req.local_port_is_check = on_check_port;
      req.raw_head = c.buf().substr(0, head_end);
      c.buf().erase(0, head_end);
      if (parse_head(req.raw_head, req) != ParseStatus::Ok) {
        send_error(st, c, 400);
        break;
      }
      bool expects_body = req.chunked || req.content_length > 0;
      if (expects_body && req.minor == 1 && req.header_has_token("expect", "100-continue"))
        c.send_all("HTTP/1.1 100 Continue\r\n\r\n");
      if (req.chunked) {
        if (!read_chunked_body(c, req.body)) {
          send_error(st, c, 400);
          break;
        }
      } else if (req.content_length > 0 && !read_exact(c, req.content_length, req.body)) {
        break;
      }
      bool keep_alive = req.minor == 1 ? !req.header_has_token("connection", "close")
                                       : req.header_has_token("connection", "keep-alive");
      // Control requests (/_demo/...) are not application traffic: not counted in flight.
      bool counted = !req.path.starts_with("/_demo/");
      if (counted) {
        int64_t now_in = ++st.in_flight;
        for (int64_t m = st.max_in_flight.load(); now_in > m && !st.max_in_flight.compare_exchange_weak(m, now_in);) {
        }
      }
      Response r = handle(st, req);
      if (counted) --st.in_flight;
      if (r.close) keep_alive = false;
      if (!st.opt.quiet)
        std::fprintf(stderr, "%s: %s %s -> %d\n", st.opt.name.c_str(), req.method.c_str(), req.target.c_str(),
                     r.status);
      if (!c.send_all(serialize(st, &req, r, keep_alive))) break;
      if (!keep_alive) {
        c.linger_close();
        break;
      }
    }
  done:;
  }
  --st.active_connections;
}

// ---- listeners and main loop -------------------------------------------------------------

int open_listener(const std::string& address, uint16_t port, uint16_t& bound_port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  if (inet_pton(AF_INET, address.c_str(), &sa.sin_addr) != 1 ||
      bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || listen(fd, 512) != 0) {
    close(fd);
    return -1;
  }
  socklen_t len = sizeof sa;
  getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  bound_port = ntohs(sa.sin_port);
  return fd;
}

void accept_one(State& st, int lfd, bool on_check_port) {
  int fd = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) return;  // EAGAIN, ECONNABORTED, EMFILE: try again on the next poll
  std::thread([&st, fd, on_check_port] { serve_connection(st, fd, on_check_port); }).detach();
}

bool parse_addr_port(std::string_view s, std::string& addr, uint16_t& port) {
  size_t colon = s.rfind(':');
  if (colon == std::string_view::npos) return false;
  addr = colon == 0 ? "0.0.0.0" : std::string(s.substr(0, colon));
  if (addr == "*") addr = "0.0.0.0";
  return parse_number(s.substr(colon + 1), port);
}

int usage() {
  std::fprintf(stderr,
               "usage: demo-app --name NAME --listen ADDR:PORT [--check-port PORT]\n"
               "                [--session-cookie NAME] [--quiet]\n");
  return 2;
}

int run(int argc, char** argv) {
  static State st;
  g_state = &st;
  Options& opt = st.opt;
  bool have_listen = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    if (a == "--quiet") {
      opt.quiet = true;
    } else if (a == "--name" || a == "--listen" || a == "--check-port" || a == "--session-cookie") {
      const char* v = value();
      if (!v) return usage();
      if (a == "--name") {
        opt.name = v;
      } else if (a == "--listen") {
        if (!parse_addr_port(v, opt.address, opt.port)) return usage();
        have_listen = true;
      } else if (a == "--check-port") {
        if (!parse_number(std::string_view(v), opt.check_port)) return usage();
        opt.has_check_port = true;
      } else {
        opt.session_cookie = v;
      }
    } else {
      return usage();
    }
  }
  if (opt.name.empty() || !have_listen) return usage();

  if (pipe2(g_wake_pipe, O_CLOEXEC) != 0) return 1;
  struct sigaction sa{};
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);

  uint16_t port = 0;
  int main_fd = open_listener(opt.address, opt.port, port);
  if (main_fd < 0) {
    std::fprintf(stderr, "demo-app: cannot listen on %s:%u: %s\n", opt.address.c_str(), opt.port,
                 std::strerror(errno));
    return 1;
  }
  uint16_t check_port = 0;
  int check_fd = -1;
  if (opt.has_check_port) {
    check_fd = open_listener(opt.address, opt.check_port, check_port);
    if (check_fd < 0) {
      std::fprintf(stderr, "demo-app: cannot listen on %s:%u: %s\n", opt.address.c_str(), opt.check_port,
                   std::strerror(errno));
      return 1;
    }
  }
  std::printf("READY name=%s port=%u check_port=%u\n", opt.name.c_str(), port, check_port);
  std::fflush(stdout);

  for (;;) {
    pollfd fds[3] = {{g_wake_pipe[0], POLLIN, 0}, {main_fd, POLLIN, 0}, {check_fd, POLLIN, 0}};
    int n = poll(fds, check_fd >= 0 ? 3 : 2, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    if (fds[0].revents & POLLIN) {
      char cmd[64];
      ssize_t got = read(g_wake_pipe[0], cmd, sizeof cmd);
      for (ssize_t i = 0; i < got; ++i) {
        if (cmd[i] == 'q') {
          close(main_fd);
          if (check_fd >= 0) close(check_fd);
          std::fflush(stderr);
          // Detached workers may still be running: leave without running destructors.
          _exit(0);
        }
      }
      std::lock_guard lock(st.check_mu);
      if (st.check_done < st.check_req) {
        st.check_ok = true;
        if (!st.check_wanted && check_fd >= 0) {
          close(check_fd);
          check_fd = -1;
        } else if (st.check_wanted && check_fd < 0) {
          uint16_t ignored = 0;
          check_fd = open_listener(opt.address, check_port, ignored);
          st.check_ok = check_fd >= 0;
        }
        st.check_done = st.check_req;
        st.check_cv.notify_all();
      }
    }
    if (fds[1].revents & POLLIN) accept_one(st, main_fd, false);
    if (check_fd >= 0 && (fds[2].revents & POLLIN)) accept_one(st, check_fd, true);
  }
}

}  // namespace
}  // namespace demo

int main(int argc, char** argv) { return demo::run(argc, argv); }
