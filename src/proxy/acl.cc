#include "proxy/acl.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "core/regex.h"
#include "net/cidr.h"

namespace sluice::proxy {

namespace {

using Match = config::MatchKind;

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

}  // namespace

class CompiledAcl {
 public:
  config::AclSpec spec;
  Match match = Match::Str;
  bool icase = false;
  std::vector<std::string> pats;
  std::vector<core::Regex> regs;

  bool needs_http() const { return spec.fetch.needs_http(); }

  bool in_ranges(int64_t v) const {
    for (const auto& r : spec.ints)
      if (v >= r.lo && v <= r.hi) return true;
    return false;
  }
  bool in_networks(const sockaddr_storage& a) const {
    for (const auto& n : spec.ips)
      if (n.contains(a)) return true;
    return false;
  }

  // One value against the patterns. config::resolve_acl only lets through the pairs of
  // sample type and match handled here.
  bool test(const Sample& s) const {
    using config::SampleType;
    switch (s.type) {
      case SampleType::Str:
        switch (match) {
          case Match::Len: return in_ranges(static_cast<int64_t>(s.str.size()));
          case Match::Int: return !s.str.empty() && in_ranges(leading_int(s.str));
          case Match::Ip: {
            auto ip = net::parse_ip(s.str);
            return ip && in_networks(*ip);
          }
          default: return match_str(s.str);
        }
      case SampleType::Int:
      case SampleType::Bool:
        if (match == Match::Found) return true;
        if (match == Match::Bool) return s.num != 0;
        return in_ranges(s.num);
      case SampleType::Ip: return match == Match::Found || in_networks(*s.ip);
    }
    return false;
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
    return for_each_sample(spec.fetch, c, true, [&](const Sample& s) { return test(s); });
  }
};

namespace {

Result<std::unique_ptr<CompiledAcl>> compile_acl(const config::Acl& a) {
  auto c = std::make_unique<CompiledAcl>();
  auto spec = config::resolve_acl(a);
  if (!spec) return fail(spec.error().message);
  c->spec = std::move(*spec);
  c->match = c->spec.match;
  c->icase = c->spec.icase;
  if (c->match != Match::Reg && c->match != Match::Int && c->match != Match::Len && c->match != Match::Ip) {
    c->pats = c->spec.strs;
  } else if (c->match == Match::Reg) {
    for (auto& p : a.patterns) {
      auto re = core::Regex::compile(p, {.icase = c->icase});
      if (!re) return fail(re.error().message);
      c->regs.push_back(std::move(*re));
    }
  }
  return c;
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
          auto p = config::predefined_acl(t.acl_name);
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
