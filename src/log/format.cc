#include "log/format.h"

#include <netinet/in.h>
#include <sys/un.h>
#include <time.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "backend/backend.h"
#include "backend/server.h"
#include "net/socket.h"
#include "proxy/runtime.h"
#include "rules/domains.h"

namespace sluice::log {

namespace {

// The log variables (manual 8.2.4). Node::var holds one of these.
enum class Var : uint8_t {
  O, B, U, CC, CS, H, HM, HP, HPO, HQ, HU, HV, ID, ST, T, Ta, Tc, Td, Tl, Th, Ti, Tq, TR, Tr,
  Ts, Tt, Tu, Tw, ac, b, bc, bi, bp, bq, ci, cp, f, fc, fi, fp, ft, lc, hr, hrl, hs, hsl, ms,
  pid, r, rc, rt, s, sc, si, sp, sq, t, tr, trg, trl, ts, tsc, sslc, sslv
};

using Node = rules::Format::Node;
using Mode = rules::Format::Mode;

struct VarName {
  std::string_view name;
  Var var;
};
// Longest names first where one is a prefix of another (%HPO/%HP, %hrl/%hr, %trg/%tr/%t...):
// the parser picks the longest match.
constexpr VarName kVars[] = {
    {"o", Var::O},     {"B", Var::B},     {"U", Var::U},       {"CC", Var::CC},   {"CS", Var::CS},
    {"H", Var::H},     {"HM", Var::HM},   {"HP", Var::HP},     {"HPO", Var::HPO}, {"HQ", Var::HQ},
    {"HU", Var::HU},   {"HV", Var::HV},   {"ID", Var::ID},     {"ST", Var::ST},   {"T", Var::T},
    {"Ta", Var::Ta},   {"Tc", Var::Tc},   {"Td", Var::Td},     {"Tl", Var::Tl},   {"Th", Var::Th},
    {"Ti", Var::Ti},   {"Tq", Var::Tq},   {"TR", Var::TR},     {"Tr", Var::Tr},   {"Ts", Var::Ts},
    {"Tt", Var::Tt},   {"Tu", Var::Tu},   {"Tw", Var::Tw},     {"ac", Var::ac},   {"b", Var::b},
    {"bc", Var::bc},   {"bi", Var::bi},   {"bp", Var::bp},     {"bq", Var::bq},   {"ci", Var::ci},
    {"cp", Var::cp},   {"f", Var::f},     {"fc", Var::fc},     {"fi", Var::fi},   {"fp", Var::fp},
    {"ft", Var::ft},   {"lc", Var::lc},   {"hr", Var::hr},     {"hrl", Var::hrl}, {"hs", Var::hs},
    {"hsl", Var::hsl}, {"ms", Var::ms},   {"pid", Var::pid},   {"r", Var::r},     {"rc", Var::rc},
    {"rt", Var::rt},   {"s", Var::s},     {"sc", Var::sc},     {"si", Var::si},   {"sp", Var::sp},
    {"sq", Var::sq},   {"t", Var::t},     {"tr", Var::tr},     {"trg", Var::trg}, {"trl", Var::trl},
    {"ts", Var::ts},   {"tsc", Var::tsc}, {"sslc", Var::sslc}, {"sslv", Var::sslv},
};

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Flags in "{+Q,-X,+E}": applied on top of the %o defaults.
Result<void> apply_flags(std::string_view args, Node& n) {
  while (!args.empty()) {
    size_t comma = args.find(',');
    std::string_view a = args.substr(0, comma);
    if (a.size() != 2 || (a[0] != '+' && a[0] != '-') || (a[1] != 'Q' && a[1] != 'X' && a[1] != 'E'))
      return fail(fmt::format("unknown log-format flag '{}' (sluice knows +Q, +X, +E and their '-' forms)", a));
    bool on = a[0] == '+';
    if (a[1] == 'Q') n.quote = on;
    if (a[1] == 'X') n.hex = on;
    if (a[1] == 'E') n.escape = on;
    if (comma == std::string_view::npos) break;
    args.remove_prefix(comma + 1);
  }
  return {};
}

constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

std::string date(uint64_t wall_us, bool gmt, bool ms, bool tz) {
  time_t secs = static_cast<time_t>(wall_us / 1000000);
  struct tm tm{};
  if (gmt) gmtime_r(&secs, &tm);
  else localtime_r(&secs, &tm);
  std::string out = fmt::format("{:02}/{}/{:04}:{:02}:{:02}:{:02}", tm.tm_mday, kMonths[tm.tm_mon],
                                tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  if (ms) out += fmt::format(".{:03}", wall_us / 1000 % 1000);
  if (tz) {
    long off = gmt ? 0 : tm.tm_gmtoff;
    out += fmt::format(" {}{:02}{:02}", off < 0 ? '-' : '+', std::abs(off) / 3600,
                       std::abs(off) / 60 % 60);
  }
  return out;
}

std::string encode(std::string_view s, std::string_view extra) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '#' || extra.find(static_cast<char>(c)) != std::string_view::npos)
      out += fmt::format("#{:02X}", c);
    else
      out += static_cast<char>(c);
  }
  return out;
}

std::string ip_of(const sockaddr_storage& ss) {
  if (ss.ss_family == AF_UNIX) return "unix";
  if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6) return "-";
  return net::to_string(ss, false);
}

int64_t port_of(const sockaddr_storage& ss) {
  if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6) return -1;
  return net::port_of(reinterpret_cast<const sockaddr*>(&ss));
}

// Request line pieces: "METHOD URI VERSION".
std::string_view req_part(const TxRecord& r, int idx) {
  std::string_view l = r.request_line;
  if (l.empty() || l[0] == '<') return {};
  for (int i = 0; i < idx; ++i) {
    size_t sp = l.find(' ');
    if (sp == std::string_view::npos) return {};
    l.remove_prefix(sp + 1);
  }
  return l.substr(0, l.find(' '));
}

class Writer {
 public:
  Writer(std::string& out, Mode mode) : out_(out), log_(mode == Mode::Log) {}
  void text(std::string_view t) {
    out_ += t;
    if (!t.empty()) last_sep_ = false;
  }
  void sep() {
    if (!last_sep_) out_ += ' ';
    last_sep_ = true;
  }
  // An unknown value: '-' in a log line, nothing elsewhere.
  void dash() { text(log_ ? "-" : ""); }
  // Strings: quoted with Q ("" when empty), else "-" when empty (log lines); escaped with E.
  void str(const Node& n, std::string_view v) { str(n.quote, n.escape, v); }
  void str(bool quote, bool escape, std::string_view v) {
    if (quote) out_ += '"';
    if (v.empty() && !quote && log_) out_ += '-';
    if (escape) {
      for (char c : v) {
        if (c == '"' || c == '\\' || c == ']') out_ += '\\';
        out_ += c;
      }
    } else {
      out_ += v;
    }
    if (quote) out_ += '"';
    last_sep_ = false;
  }
  // Numbers, dates and flags: never quoted (haproxy applies Q to strings and addresses).
  // X prints in hexadecimal only the numbers haproxy prints so (ports, %Ts, %pid, %rt, %lc:
  // at least 4 digits); the others stay decimal.
  void num(const Node&, int64_t v, std::string_view prefix = {}) {
    out_ += prefix;
    out_ += fmt::to_string(v);
    last_sep_ = false;
  }
  void hexable(const Node& n, int64_t v, int width = 4) {
    if (n.hex) out_ += fmt::format("{:0{}X}", v, width);
    else out_ += fmt::to_string(v);
    last_sep_ = false;
  }
  void ip(const Node& n, const sockaddr_storage& ss) {
    if (n.hex && ss.ss_family == AF_INET) {
      uint32_t a = ntohl(reinterpret_cast<const sockaddr_in*>(&ss)->sin_addr.s_addr);
      str(n, fmt::format("{:08X}", a));
      return;
    }
    if (!log_ && ss.ss_family != AF_INET && ss.ss_family != AF_INET6 && ss.ss_family != AF_UNIX) return str(n, "");
    str(n, ip_of(ss));
  }
  bool log() const { return log_; }

 private:
  std::string& out_;
  bool log_;
  bool last_sep_ = true;
};

std::string captures(const std::vector<std::string>& v, uint32_t count, bool clf, bool quote) {
  std::string out;
  for (uint32_t i = 0; i < count; ++i) {
    std::string_view val = i < v.size() ? std::string_view(v[i]) : std::string_view();
    if (clf) {
      if (i) out += ' ';
      if (quote) out += '"';
      out += val.empty() && !quote ? std::string("-") : encode(val, "{|}");
      if (quote) out += '"';
    } else {
      if (i) out += '|';
      out += encode(val, "{|}");
    }
  }
  return clf ? out : "{" + out + "}";
}


bool response_phase(uint16_t phases) {
  return (phases & (rules::kHttpRes | rules::kAfterRes | rules::kResContent | rules::kCheck)) != 0;
}

// A variable sluice cannot render faithfully where the format runs: refused at load.
Result<void> check_var(Var v, std::string_view name, Mode mode, uint16_t phases) {
  if (v == Var::sslc || v == Var::sslv)
    return fail(fmt::format("log-format variable '%{}' needs TLS, which sluice does not terminate "
                            "(not supported by sluice)", name));
  if (mode == Mode::Log) return {};
  switch (v) {
    case Var::hr: case Var::hrl: case Var::hs: case Var::hsl: case Var::ac:
      return fail(fmt::format("log-format variable '%{}' is not supported by sluice outside a log-format", name));
    case Var::ST: case Var::B: case Var::U: case Var::Tq: case Var::Th: case Var::Ti: case Var::TR:
    case Var::Tw: case Var::Tc: case Var::Tr: case Var::Ta: case Var::Tt: case Var::Td: case Var::Tu:
    case Var::ts: case Var::tsc: case Var::rc: case Var::si: case Var::sp: case Var::bi: case Var::bp:
    case Var::CC: case Var::CS:
      if (response_phase(phases))
        return fail(fmt::format("log-format variable '%{}' is not supported by sluice in {} (only in "
                                "http-request rules and log formats)", name, rules::phase_names(phases)));
      return {};
    default: return {};
  }
}

// One variable of a finished exchange (or of the transaction so far, for rules).
void render_var(Writer& w, const Node& n, const TxRecord& r, const RenderEnv& env, std::string_view fe_name) {
  switch (static_cast<Var>(n.var)) {
    case Var::O: case Var::sslc: case Var::sslv: break;   // refused by check_var
    case Var::B: w.num(n, static_cast<int64_t>(r.bytes_out)); break;
    case Var::U: w.num(n, static_cast<int64_t>(r.bytes_in)); break;
    case Var::CC: case Var::CS: w.str(n, ""); break;
    case Var::H: w.str(n, env.hostname); break;
    case Var::HM: w.str(n, req_part(r, 0)); break;
    case Var::HU: w.str(n, encode_url(req_part(r, 1))); break;
    case Var::HP: {
      std::string_view u = req_part(r, 1);
      w.str(n, encode_url(u.substr(0, u.find('?'))));
      break;
    }
    case Var::HPO: {
      std::string_view u = req_part(r, 1);
      u = u.substr(0, u.find('?'));
      if (auto p = u.find("://"); p != std::string_view::npos) {
        u.remove_prefix(p + 3);
        auto slash = u.find('/');
        u = slash == std::string_view::npos ? std::string_view("/") : u.substr(slash);
      }
      w.str(n, encode_url(u));
      break;
    }
    case Var::HQ: {
      std::string_view u = req_part(r, 1);
      auto q = u.find('?');
      w.str(n, q == std::string_view::npos ? std::string() : encode_url(u.substr(q)));
      break;
    }
    case Var::HV: w.str(n, req_part(r, 2)); break;
    case Var::ID: w.str(n, r.unique_id); break;
    case Var::ST: w.num(n, r.status); break;
    case Var::T: w.text(format_date_gmt(r.accept_wall_us)); break;
    case Var::Tl: w.text(format_date_local_tz(r.accept_wall_us)); break;
    case Var::Ta: w.num(n, r.Ta); break;
    case Var::Tc: w.num(n, r.Tc); break;
    case Var::Th: w.num(n, 0); break;
    case Var::Ti: w.num(n, r.Ti); break;
    case Var::Tq: w.num(n, r.TR < 0 ? -1 : r.TR + r.Ti); break;
    case Var::TR: w.num(n, r.TR); break;
    case Var::Tr: w.num(n, r.Tr); break;
    case Var::Tw: w.num(n, r.Tw); break;
    case Var::Tt: w.num(n, r.Tt); break;
    case Var::Tu: w.num(n, r.Tt - r.Ti); break;
    case Var::Td: {
      bool ok = r.TR >= 0 && r.Tw >= 0 && r.Tc >= 0 && r.Tr >= 0;
      w.num(n, ok ? r.Tt - (r.TR + r.Ti + r.Tw + r.Tc + r.Tr) : -1);
      break;
    }
    case Var::Ts: w.hexable(n, static_cast<int64_t>(r.accept_wall_us / 1000000)); break;
    case Var::ac: w.num(n, r.actconn); break;
    case Var::fc: w.num(n, r.feconn); break;
    case Var::bc: w.num(n, r.beconn); break;
    case Var::sc: w.num(n, r.srv_conn); break;
    case Var::rc: w.num(n, r.retries, r.redispatched ? "+" : ""); break;
    case Var::sq: w.num(n, r.srv_queue); break;
    case Var::bq: w.num(n, r.be_queue); break;
    case Var::b: w.str(n, r.be ? std::string_view(r.be->name()) : fe_name); break;
    case Var::s:
      w.str(n, r.srv ? r.srv->name() : r.service ? std::string_view(r.service) : "<NOSRV>");
      break;
    case Var::f: w.str(n, fe_name); break;
    case Var::ft: w.str(n, fe_name); break;   // TODO(log): '~' suffix once binds do TLS
    case Var::ci: w.ip(n, r.client); break;
    case Var::cp:
      if (r.client.ss_family == AF_UNIX) w.hexable(n, 0);   // haproxy: the listener's id
      else w.hexable(n, port_of(r.client));
      break;
    case Var::fi: w.ip(n, r.local); break;
    case Var::fp:
      if (port_of(r.local) < 0) w.dash();
      else w.hexable(n, port_of(r.local));
      break;
    case Var::si: w.ip(n, r.server_addr); break;
    case Var::sp:
      if (port_of(r.server_addr) < 0) w.dash();
      else w.hexable(n, port_of(r.server_addr));
      break;
    case Var::bi: case Var::bp: w.str(n, ""); break;
    case Var::lc: case Var::rt: w.hexable(n, static_cast<int64_t>(env.log_counter)); break;
    case Var::pid: w.hexable(n, env.pid); break;
    case Var::ms:
      if (n.hex) w.hexable(n, static_cast<int64_t>(r.accept_wall_us / 1000 % 1000), 2);
      else w.text(fmt::format("{:03}", r.accept_wall_us / 1000 % 1000));
      break;
    case Var::t: w.text(format_date_ms(r.accept_wall_us)); break;
    case Var::tr: w.text(format_date_ms(r.request_wall_us)); break;
    case Var::trg: w.text(format_date_gmt(r.request_wall_us)); break;
    case Var::trl: w.text(format_date_local_tz(r.request_wall_us)); break;
    case Var::ts: w.text(std::string_view(r.term, 2)); break;
    case Var::tsc: w.text(std::string_view(r.term, 4)); break;
    case Var::hr:
      if (env.req_capture_count) w.text(captures(r.req_captures, env.req_capture_count, false, false));
      break;
    case Var::hs:
      if (env.rsp_capture_count) w.text(captures(r.rsp_captures, env.rsp_capture_count, false, false));
      break;
    case Var::hrl:
      if (env.req_capture_count) w.text(captures(r.req_captures, env.req_capture_count, true, n.quote));
      break;
    case Var::hsl:
      if (env.rsp_capture_count) w.text(captures(r.rsp_captures, env.rsp_capture_count, true, n.quote));
      break;
    case Var::r: w.str(n, encode_url(r.request_line)); break;
  }
}

// A %[...] value: cast to a string. Log lines quote it with Q; rule arguments do not (as
// HAProxy renders them), both escape it with E.
void render_expr(Writer& w, const Node& n, rules::Ctx& c) {
  rules::Sample s;
  // Per call, nothing allocated once warm: a format may render inside another (unique-id),
  // so the scratch string is taken and given back rather than shared.
  static thread_local std::vector<std::string> pool;
  std::string v;
  if (!pool.empty()) {
    v = std::move(pool.back());
    pool.pop_back();
    v.clear();
  }
  if (n.expr->value(c, s)) rules::append_sample(s, v);
  w.str(w.log() && n.quote, n.escape, v);   // +X does not apply to samples; +Q only in logs
  pool.push_back(std::move(v));
}

// What a rule sees of the transaction, as the record a log line would have at this point:
// nothing is timed, counted or answered yet (HAProxy prints -1, 0 and "----" there).
void record_from_ctx(const rules::Ctx& c, TxRecord& r) {
  r.http = c.req != nullptr;
  r.be = c.be;
  r.srv = c.srv;
  if (c.src != nullptr) r.client = *c.src;
  if (c.dst != nullptr) r.local = *c.dst;
  uint64_t now = wall_clock_us();
  r.accept_wall_us = c.accept_wall_us ? c.accept_wall_us : now;
  r.request_wall_us = c.request_wall_us ? c.request_wall_us : now;
  r.Ta = static_cast<int64_t>((now - std::min(now, r.request_wall_us)) / 1000);
  r.Tt = static_cast<int64_t>((now - std::min(now, r.accept_wall_us)) / 1000);
  if (c.fe_counters != nullptr) r.feconn = c.fe_counters->cur_conns.load(std::memory_order_relaxed);
  if (c.be != nullptr) {
    r.beconn = c.be->counters.cur_sess.load(std::memory_order_relaxed);
    r.be_queue = c.be->queue_len();
  }
  if (c.srv != nullptr) {
    r.srv_conn = c.srv->counters.cur_sess.load(std::memory_order_relaxed);
    r.srv_queue = c.srv->queue_len.load(std::memory_order_relaxed);
  }
  if (c.req != nullptr) {
    r.request_line.assign(c.req->method_name).append(" ").append(c.req->target);
    r.request_line.append(c.req->version_minor == 0 ? " HTTP/1.0" : " HTTP/1.1");
  }
  r.unique_id = std::string(c.unique_id);
}

}  // namespace

uint64_t wall_clock_us() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000u + static_cast<uint64_t>(ts.tv_nsec) / 1000u;
}

std::string format_date_ms(uint64_t us) { return date(us, false, true, false); }
std::string format_date_gmt(uint64_t us) { return date(us, true, false, true); }
std::string format_date_local_tz(uint64_t us) { return date(us, false, false, true); }
std::string encode_url(std::string_view s) { return encode(s, ""); }
std::string encode_header(std::string_view s) { return encode(s, "{|}"); }

}  // namespace sluice::log

namespace sluice::rules {

Result<Format> Format::compile(std::string_view text, CompileCtx& cc, Mode mode) {
  using log::Var;
  Format f;
  f.mode_ = mode;
  const bool is_log = mode == Mode::Log;
  const bool seps = mode != Mode::Rule;   // log lines and unique ids: spaces separate
  Node defaults;   // flags set by %o
  std::string lit;
  auto flush = [&] {
    if (!lit.empty()) f.nodes_.emplace_back().text = std::move(lit);
    lit.clear();
  };
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == ' ' && seps) {
      flush();
      if (f.nodes_.empty() || f.nodes_.back().kind != Node::Kind::Sep) f.nodes_.emplace_back().kind = Node::Kind::Sep;
      ++i;
      continue;
    }
    if (c == '\\' && seps && i + 1 < text.size()) {   // escaped character: verbatim
      lit += text[i + 1];
      i += 2;
      continue;
    }
    if (c != '%') {
      lit += c;
      ++i;
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '%') {
      lit += '%';
      i += 2;
      continue;
    }
    flush();
    size_t start = i++;
    Node n = defaults;
    if (i < text.size() && text[i] == '{') {
      size_t close = text.find('}', i);
      if (close == std::string_view::npos) return fail(fmt::format("missing '}}' after '%{{' in '{}'", text));
      if (auto r = log::apply_flags(text.substr(i + 1, close - i - 1), n); !r) return fail(r.error().message);
      i = close + 1;
    }
    if (i < text.size() && text[i] == '[') {
      // The expression ends at the first ']' outside quotes and parentheses.
      size_t j = find_close(text, i + 1, ']');
      if (j == std::string_view::npos) return fail(fmt::format("missing ']' after '%[' in '{}'", text));
      auto e = Expr::compile(text.substr(i + 1, j - i - 1), cc);
      if (!e) {
        if (!is_log) return fail(e.error().message);
        // As HAProxy: the request's headers are gone at log time (phases in rules/context.h).
        std::string_view hint = e.error().message.find("not available in log") != std::string::npos
                                    ? "; use %HP, %HU, %HQ, %HV or 'capture request header'" : "";
        return fail(fmt::format("log-format: '%[{}]': {}{}", text.substr(i + 1, j - i - 1), e.error().message, hint));
      }
      n.kind = Node::Kind::Expr;
      n.expr = std::move(*e);
      f.nodes_.push_back(std::move(n));
      i = j + 1;
      continue;
    }
    size_t end = i;
    while (end < text.size() && log::is_name_char(text[end])) ++end;
    // Longest known name that prefixes the rest ("%tsc" before "%ts" before "%t").
    const log::VarName* best = nullptr;
    for (const auto& v : log::kVars) {
      if (v.name.size() <= end - i && text.substr(i, v.name.size()) == v.name &&
          (best == nullptr || v.name.size() > best->name.size()))
        best = &v;
    }
    if (best == nullptr) {
      if (end == i) return fail(fmt::format("'%' at '{}' starts no log-format variable (write '%%' for a '%')",
                                            text.substr(start, 8)));
      return fail(fmt::format("unknown log-format variable '%{}' (not supported by sluice)", text.substr(i, end - i)));
    }
    i += best->name.size();
    if (best->var == Var::O) {   // %o: flags for every following variable
      defaults.quote = n.quote;
      defaults.hex = n.hex;
      defaults.escape = n.escape;
      continue;
    }
    if (auto r = log::check_var(best->var, best->name, mode, cc.phases); !r) return fail(r.error().message);
    n.kind = Node::Kind::Var;
    n.var = static_cast<uint8_t>(best->var);
    f.nodes_.push_back(std::move(n));
  }
  flush();
  return f;
}

void Format::render(Ctx& c, std::string& out, const log::TxRecord* rec, const log::RenderEnv* env) const {
  log::Writer w(out, mode_);
  std::optional<log::TxRecord> now;   // a rule's view, built at the first variable
  std::optional<log::RenderEnv> cur;
  for (const Node& n : nodes_) {
    switch (n.kind) {
      case Node::Kind::Text: w.text(n.text); break;
      case Node::Kind::Sep: w.sep(); break;
      case Node::Kind::Expr: log::render_expr(w, n, c); break;
      case Node::Kind::Var:
        if (rec == nullptr && !now) log::record_from_ctx(c, now.emplace());
        if (env == nullptr && !cur) cur = log::current_env();
        log::render_var(w, n, rec != nullptr ? *rec : *now, env != nullptr ? *env : *cur,
                        rec != nullptr && rec->fe != nullptr ? std::string_view(rec->fe->name())
                        : rec != nullptr ? std::string_view("-") : c.fe_name);
        break;
    }
  }
}

std::string_view Format::render(Ctx& c) const {
  if (nodes_.size() == 1 && nodes_[0].kind == Node::Kind::Text) return nodes_[0].text;
  // A format may render another one meanwhile (%[unique-id] generates the id): the inner
  // one gets a buffer of its own.
  static thread_local std::string buf;
  static thread_local bool busy = false;
  if (busy) {
    std::string inner;
    render(c, inner);
    return c.mem().copy(inner);
  }
  busy = true;
  buf.clear();
  render(c, buf);
  busy = false;
  return c.mem().copy(buf);
}

std::string_view unique_id(Ctx& c) {
  // A format that asks for its own id (unique-id-format %[unique-id]) sees it empty.
  static thread_local bool generating = false;
  if (c.unique_id.empty() && c.unique_id_format != nullptr && !generating) {
    generating = true;
    c.unique_id = c.unique_id_format->render(c);
    generating = false;
  }
  return c.unique_id;
}

}  // namespace sluice::rules

namespace sluice::log {

sluice::expected<LogFormat, std::string> LogFormat::compile(std::string_view text, rules::CompileCtx& cc) {
  LogFormat f;
  auto r = rules::Format::compile(text, cc, rules::Format::Mode::Log);
  if (!r) return sluice::unexpected(r.error().message);
  f.f_ = std::move(*r);
  return f;
}

sluice::expected<LogFormat, std::string> LogFormat::compile(std::string_view text) {
  rules::CompileCtx cc;
  cc.phases = rules::kLog;
  cc.what = "log-format";
  return compile(text, cc);
}

std::string LogFormat::render(const TxRecord& r, const RenderEnv& env) const {
  std::string out;
  out.reserve(256);
  // %[...] runs on a context built from the record: addresses, proxies, variables, the
  // method of the request line. Header fetches were refused at compile time.
  static thread_local rules::Arena arena;
  rules::Ctx c;
  c.phase = rules::kLog;
  c.src = &r.client;
  c.dst = &r.local;
  if (r.fe != nullptr) {
    c.fe_name = r.fe->name();
    c.fe_id = r.fe->id();
    c.fe_counters = &r.fe->counters;
  }
  c.be = r.be;
  c.srv = r.srv;
  // The request's head is gone (c.req stays null, as in every phase after the request);
  // the method outlives it, taken from the request line.
  if (r.http && !req_part(r, 0).empty()) {
    c.method_name = req_part(r, 0);
    c.method = http::method_from(c.method_name);
  }
  c.sess_vars = r.sess_vars;
  c.txn_vars = r.txn_vars;
  c.unique_id = r.unique_id;
  c.arena = &arena;
  f_.render(c, out, &r, &env);
  arena.reset();
  return out;
}

}  // namespace sluice::log
