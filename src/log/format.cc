#include "log/format.h"

#include <netinet/in.h>
#include <sys/un.h>
#include <time.h>

#include <fmt/format.h>

#include <array>

#include "backend/backend.h"
#include "backend/server.h"
#include "net/socket.h"
#include "proxy/runtime.h"

namespace sluice::log {

enum class LogFormat::Var : uint8_t {
  O, B, U, CC, CS, H, HM, HP, HPO, HQ, HU, HV, ID, ST, T, Ta, Tc, Td, Tl, Th, Ti, Tq, TR, Tr,
  Ts, Tt, Tu, Tw, ac, b, bc, bi, bp, bq, ci, cp, f, fc, fi, fp, ft, lc, hr, hrl, hs, hsl, ms,
  pid, r, rc, rt, s, sc, si, sp, sq, t, tr, trg, trl, ts, tsc, Sample
};

namespace {

using Var = LogFormat::Var;
using Node = LogFormat::Node;

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
    {"ts", Var::ts},   {"tsc", Var::tsc},
};

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Flags in "{+Q,-X,arg}": applied on top of the %o defaults.
void apply_flags(std::string_view args, Node& n) {
  while (!args.empty()) {
    size_t comma = args.find(',');
    std::string_view a = args.substr(0, comma);
    if (a.size() == 2 && (a[0] == '+' || a[0] == '-')) {
      bool on = a[0] == '+';
      if (a[1] == 'Q') n.quote = on;
      if (a[1] == 'X') n.hex = on;
      if (a[1] == 'E') n.escape = on;
    }
    if (comma == std::string_view::npos) break;
    args.remove_prefix(comma + 1);
  }
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
  explicit Writer(std::string& out) : out_(out) {}
  void text(std::string_view t) {
    out_ += t;
    if (!t.empty()) last_sep_ = false;
  }
  void sep() {
    if (!last_sep_) out_ += ' ';
    last_sep_ = true;
  }
  // Strings: quoted with Q ("" when empty), else "-" when empty; escaped with E.
  void str(const Node& n, std::string_view v) {
    if (n.quote) out_ += '"';
    if (v.empty() && !n.quote) out_ += '-';
    if (n.escape) {
      for (char c : v) {
        if (c == '"' || c == '\\' || c == ']') out_ += '\\';
        out_ += c;
      }
    } else {
      out_ += v;
    }
    if (n.quote) out_ += '"';
    last_sep_ = false;
  }
  // Numbers, dates and flags: never quoted (haproxy applies Q to strings and addresses).
  void num(const Node& n, int64_t v, std::string_view prefix = {}) {
    out_ += prefix;
    if (n.hex) out_ += fmt::format("{:X}", v);
    else out_ += fmt::to_string(v);
    last_sep_ = false;
  }
  void ip(const Node& n, const sockaddr_storage& ss) {
    if (n.hex && ss.ss_family == AF_INET) {
      uint32_t a = ntohl(reinterpret_cast<const sockaddr_in*>(&ss)->sin_addr.s_addr);
      str(n, fmt::format("{:08X}", a));
      return;
    }
    str(n, ip_of(ss));
  }

 private:
  std::string& out_;
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

// A %[...] expression of a log-format. HAProxy 2.6 refuses, in a log-format, every fetch that
// needs the request headers (path, url, query, req.ver, hdr...): "may not be reliably used
// here". sluice refuses the same ones, so what it accepts is what HAProxy logs.
sluice::expected<config::FetchSpec, std::string> compile_sample(std::string_view expr) {
  auto f = config::parse_sample_expr(expr);
  if (!f) return sluice::unexpected(fmt::format("log-format: '%[{}]': {}", expr, f.error().message));
  using K = config::FetchKind;
  switch (f->kind) {
    case K::Method: case K::Src: case K::SrcPort: case K::Dst: case K::DstPort: case K::True: case K::False:
      return std::move(*f);
    case K::Path: case K::Url: case K::Query: case K::Version: case K::Hdr: case K::FHdr: case K::HdrCnt:
    case K::FHdrCnt: case K::Cookie:
      break;
  }
  return sluice::unexpected(fmt::format("log-format: '%[{}]' needs the HTTP request headers, which a log-format "
                                        "cannot use (as in HAProxy); use %HP, %HU, %HQ, %HV or "
                                        "'capture request header'", expr));
}

void render_sample(Writer& w, const Node& n, const TxRecord& r) {
  using K = config::FetchKind;
  const config::FetchSpec& f = *n.sample;
  switch (f.kind) {
    case K::Src: case K::Dst: {
      const sockaddr_storage& a = f.kind == K::Src ? r.client : r.local;
      if (a.ss_family == AF_INET || a.ss_family == AF_INET6) w.ip(n, a);
      else w.str(n, "");
      return;
    }
    case K::SrcPort: case K::DstPort: {
      int64_t p = port_of(f.kind == K::SrcPort ? r.client : r.local);
      if (p < 0) w.str(n, "");
      else w.num(n, p);
      return;
    }
    case K::True: case K::False: w.num(n, f.kind == K::True ? 1 : 0); return;
    case K::Method: break;
    case K::Path: case K::Url: case K::Query: case K::Version: case K::Hdr: case K::FHdr: case K::HdrCnt:
    case K::FHdrCnt: case K::Cookie:
      w.str(n, "");   // refused by compile_sample
      return;
  }
  std::string conv(req_part(r, 0));
  for (auto c : f.converters)
    for (char& ch : conv)
      ch = static_cast<char>(c == config::Converter::Lower ? std::tolower(static_cast<unsigned char>(ch))
                                                           : std::toupper(static_cast<unsigned char>(ch)));
  w.str(n, conv);
}

}  // namespace

std::string format_date_ms(uint64_t us) { return date(us, false, true, false); }
std::string format_date_gmt(uint64_t us) { return date(us, true, false, true); }
std::string format_date_local_tz(uint64_t us) { return date(us, false, false, true); }
std::string encode_url(std::string_view s) { return encode(s, ""); }
std::string encode_header(std::string_view s) { return encode(s, "{|}"); }

sluice::expected<LogFormat, std::string> LogFormat::compile(std::string_view text) {
  LogFormat f;
  Node defaults;   // flags set by %o
  std::string lit;
  auto flush = [&] {
    if (!lit.empty()) f.nodes_.push_back({Node::Kind::Text, std::move(lit)});
    lit.clear();
  };
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == ' ') {
      flush();
      if (f.nodes_.empty() || f.nodes_.back().kind != Node::Kind::Sep)
        f.nodes_.push_back({Node::Kind::Sep, {}});
      ++i;
      continue;
    }
    if (c == '\\' && i + 1 < text.size()) {   // escaped character: verbatim
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
    ++i;
    Node n = defaults;
    n.kind = Node::Kind::Var;
    if (i < text.size() && text[i] == '{') {
      size_t close = text.find('}', i);
      if (close == std::string_view::npos) return sluice::unexpected(std::string("log-format: missing '}'"));
      apply_flags(text.substr(i + 1, close - i - 1), n);
      i = close + 1;
    }
    if (i < text.size() && text[i] == '[') {
      size_t close = text.find(']', i);
      if (close == std::string_view::npos) return sluice::unexpected(std::string("log-format: missing ']'"));
      auto sample = compile_sample(text.substr(i + 1, close - i - 1));
      if (!sample) return sluice::unexpected(sample.error());
      n.var = Var::Sample;
      n.sample = std::move(*sample);
      f.nodes_.push_back(std::move(n));
      i = close + 1;
      continue;
    }
    size_t end = i;
    while (end < text.size() && is_name_char(text[end])) ++end;
    // Longest known name that prefixes the rest ("%tsc" before "%ts" before "%t").
    const VarName* best = nullptr;
    for (const auto& v : kVars) {
      if (v.name.size() <= end - i && text.substr(i, v.name.size()) == v.name &&
          (best == nullptr || v.name.size() > best->name.size()))
        best = &v;
    }
    if (best == nullptr)
      return sluice::unexpected(std::string(fmt::format("log-format: unknown variable '%{}'", text.substr(i, end - i))));
    i += best->name.size();
    if (best->var == Var::O) {   // %o: flags for every following variable
      defaults.quote = n.quote;
      defaults.hex = n.hex;
      defaults.escape = n.escape;
      continue;
    }
    n.var = best->var;
    f.nodes_.push_back(std::move(n));
  }
  flush();
  return f;
}

std::string LogFormat::render(const TxRecord& r, const RenderEnv& env) const {
  std::string out;
  out.reserve(256);
  Writer w(out);
  const auto* fe = r.fe;
  std::string_view fe_name = fe ? std::string_view(fe->name()) : std::string_view("-");
  auto opt = [](int64_t v) { return v; };
  for (const Node& n : nodes_) {
    switch (n.kind) {
      case Node::Kind::Text: w.text(n.text); continue;
      case Node::Kind::Sep: w.sep(); continue;
      case Node::Kind::Var: break;
    }
    switch (n.var) {
      case Var::O: break;
      case Var::Sample: render_sample(w, n, r); break;
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
      case Var::ID: w.str(n, ""); break;
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
      case Var::Tt: w.num(n, opt(r.Tt)); break;
      case Var::Tu: w.num(n, r.Tt - r.Ti); break;
      case Var::Td: {
        bool ok = r.TR >= 0 && r.Tw >= 0 && r.Tc >= 0 && r.Tr >= 0;
        w.num(n, ok ? r.Tt - (r.TR + r.Ti + r.Tw + r.Tc + r.Tr) : -1);
        break;
      }
      case Var::Ts: w.num(n, static_cast<int64_t>(r.accept_wall_us / 1000000)); break;
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
        if (r.client.ss_family == AF_UNIX) w.num(n, 0);   // haproxy: the listener's id
        else w.num(n, port_of(r.client));
        break;
      case Var::fi: w.ip(n, r.local); break;
      case Var::fp:
        if (port_of(r.local) < 0) w.text("-");
        else w.num(n, port_of(r.local));
        break;
      case Var::si: w.ip(n, r.server_addr); break;
      case Var::sp:
        if (port_of(r.server_addr) < 0) w.text("-");
        else w.num(n, port_of(r.server_addr));
        break;
      case Var::bi: case Var::bp: w.str(n, ""); break;
      case Var::lc: case Var::rt: w.num(n, static_cast<int64_t>(env.log_counter)); break;
      case Var::pid: w.num(n, env.pid); break;
      case Var::ms: w.text(fmt::format("{:03}", r.accept_wall_us / 1000 % 1000)); break;
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
  return out;
}

}  // namespace sluice::log
