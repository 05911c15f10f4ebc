#include "rules/acl.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "net/cidr.h"

namespace sluice::rules {

// Until rules/pattern.h lands this file carries its own matcher.
enum class MatchKind : uint8_t { Found, Bool, Int, Ip, Bin, Len, Str, Beg, End, Sub, Dir, Dom, Reg };

namespace {

std::optional<MatchKind> match_from_name(std::string_view n) {
  static constexpr std::pair<std::string_view, MatchKind> k[] = {
      {"found", MatchKind::Found}, {"bool", MatchKind::Bool}, {"int", MatchKind::Int}, {"ip", MatchKind::Ip},
      {"bin", MatchKind::Bin},     {"len", MatchKind::Len},   {"str", MatchKind::Str}, {"beg", MatchKind::Beg},
      {"end", MatchKind::End},     {"sub", MatchKind::Sub},   {"dir", MatchKind::Dir}, {"dom", MatchKind::Dom},
      {"reg", MatchKind::Reg}};
  for (auto [name, m] : k)
    if (name == n) return m;
  return std::nullopt;
}

MatchKind default_match(Type t) {
  switch (t) {
    case Type::Bool: return MatchKind::Bool;
    case Type::Sint: return MatchKind::Int;
    case Type::Ipv4:
    case Type::Ipv6:
    case Type::Addr: return MatchKind::Ip;
    case Type::Bin: return MatchKind::Bin;
    default: return MatchKind::Str;
  }
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }
bool eq(std::string_view a, std::string_view b, bool icase) {
  if (a.size() != b.size()) return false;
  if (!icase) return a == b;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

struct Range {
  int64_t lo = INT64_MIN, hi = INT64_MAX;
};

Result<int64_t> to_int(std::string_view s) {
  int64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return fail(fmt::format("'{}' is not a valid number", s));
  return v;
}

Result<std::vector<Range>> parse_ranges(const std::vector<std::string>& pats) {
  std::vector<Range> out;
  for (size_t i = 0; i < pats.size(); ++i) {
    std::string_view p = pats[i];
    if (p == "eq" || p == "ge" || p == "gt" || p == "le" || p == "lt") {
      if (i + 1 >= pats.size()) return fail(fmt::format("operator '{}' expects a number after it", p));
      auto n = to_int(pats[++i]);
      if (!n) return unexpected(n.error());
      Range r;
      if (p == "eq") r.lo = r.hi = *n;
      else if (p == "ge") r.lo = *n;
      else if (p == "gt") r.lo = *n + 1;
      else if (p == "le") r.hi = *n;
      else r.hi = *n - 1;
      out.push_back(r);
      continue;
    }
    Range r;
    auto colon = p.find(':');
    if (colon == std::string_view::npos) {
      auto n = to_int(p);
      if (!n) return unexpected(n.error());
      r.lo = r.hi = *n;
    } else {
      if (colon > 0) {
        auto n = to_int(p.substr(0, colon));
        if (!n) return fail(fmt::format("'{}' is not a valid number range", p));
        r.lo = *n;
      }
      if (colon + 1 < p.size()) {
        auto n = to_int(p.substr(colon + 1));
        if (!n) return fail(fmt::format("'{}' is not a valid number range", p));
        r.hi = *n;
      }
      if (r.lo > r.hi) return fail(fmt::format("'{}' is not a valid number range", p));
    }
    out.push_back(r);
  }
  return out;
}

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = lower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

bool delimited(std::string_view s, std::string_view p, bool icase, char delim) {
  // -m dir / dom: the pattern matches whole delimited parts of the sample.
  if (p.empty()) return false;
  for (size_t i = 0; i + p.size() <= s.size(); ++i) {
    if (i > 0 && s[i - 1] != delim && !(delim == '.' && s[i - 1] == '/')) continue;
    if (!eq(s.substr(i, p.size()), p, icase)) continue;
    size_t end = i + p.size();
    if (end == s.size() || s[end] == delim || (delim == '.' && s[end] == '/') ||
        (delim == '.' && s[end] == ':'))
      return true;
  }
  return false;
}

}  // namespace

class CompiledAcl {
 public:
  Expr expr;
  MatchKind match = MatchKind::Str;
  bool icase = false;
  std::vector<std::string> strs;
  std::vector<Range> ranges;
  std::vector<net::Cidr> nets;
  std::vector<core::Regex> regs;

  bool in_ranges(int64_t v) const {
    for (const auto& r : ranges)
      if (v >= r.lo && v <= r.hi) return true;
    return false;
  }

  bool test(Sample& s, Arena& a) const {
    switch (match) {
      case MatchKind::Found: return true;
      case MatchKind::Bool: return cast(s, Type::Bool, a) && s.sint != 0;
      case MatchKind::Int: return cast(s, Type::Sint, a) && in_ranges(s.sint);
      case MatchKind::Len: return cast(s, Type::Str, a) && in_ranges(static_cast<int64_t>(s.str.size()));
      case MatchKind::Ip: {
        if (!cast(s, Type::Addr, a)) return false;
        sockaddr_storage ss{};
        if (s.type == Type::Ipv4) {
          auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
          sin->sin_family = AF_INET;
          sin->sin_addr = s.v4;
        } else {
          auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
          sin6->sin6_family = AF_INET6;
          sin6->sin6_addr = s.v6;
        }
        for (const auto& n : nets)
          if (n.contains(ss)) return true;
        return false;
      }
      case MatchKind::Bin:
        if (!cast(s, Type::Bin, a)) return false;
        for (const auto& p : strs)
          if (s.str == p) return true;
        return false;
      case MatchKind::Reg:
        if (!cast(s, Type::Str, a)) return false;
        for (const auto& r : regs)
          if (r.search(s.str)) return true;
        return false;
      default: break;
    }
    if (!cast(s, Type::Str, a)) return false;
    std::string_view v = s.str;
    for (const auto& p : strs) {
      switch (match) {
        case MatchKind::Str: if (eq(v, p, icase)) return true; break;
        case MatchKind::Beg: if (v.size() >= p.size() && eq(v.substr(0, p.size()), p, icase)) return true; break;
        case MatchKind::End:
          if (v.size() >= p.size() && eq(v.substr(v.size() - p.size()), p, icase)) return true;
          break;
        case MatchKind::Sub:
          for (size_t i = 0; i + p.size() <= v.size(); ++i)
            if (eq(v.substr(i, p.size()), p, icase)) return true;
          break;
        case MatchKind::Dir: if (delimited(v, p, icase, '/')) return true; break;
        case MatchKind::Dom: if (delimited(v, p, icase, '.')) return true; break;
        default: break;
      }
    }
    return false;
  }

  bool eval(Ctx& c) const {
    return expr.each(c, [&](Sample& s) { return test(s, c.mem()); });
  }
};

namespace {

// "path_beg" -> ("path", beg) when `path` lists `beg` among its ACL suffixes.
std::optional<std::pair<std::string, MatchKind>> derived_keyword(std::string_view name) {
  auto us = name.rfind('_');
  if (us == std::string_view::npos) return std::nullopt;
  std::string base(name.substr(0, us));
  std::string_view suffix = name.substr(us + 1);
  const FetchDef* f = find_fetch(base);
  if (f == nullptr) return std::nullopt;
  std::string_view list = f->acl_suffixes;
  while (!list.empty()) {
    auto sp = list.find(' ');
    std::string_view w = list.substr(0, sp);
    if (w == suffix) {
      auto m = match_from_name(suffix);
      if (!m) return std::nullopt;
      return std::pair{base, *m};
    }
    if (sp == std::string_view::npos) break;
    list.remove_prefix(sp + 1);
  }
  return std::nullopt;
}

}  // namespace

Result<std::unique_ptr<CompiledAcl>> compile_acl(const config::Acl& a, CompileCtx& cc) {
  auto out = std::make_unique<CompiledAcl>();
  // The fetch part: "hdr_beg(host),lower" -> expression "hdr(host),lower" with match beg.
  auto call = split_call(a.fetch);
  if (!call) return fail(call.error().message);
  std::string text = a.fetch;
  std::optional<MatchKind> kw_match;
  if (find_fetch(call->name) == nullptr) {
    if (auto d = derived_keyword(call->name)) {
      text = d->first + std::string(a.fetch.substr(call->name.size()));
      kw_match = d->second;
    }
  }
  auto e = Expr::compile(text, cc);
  if (!e) return fail(fmt::format("ACL keyword '{}': {}", a.fetch, e.error().message));
  out->expr = std::move(*e);
  out->match = kw_match.value_or(default_match(out->expr.type()));
  for (size_t i = 0; i < a.flags.size(); ++i) {
    const std::string& fl = a.flags[i];
    if (fl == "-i") {
      out->icase = true;
    } else if (fl == "-n") {
      // no DNS resolution of patterns: sluice never resolves them anyway
    } else if ((fl == "-f" || fl == "-u") && i + 1 < a.flags.size()) {
      ++i;   // -f: patterns already loaded by the parser; -u: an id for the runtime API
    } else if (fl == "-m" && i + 1 < a.flags.size()) {
      auto m = match_from_name(a.flags[++i]);
      if (!m) return fail(fmt::format("unknown match method '-m {}'", a.flags[i]));
      out->match = *m;
    } else {
      return fail(fmt::format("ACL flag '{}' is not supported by sluice yet", fl));
    }
  }
  switch (out->match) {
    case MatchKind::Found:
    case MatchKind::Bool: break;
    case MatchKind::Int:
    case MatchKind::Len: {
      auto r = parse_ranges(a.patterns);
      if (!r) return fail(fmt::format("ACL '{}': {}", a.fetch, r.error().message));
      out->ranges = std::move(*r);
      break;
    }
    case MatchKind::Ip:
      for (const auto& p : a.patterns) {
        auto c = net::parse_cidr(p);
        if (!c) return fail(fmt::format("ACL '{}': {}", a.fetch, c.error().message));
        out->nets.push_back(*c);
      }
      break;
    case MatchKind::Bin:
      for (const auto& p : a.patterns) {
        if (p.size() % 2 != 0) return fail(fmt::format("ACL '{}': '{}' is not a hex string", a.fetch, p));
        std::string b;
        for (size_t i = 0; i < p.size(); i += 2) {
          int hi = hexval(p[i]), lo = hexval(p[i + 1]);
          if (hi < 0 || lo < 0) return fail(fmt::format("ACL '{}': '{}' is not a hex string", a.fetch, p));
          b.push_back(static_cast<char>(hi * 16 + lo));
        }
        out->strs.push_back(std::move(b));
      }
      break;
    case MatchKind::Reg:
      for (const auto& p : a.patterns) {
        auto re = core::Regex::compile(p, {.icase = out->icase});
        if (!re) return fail(re.error().message);
        out->regs.push_back(std::move(*re));
      }
      break;
    default: out->strs = a.patterns; break;
  }
  return out;
}

bool eval_acl(const CompiledAcl& a, Ctx& c) { return a.eval(c); }

Condition::Condition() = default;
Condition::Condition(Condition&&) noexcept = default;
Condition& Condition::operator=(Condition&&) noexcept = default;
Condition::~Condition() = default;

Result<Condition> Condition::compile(const config::Condition& cond, const std::vector<config::Acl>& acls,
                                     CompileCtx& cc) {
  Condition out;
  out.unless_ = cond.unless;
  auto add = [&](const config::Acl& a, Term& term) -> Result<void> {
    auto c = compile_acl(a, cc);
    if (!c) {
      if (a.name.empty() || a.loc.line == 0) return fail(c.error().message);
      return fail(fmt::format("ACL '{}' (declared at {}:{}): {}", a.name, a.loc.file, a.loc.line, c.error().message));
    }
    out.phases_ &= (*c)->expr.phases();
    term.acls.push_back(c->get());
    out.owned_.push_back(std::move(*c));
    return {};
  };
  for (const auto& group : cond.any_of) {
    std::vector<Term> terms;
    for (const auto& t : group) {
      Term term{t.negate, {}};
      if (t.anonymous) {
        if (auto r = add(*t.anonymous, term); !r) return unexpected(r.error());
      } else {
        bool found = false;
        for (const auto& a : acls) {
          if (a.name != t.acl_name) continue;
          found = true;
          if (auto r = add(a, term); !r) return unexpected(r.error());
        }
        if (!found) {
          auto p = predefined_acl(t.acl_name);
          if (!p) return fail("no such ACL : '" + t.acl_name + "'");
          if (auto r = add(*p, term); !r) return unexpected(r.error());
        }
      }
      terms.push_back(std::move(term));
    }
    out.any_of_.push_back(std::move(terms));
  }
  return out;
}

bool Condition::eval(Ctx& c) const {
  if (any_of_.empty()) return true;   // no condition (`use_backend X` alone): always
  bool result = false;
  for (const auto& group : any_of_) {
    bool all = true;
    for (const auto& t : group) {
      bool any = false;
      for (const auto* a : t.acls)
        if (a->eval(c)) {
          any = true;
          break;
        }
      if (any == t.negate) {
        all = false;
        break;
      }
    }
    if (all) {
      result = true;
      break;
    }
  }
  return unless_ ? !result : result;
}

std::optional<config::Acl> predefined_acl(std::string_view name) {
  struct Def {
    std::string_view name, fetch;
    std::vector<std::string> flags, patterns;
  };
  static const std::vector<Def> k = {
      {"TRUE", "always_true", {}, {}},
      {"FALSE", "always_false", {}, {}},
      {"HTTP", "req.ver", {"-m", "found"}, {}},
      {"HTTP_1.0", "req.ver", {}, {"1.0"}},
      {"HTTP_1.1", "req.ver", {}, {"1.1"}},
      {"HTTP_2.0", "req.ver", {}, {"2.0"}},
      {"HTTP_3.0", "req.ver", {}, {"3.0"}},
      {"HTTP_CONTENT", "req.hdr_val(content-length)", {}, {"gt", "0"}},
      {"HTTP_URL_ABS", "url", {"-m", "reg"}, {"^[^/:]*://"}},
      {"HTTP_URL_SLASH", "url", {"-m", "beg"}, {"/"}},
      {"HTTP_URL_STAR", "url", {}, {"*"}},
      {"LOCALHOST", "src", {}, {"127.0.0.1/8", "::1"}},
      {"METH_CONNECT", "method", {}, {"CONNECT"}},
      {"METH_DELETE", "method", {}, {"DELETE"}},
      {"METH_GET", "method", {}, {"GET", "HEAD"}},
      {"METH_HEAD", "method", {}, {"HEAD"}},
      {"METH_OPTIONS", "method", {}, {"OPTIONS"}},
      {"METH_POST", "method", {}, {"POST"}},
      {"METH_PUT", "method", {}, {"PUT"}},
      {"METH_TRACE", "method", {}, {"TRACE"}},
      {"RDP_COOKIE", "req.rdp_cookie_cnt", {}, {"gt", "0"}},
      {"REQ_CONTENT", "req.len", {}, {"gt", "0"}},
      {"WAIT_END", "wait_end", {}, {}},
  };
  for (const auto& d : k) {
    if (d.name != name) continue;
    config::Acl a;
    a.name = std::string(d.name);
    a.fetch = std::string(d.fetch);
    a.flags = d.flags;
    a.patterns = d.patterns;
    return a;
  }
  return std::nullopt;
}

}  // namespace sluice::rules
