#include "proxy/acl.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "core/regex.h"
#include "http/cookie.h"

namespace sluice::proxy {

namespace {

enum class Fetch : uint8_t { Path, Url, Hdr, Method, Src, DstPort, Cookie, Version, Always };
enum class Match : uint8_t { Str, Beg, End, Sub, Dir, Dom, Reg, Found, Ip, Int, Bool };

bool ieq(char a, char b) {
  return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
}
bool eq(std::string_view a, std::string_view b, bool icase) {
  if (a.size() != b.size()) return false;
  if (!icase) return a == b;
  for (size_t i = 0; i < a.size(); ++i)
    if (!ieq(a[i], b[i])) return false;
  return true;
}
bool begins(std::string_view s, std::string_view p, bool icase) {
  return s.size() >= p.size() && eq(s.substr(0, p.size()), p, icase);
}
bool ends(std::string_view s, std::string_view p, bool icase) {
  return s.size() >= p.size() && eq(s.substr(s.size() - p.size()), p, icase);
}
bool contains(std::string_view s, std::string_view p, bool icase) {
  if (p.size() > s.size()) return false;
  for (size_t i = 0; i + p.size() <= s.size(); ++i)
    if (eq(s.substr(i, p.size()), p, icase)) return true;
  return false;
}
// -m dir / -m dom: pattern matches a whole delimited part.
bool delimited(std::string_view s, std::string_view p, bool icase, char delim) {
  size_t i = 0;
  while (i <= s.size()) {
    size_t j = s.find(delim, i);
    if (j == std::string_view::npos) j = s.size();
    if (j > i && eq(s.substr(i, j - i), p, icase)) return true;
    // multi-part patterns ("a/b") match as a delimited substring
    if (p.find(delim) != std::string_view::npos && begins(s.substr(i), p, icase)) {
      size_t end = i + p.size();
      if (end == s.size() || s[end] == delim) return true;
    }
    i = j + 1;
  }
  return false;
}

struct IpPattern {
  sockaddr_storage net{};
  uint8_t prefix = 0;
};

bool ip_match(const sockaddr_storage& a, const IpPattern& p) {
  if (a.ss_family == AF_INET && p.net.ss_family == AF_INET) {
    uint32_t x = ntohl(reinterpret_cast<const sockaddr_in&>(a).sin_addr.s_addr);
    uint32_t y = ntohl(reinterpret_cast<const sockaddr_in&>(p.net).sin_addr.s_addr);
    uint32_t mask = p.prefix == 0 ? 0 : (~uint32_t{0} << (32 - p.prefix));
    return (x & mask) == (y & mask);
  }
  if (a.ss_family == AF_INET6 && p.net.ss_family == AF_INET6) {
    auto& x = reinterpret_cast<const sockaddr_in6&>(a).sin6_addr;
    auto& y = reinterpret_cast<const sockaddr_in6&>(p.net).sin6_addr;
    int bits = p.prefix;
    for (int i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
      uint8_t m = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
      if ((x.s6_addr[i] & m) != (y.s6_addr[i] & m)) return false;
    }
    return true;
  }
  // IPv4-mapped IPv6 client against an IPv4 pattern
  if (a.ss_family == AF_INET6 && p.net.ss_family == AF_INET) {
    auto& x = reinterpret_cast<const sockaddr_in6&>(a).sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(&x)) {
      sockaddr_storage v4{};
      auto& s4 = reinterpret_cast<sockaddr_in&>(v4);
      s4.sin_family = AF_INET;
      std::memcpy(&s4.sin_addr, &x.s6_addr[12], 4);
      return ip_match(v4, p);
    }
  }
  return false;
}

Result<IpPattern> parse_ip(std::string_view text) {
  IpPattern p;
  std::string s(text);
  std::string addr = s;
  int prefix = -1;
  if (auto slash = s.find('/'); slash != std::string::npos) {
    addr = s.substr(0, slash);
    std::string pre = s.substr(slash + 1);
    if (pre.find('.') != std::string::npos) {
      in_addr m{};
      if (inet_pton(AF_INET, pre.c_str(), &m) != 1) return fail("invalid netmask '" + pre + "'");
      prefix = __builtin_popcount(m.s_addr);
    } else {
      prefix = std::atoi(pre.c_str());
    }
  }
  auto& s4 = reinterpret_cast<sockaddr_in&>(p.net);
  auto& s6 = reinterpret_cast<sockaddr_in6&>(p.net);
  if (inet_pton(AF_INET, addr.c_str(), &s4.sin_addr) == 1) {
    s4.sin_family = AF_INET;
    p.prefix = static_cast<uint8_t>(prefix < 0 ? 32 : std::min(prefix, 32));
  } else if (inet_pton(AF_INET6, addr.c_str(), &s6.sin6_addr) == 1) {
    s6.sin6_family = AF_INET6;
    p.prefix = static_cast<uint8_t>(prefix < 0 ? 128 : std::min(prefix, 128));
  } else {
    return fail("invalid IP address '" + std::string(text) + "'");
  }
  return p;
}

}  // namespace

class CompiledAcl {
 public:
  Fetch fetch = Fetch::Always;
  Match match = Match::Str;
  bool icase = false;
  bool always = true;
  std::string arg;                 // header or cookie name
  std::vector<std::string> pats;
  std::vector<IpPattern> ips;
  std::vector<core::Regex> regs;
  std::vector<int64_t> ints;

  bool needs_http() const {
    return fetch == Fetch::Path || fetch == Fetch::Url || fetch == Fetch::Hdr ||
           fetch == Fetch::Method || fetch == Fetch::Cookie || fetch == Fetch::Version;
  }

  bool match_str(std::string_view v) const {
    switch (match) {
      case Match::Found: return true;
      case Match::Reg:
        for (auto& r : regs)
          if (r.search(v)) return true;
        return false;
      default: break;
    }
    for (auto& p : pats) {
      switch (match) {
        case Match::Str: if (eq(v, p, icase)) return true; break;
        case Match::Beg: if (begins(v, p, icase)) return true; break;
        case Match::End: if (ends(v, p, icase)) return true; break;
        case Match::Sub: if (contains(v, p, icase)) return true; break;
        case Match::Dir: if (delimited(v, p, icase, '/')) return true; break;
        case Match::Dom: if (delimited(v, p, icase, '.')) return true; break;
        default: break;
      }
    }
    return false;
  }

  bool eval(const AclContext& c) const {
    switch (fetch) {
      case Fetch::Always: return always;
      case Fetch::Src:
        if (c.src == nullptr) return false;
        for (auto& ip : ips)
          if (ip_match(*c.src, ip)) return true;
        return false;
      case Fetch::DstPort: {
        if (c.dst == nullptr) return false;
        int port = 0;
        if (c.dst->ss_family == AF_INET) port = ntohs(reinterpret_cast<const sockaddr_in*>(c.dst)->sin_port);
        else if (c.dst->ss_family == AF_INET6) port = ntohs(reinterpret_cast<const sockaddr_in6*>(c.dst)->sin6_port);
        return std::find(ints.begin(), ints.end(), port) != ints.end();
      }
      default: break;
    }
    if (c.req == nullptr) return false;
    const http::RequestHead& r = *c.req;
    switch (fetch) {
      case Fetch::Path: {
        std::string_view p = r.path;
        if (auto q = p.find('?'); q != std::string_view::npos) p = p.substr(0, q);
        return match_str(p);
      }
      case Fetch::Url: return match_str(r.target);
      case Fetch::Method: return match_str(r.method_name);
      case Fetch::Version: return match_str(r.version_minor == 0 ? "1.0" : "1.1");
      case Fetch::Hdr: {
        // Each value of a comma-separated header is tested (as HAProxy's hdr() does for most
        // headers); Host is tested whole.
        for (int i = r.find(arg); i >= 0; i = r.find(arg, i + 1)) {
          std::string_view v = r.headers[static_cast<size_t>(i)].value;
          if (match_str(v)) return true;
        }
        return false;
      }
      case Fetch::Cookie: {
        for (int i = r.find("cookie"); i >= 0; i = r.find("cookie", i + 1)) {
          auto v = http::find_cookie(r.headers[static_cast<size_t>(i)].value, arg);
          if (v && match_str(*v)) return true;
        }
        return false;
      }
      default: return false;
    }
  }
};

namespace {

Result<std::unique_ptr<CompiledAcl>> compile_acl(const config::Acl& a) {
  auto c = std::make_unique<CompiledAcl>();
  std::string f = a.fetch;
  std::string arg;
  if (auto lp = f.find('('); lp != std::string::npos && f.back() == ')') {
    arg = f.substr(lp + 1, f.size() - lp - 2);
    f = f.substr(0, lp);
  }
  c->always = false;
  auto set = [&](Fetch fe, Match m) {
    c->fetch = fe;
    c->match = m;
  };
  static const std::pair<const char*, Match> kSuffix[] = {
      {"_beg", Match::Beg}, {"_end", Match::End}, {"_sub", Match::Sub}, {"_dir", Match::Dir},
      {"_dom", Match::Dom}, {"_reg", Match::Reg}, {"_len", Match::Int}, {"_cnt", Match::Int}};
  std::string base = f;
  Match m = Match::Str;
  for (auto& [suf, mm] : kSuffix) {
    std::string_view sv(f);
    if (sv.size() > std::strlen(suf) && sv.ends_with(suf)) {
      base = f.substr(0, f.size() - std::strlen(suf));
      m = mm;
      break;
    }
  }
  if (m == Match::Int) return fail("fetch '" + a.fetch + "' is not supported by sluice yet");
  if (base == "path") set(Fetch::Path, m);
  else if (base == "url" || base == "uri") set(Fetch::Url, m);
  else if (base == "hdr" || base == "req.hdr" || base == "hdr_val") set(Fetch::Hdr, m);
  else if (base == "method") set(Fetch::Method, m);
  else if (base == "src") set(Fetch::Src, Match::Ip);
  else if (base == "dst_port") set(Fetch::DstPort, Match::Int);
  else if (base == "req.cook" || base == "cook") set(Fetch::Cookie, m);
  else if (base == "req.ver" || base == "req_ver") set(Fetch::Version, m);
  else if (base == "always_true") { c->fetch = Fetch::Always; c->always = true; }
  else if (base == "always_false") { c->fetch = Fetch::Always; c->always = false; }
  else return fail("unknown fetch method '" + a.fetch + "' in ACL");
  c->arg = arg;
  if ((c->fetch == Fetch::Hdr || c->fetch == Fetch::Cookie) && arg.empty())
    return fail("fetch '" + a.fetch + "' needs a name argument");
  if (c->fetch == Fetch::Method) c->icase = false;
  // flags
  for (size_t i = 0; i < a.flags.size(); ++i) {
    const std::string& fl = a.flags[i];
    if (fl == "-i") c->icase = true;
    else if (fl == "-m" && i + 1 < a.flags.size()) {
      const std::string& mm = a.flags[++i];
      if (mm == "str") c->match = Match::Str;
      else if (mm == "beg") c->match = Match::Beg;
      else if (mm == "end") c->match = Match::End;
      else if (mm == "sub") c->match = Match::Sub;
      else if (mm == "dir") c->match = Match::Dir;
      else if (mm == "dom") c->match = Match::Dom;
      else if (mm == "reg") c->match = Match::Reg;
      else if (mm == "found") c->match = Match::Found;
      else if (mm == "ip") c->match = Match::Ip;
      else if (mm == "int") c->match = Match::Int;
      else return fail("unknown match method '-m " + mm + "'");
    } else if (fl == "-n" || fl == "--") {
    } else if (fl == "-f" && i + 1 < a.flags.size()) {
      ++i;   // patterns were loaded by the config loader
    } else {
      return fail("unsupported ACL flag '" + fl + "'");
    }
  }
  if (c->fetch == Fetch::Src) {
    for (auto& p : a.patterns) {
      auto ip = parse_ip(p);
      if (!ip) return fail(ip.error().message);
      c->ips.push_back(*ip);
    }
  } else if (c->fetch == Fetch::DstPort) {
    for (auto& p : a.patterns) c->ints.push_back(std::atoll(p.c_str()));
  } else if (c->match == Match::Reg) {
    for (auto& p : a.patterns) {
      auto re = core::Regex::compile(p, {.icase = c->icase});
      if (!re) return fail(re.error().message);
      c->regs.push_back(std::move(*re));
    }
  } else {
    c->pats = a.patterns;
  }
  if (c->fetch == Fetch::Method) {
    // methods are case-sensitive tokens
    c->icase = false;
  }
  return c;
}

// HAProxy's predefined ACLs.
std::optional<config::Acl> predefined(std::string_view name) {
  config::Acl a;
  a.name = std::string(name);
  if (name == "TRUE") a.fetch = "always_true";
  else if (name == "FALSE") a.fetch = "always_false";
  else if (name == "HTTP") a.fetch = "always_true";
  else if (name == "LOCALHOST") { a.fetch = "src"; a.patterns = {"127.0.0.1/8", "::1"}; }
  else if (name == "HTTP_1.0") { a.fetch = "req.ver"; a.patterns = {"1.0"}; }
  else if (name == "HTTP_1.1") { a.fetch = "req.ver"; a.patterns = {"1.1"}; }
  else if (name.starts_with("METH_")) {
    a.fetch = "method";
    std::string m(name.substr(5));
    a.patterns = {m};
    if (m == "GET") a.patterns.push_back("HEAD");
  } else return std::nullopt;
  return a;
}

}  // namespace

Condition::Condition() = default;
Condition::Condition(Condition&&) noexcept = default;
Condition& Condition::operator=(Condition&&) noexcept = default;
Condition::~Condition() = default;

Result<Condition> Condition::compile(const config::Condition& cond, const std::vector<config::Acl>& acls) {
  Condition out;
  out.unless_ = cond.unless;
  for (auto& group : cond.any_of) {
    std::vector<Term> terms;
    for (auto& t : group) {
      Term term{t.negate, {}};
      if (t.anonymous) {
        auto c = compile_acl(*t.anonymous);
        if (!c) return fail(c.error().message);
        term.acls.push_back(c->get());
        out.owned_.push_back(std::move(*c));
      } else {
        bool found = false;
        for (auto& a : acls) {
          if (a.name != t.acl_name) continue;
          found = true;
          auto c = compile_acl(a);
          if (!c) return fail(c.error().message);
          term.acls.push_back(c->get());
          out.owned_.push_back(std::move(*c));
        }
        if (!found) {
          auto p = predefined(t.acl_name);
          if (!p) return fail("no such ACL : '" + t.acl_name + "'");
          auto c = compile_acl(*p);
          if (!c) return fail(c.error().message);
          term.acls.push_back(c->get());
          out.owned_.push_back(std::move(*c));
        }
      }
      terms.push_back(std::move(term));
    }
    out.any_of_.push_back(std::move(terms));
  }
  for (auto& o : out.owned_)
    if (o->needs_http()) out.needs_http_ = true;
  return out;
}

bool Condition::eval(const AclContext& ctx) const {
  bool result = false;
  for (auto& group : any_of_) {
    bool all = true;
    for (auto& t : group) {
      bool any = false;
      for (auto* a : t.acls)
        if (a->eval(ctx)) { any = true; break; }
      if (any == t.negate) { all = false; break; }
    }
    if (all) { result = true; break; }
  }
  return unless_ ? !result : result;
}

}  // namespace sluice::proxy
