#include "rules/acl.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "net/cidr.h"
#include "rules/pattern.h"
#include "rules/pattern_ref.h"

namespace sluice::rules {

namespace {

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

// Whether a sample matches one compiled set (found and bool take no set).
bool match_set(const PatternSet& set, MatchKind kind, const Sample& s) {
  switch (kind) {
    case MatchKind::Int: return set.match_int(s.sint) != nullptr;
    case MatchKind::Ip: return (s.type == Type::Ipv4 ? set.match_ipv4(s.v4) : set.match_ipv6(s.v6)) != nullptr;
    default: return set.match_str(s.str) != nullptr;
  }
}

// The type a sample is cast to before it meets the patterns of `kind`.
Type match_input(MatchKind kind) {
  switch (kind) {
    case MatchKind::Bool: return Type::Bool;
    case MatchKind::Int: return Type::Sint;
    case MatchKind::Ip: return Type::Addr;
    case MatchKind::Bin: return Type::Bin;
    case MatchKind::Found: return Type::Any;
    default: return Type::Str;
  }
}

}  // namespace

// An expression and the pattern sets it is matched against: one per `-f` file (shared with
// every other user of that file and changed by the runtime API's `add acl` & co.), then the
// ACL's own inline patterns (a reference of their own, `show acl` lists it).
class CompiledAcl {
 public:
  Expr expr;
  MatchKind match = MatchKind::Str;
  std::vector<const PatternHandle*> sets;
  // References for an ACL compiled without a runtime (unit tests, predefined ACLs).
  std::unique_ptr<PatternRefs> own_refs;

  bool test(Sample& s, Arena& a) const {
    if (match == MatchKind::Found) return true;
    if (!cast(s, match_input(match), a)) return false;
    if (match == MatchKind::Bool) return s.sint != 0;
    for (const PatternHandle* h : sets)
      if (match_set(*h->get(), match, s)) return true;
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

Result<int> parse_uid(std::string_view s) {
  int v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size() || s.empty())
    return fail(fmt::format("'-u' expects an integer id, not '{}'", s));
  return v;
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
  PatternOptions opts;
  std::vector<std::string> files;
  bool as_map = false;
  std::optional<int> uid;
  for (size_t i = 0; i < a.flags.size(); ++i) {
    const std::string& fl = a.flags[i];
    if (fl == "-i") {
      opts.icase = true;
    } else if (fl == "-n") {
      // no DNS resolution of patterns: sluice never resolves them anyway
    } else if (fl == "-M") {
      as_map = true;   // -f files are maps: their keys are the patterns
    } else if (fl == "-f" && i + 1 < a.flags.size()) {
      files.push_back(a.flags[++i]);
    } else if (fl == "-u" && i + 1 < a.flags.size()) {
      auto id = parse_uid(a.flags[++i]);
      if (!id) return unexpected(id.error());
      uid = *id;
    } else if (fl == "-m" && i + 1 < a.flags.size()) {
      auto m = match_from_name(a.flags[++i]);
      if (!m) return fail(fmt::format("unknown match method '-m {}'", a.flags[i]));
      out->match = *m;
    } else {
      return fail(fmt::format("ACL flag '{}' is not supported by sluice yet", fl));
    }
  }
  opts.kind = out->match;
  if (!can_cast(out->expr.type(), match_input(out->match)))
    return fail(fmt::format("ACL '{}': match method '-m {}' cannot be applied to a {} sample", a.fetch,
                            to_string(out->match), to_string(out->expr.type())));
  // Int and len take `eq|ge|gt|le|lt N` among the ACL's own words (not in files).
  std::vector<std::string> words = a.patterns;
  if (out->match == MatchKind::Int || out->match == MatchKind::Len) {
    auto w = expand_int_operators(a.patterns);
    if (!w) return fail(fmt::format("ACL '{}': {}", a.fetch, w.error().message));
    words = std::move(*w);
  }
  // Inline addresses keep the configuration's message (net::parse_cidr says what is wrong
  // with a network); runtime additions answer with HAProxy's (rules/pattern.cc).
  if (opts.kind == MatchKind::Ip)
    for (const auto& w : words)
      if (!PatternSet::check(opts, w, std::nullopt))
        if (auto c = net::parse_cidr(w); !c) return fail(fmt::format("ACL '{}': {}", a.fetch, c.error().message));
  // References: the runtime's (shared with the runtime API), or the ACL's own.
  PatternRefs* refs = cc.resolver != nullptr ? cc.resolver->patterns() : nullptr;
  bool predefined = a.loc.line == 0;
  if (refs == nullptr || predefined) {
    out->own_refs = std::make_unique<PatternRefs>();
    refs = out->own_refs.get();
  }
  std::string where = fmt::format("file '{}' line {}", a.loc.file, a.loc.line);
  auto attach = [&](PatternRef* ref, std::string_view file) -> Result<void> {
    auto h = ref->attach(opts);
    if (!h) {
      if (file.empty()) return fail(fmt::format("ACL '{}': {}", a.fetch, h.error().message));
      return fail(fmt::format("ACL '{}': file '{}' {}", a.fetch, file, h.error().message));
    }
    out->sets.push_back(*h);
    return {};
  };
  for (const auto& f : files) {
    auto ref = refs->load_file(f, as_map);
    if (!ref) return fail(fmt::format("ACL '{}': {}", a.fetch, ref.error().message));
    (*ref)->add_user(PatternRef::Use::Acl, "acl at " + where);
    if (auto r = attach(*ref, f); !r) return unexpected(r.error());
  }
  std::string kw = call->name.empty() ? a.fetch : std::string(call->name);
  // The declaration as text: a named ACL compiled for each condition using it stays one
  // reference (a `-u ID` once).
  std::string key = predefined ? std::string()
                               : fmt::format("{}\n{}\n{}\n{}\n{}", where, a.name, a.fetch, fmt::join(a.flags, " "),
                                             fmt::join(a.patterns, "\n"));
  auto inl = refs->add_inline(fmt::format("acl '{}' {}", kw, where), std::move(words), uid, std::move(key));
  if (!inl) return fail(fmt::format("ACL '{}': {}", a.fetch, inl.error().message));
  if (auto r = attach(*inl, {}); !r) return unexpected(r.error());
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
