#include "config/acl_spec.h"

#include <algorithm>
#include <charconv>

#include "config/parse_internal.h"

namespace sluice::config {
namespace {

using F = FetchKind;
using M = MatchKind;
using T = SampleType;

enum class Arg : uint8_t { None, Name, NameOcc };

struct FetchDef {
  std::string_view name;
  FetchKind kind;
  Arg arg;
  MatchKind match;   // the ACL keyword's own match (path_beg: Beg); -m overrides it
  bool sample;       // also a %[...] fetch (derived ACL keywords such as path_beg are not)
  SampleType cast = T::Str;
};

// The one list (see the header). Names and meanings follow HAProxy 2.6's manual, 7.3.
constexpr FetchDef kFetches[] = {
    {"path", F::Path, Arg::None, M::Str, true},       {"path_beg", F::Path, Arg::None, M::Beg, false},
    {"path_dir", F::Path, Arg::None, M::Dir, false},  {"path_dom", F::Path, Arg::None, M::Dom, false},
    {"path_end", F::Path, Arg::None, M::End, false},  {"path_len", F::Path, Arg::None, M::Len, false},
    {"path_reg", F::Path, Arg::None, M::Reg, false},  {"path_sub", F::Path, Arg::None, M::Sub, false},
    {"url", F::Url, Arg::None, M::Str, true},         {"url_beg", F::Url, Arg::None, M::Beg, false},
    {"url_dir", F::Url, Arg::None, M::Dir, false},    {"url_dom", F::Url, Arg::None, M::Dom, false},
    {"url_end", F::Url, Arg::None, M::End, false},    {"url_len", F::Url, Arg::None, M::Len, false},
    {"url_reg", F::Url, Arg::None, M::Reg, false},    {"url_sub", F::Url, Arg::None, M::Sub, false},
    {"query", F::Query, Arg::None, M::Str, true},     {"method", F::Method, Arg::None, M::Str, true},
    {"req.ver", F::Version, Arg::None, M::Str, true}, {"req_ver", F::Version, Arg::None, M::Str, false},
    {"hdr", F::Hdr, Arg::NameOcc, M::Str, true},      {"req.hdr", F::Hdr, Arg::NameOcc, M::Str, true},
    {"hdr_beg", F::Hdr, Arg::NameOcc, M::Beg, false}, {"hdr_dir", F::Hdr, Arg::NameOcc, M::Dir, false},
    {"hdr_dom", F::Hdr, Arg::NameOcc, M::Dom, false}, {"hdr_end", F::Hdr, Arg::NameOcc, M::End, false},
    {"hdr_len", F::Hdr, Arg::NameOcc, M::Len, false}, {"hdr_reg", F::Hdr, Arg::NameOcc, M::Reg, false},
    {"hdr_sub", F::Hdr, Arg::NameOcc, M::Sub, false},
    {"hdr_ip", F::Hdr, Arg::NameOcc, M::Ip, true, T::Ip},
    {"req.hdr_ip", F::Hdr, Arg::NameOcc, M::Ip, true, T::Ip},
    {"hdr_val", F::Hdr, Arg::NameOcc, M::Int, true, T::Int},
    {"req.hdr_val", F::Hdr, Arg::NameOcc, M::Int, true, T::Int},
    {"hdr_cnt", F::HdrCnt, Arg::Name, M::Int, true},  {"req.hdr_cnt", F::HdrCnt, Arg::Name, M::Int, true},
    {"req.fhdr", F::FHdr, Arg::NameOcc, M::Str, true}, {"req.fhdr_cnt", F::FHdrCnt, Arg::Name, M::Int, true},
    {"cook", F::Cookie, Arg::Name, M::Str, true},     {"req.cook", F::Cookie, Arg::Name, M::Str, true},
    {"cook_beg", F::Cookie, Arg::Name, M::Beg, false}, {"cook_dir", F::Cookie, Arg::Name, M::Dir, false},
    {"cook_dom", F::Cookie, Arg::Name, M::Dom, false}, {"cook_end", F::Cookie, Arg::Name, M::End, false},
    {"cook_len", F::Cookie, Arg::Name, M::Len, false}, {"cook_reg", F::Cookie, Arg::Name, M::Reg, false},
    {"cook_sub", F::Cookie, Arg::Name, M::Sub, false},
    {"src", F::Src, Arg::None, M::Ip, true},          {"src_port", F::SrcPort, Arg::None, M::Int, true},
    {"dst", F::Dst, Arg::None, M::Ip, true},          {"dst_port", F::DstPort, Arg::None, M::Int, true},
    {"always_true", F::True, Arg::None, M::Bool, true}, {"always_false", F::False, Arg::None, M::Bool, true},
};

struct ConverterDef {
  std::string_view name;
  Converter conv;
};
constexpr ConverterDef kConverters[] = {{"lower", Converter::Lower}, {"upper", Converter::Upper}};

struct MatchDef {
  std::string_view name;
  MatchKind match;
};
constexpr MatchDef kMatches[] = {{"found", M::Found}, {"bool", M::Bool}, {"int", M::Int}, {"ip", M::Ip},
                                 {"len", M::Len},     {"str", M::Str},   {"beg", M::Beg}, {"end", M::End},
                                 {"sub", M::Sub},     {"dir", M::Dir},   {"dom", M::Dom}, {"reg", M::Reg}};

struct Predefined {
  std::string_view name, fetch;
  std::vector<std::string> patterns;
};
const std::vector<Predefined>& predefined_table() {
  static const std::vector<Predefined> k = {
      {"TRUE", "always_true", {}},           {"FALSE", "always_false", {}},
      {"HTTP", "req.ver", {"-m", "found"}},  {"HTTP_1.0", "req.ver", {"1.0"}},
      {"HTTP_1.1", "req.ver", {"1.1"}},      {"HTTP_2.0", "req.ver", {"2.0"}},
      {"HTTP_URL_ABS", "url_reg", {"^[^/:]*://"}}, {"HTTP_URL_SLASH", "url_beg", {"/"}},
      {"HTTP_URL_STAR", "url", {"*"}},       {"LOCALHOST", "src", {"127.0.0.1/8", "::1"}},
      {"METH_CONNECT", "method", {"CONNECT"}}, {"METH_DELETE", "method", {"DELETE"}},
      {"METH_GET", "method", {"GET", "HEAD"}}, {"METH_HEAD", "method", {"HEAD"}},
      {"METH_OPTIONS", "method", {"OPTIONS"}}, {"METH_POST", "method", {"POST"}},
      {"METH_PUT", "method", {"PUT"}},       {"METH_TRACE", "method", {"TRACE"}},
  };
  return k;
}

template <class Row>
std::vector<std::string_view> names_of(std::span<const Row> rows) {
  std::vector<std::string_view> out;
  for (const auto& r : rows) out.push_back(r.name);
  return out;
}

std::string unsupported_fetch(std::string_view name) {
  auto names = names_of<FetchDef>(kFetches);
  return fmt::format("fetch method '{}' is unknown or not supported by sluice yet{}", name,
                     detail::suggest(name, names));
}

Result<int64_t> parse_int(std::string_view s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return fail(fmt::format("'{}' is not a number", s));
  return v;
}

// One "name(args)" element of an expression; `rest` is what follows (",conv..." or empty).
struct Element {
  std::string_view name, args, rest;
  bool has_args = false;
};
Result<Element> split_element(std::string_view text) {
  Element e;
  size_t stop = text.find_first_of("(,");
  e.name = text.substr(0, stop);
  if (e.name.empty()) return fail(fmt::format("missing fetch or converter name in '{}'", text));
  if (stop == std::string_view::npos) return e;
  if (text[stop] == '(') {
    size_t close = text.find(')', stop);
    if (close == std::string_view::npos) return fail(fmt::format("missing closing ')' in '{}'", text));
    e.has_args = true;
    e.args = text.substr(stop + 1, close - stop - 1);
    stop = close + 1;
    if (stop < text.size() && text[stop] != ',')
      return fail(fmt::format("unexpected '{}' after ')' in '{}'", text.substr(stop), text));
  }
  if (stop < text.size()) {
    e.rest = text.substr(stop + 1);
    if (e.rest.empty()) return fail(fmt::format("missing converter after ',' in '{}'", text));
  }
  return e;
}

Result<void> parse_args(const FetchDef& d, const Element& e, FetchSpec& f) {
  if (d.arg == Arg::None) {
    if (e.has_args) return fail(fmt::format("fetch '{}' takes no argument", d.name));
    return {};
  }
  std::string_view a = e.args;
  size_t comma = a.find(',');
  f.name = std::string(a.substr(0, comma));
  if (f.name.empty())
    return fail(fmt::format("fetch '{}' without a name argument is not supported by sluice yet", d.name));
  if (comma == std::string_view::npos) return {};
  if (d.arg != Arg::NameOcc) return fail(fmt::format("fetch '{}' takes one argument, got '{}'", d.name, a));
  auto occ = parse_int(a.substr(comma + 1));
  if (!occ || *occ < -1000 || *occ > 1000)
    return fail(fmt::format("fetch '{}': occurrence '{}' is not a number", d.name, a.substr(comma + 1)));
  f.occ = static_cast<int>(*occ);
  return {};
}

Result<std::pair<FetchSpec, const FetchDef*>> parse_expr(std::string_view text) {
  auto e = split_element(text);
  if (!e) return unexpected(e.error());
  auto it = std::find_if(std::begin(kFetches), std::end(kFetches), [&](const FetchDef& d) { return d.name == e->name; });
  if (it == std::end(kFetches)) return fail(unsupported_fetch(e->name));
  FetchSpec f;
  f.kind = it->kind;
  f.cast = it->cast;
  if (auto r = parse_args(*it, *e, f); !r) return unexpected(r.error());
  for (std::string_view rest = e->rest; !rest.empty();) {
    auto c = split_element(rest);
    if (!c) return unexpected(c.error());
    auto conv = std::find_if(std::begin(kConverters), std::end(kConverters),
                             [&](const ConverterDef& d) { return d.name == c->name; });
    if (conv == std::end(kConverters) || c->has_args)
      return fail(fmt::format("converter '{}' in '{}' is not supported by sluice yet", c->name, text));
    if (f.type() != T::Str)
      return fail(fmt::format("converter '{}' on fetch '{}' is not supported by sluice yet", c->name, it->name));
    f.converters.push_back(conv->conv);
    rest = c->rest;
  }
  return std::pair{std::move(f), &*it};
}

bool match_allowed(SampleType t, MatchKind m) {
  switch (t) {
    case T::Str: return m != M::Bool;
    case T::Int: return m == M::Found || m == M::Bool || m == M::Int;
    case T::Ip: return m == M::Found || m == M::Ip;
    case T::Bool: return m == M::Found || m == M::Bool;
  }
  return false;
}

// Integer patterns as HAProxy reads them: "N", "N:M", "N:", ":M", or an operator
// (eq ge gt le lt) that applies to the number after it.
Result<std::vector<IntRange>> parse_int_patterns(const std::vector<std::string>& pats) {
  std::vector<IntRange> out;
  for (size_t i = 0; i < pats.size(); ++i) {
    std::string_view p = pats[i];
    static constexpr std::string_view kOps[] = {"eq", "ge", "gt", "le", "lt"};
    if (std::find(std::begin(kOps), std::end(kOps), p) != std::end(kOps)) {
      if (i + 1 >= pats.size()) return fail(fmt::format("operator '{}' expects a number after it", p));
      auto n = parse_int(pats[++i]);
      if (!n) return unexpected(n.error());
      IntRange r;
      if (p == "eq") r = {*n, *n};
      else if (p == "ge") r.lo = *n;
      else if (p == "gt") r.lo = *n == INT64_MAX ? *n : *n + 1;
      else if (p == "le") r.hi = *n;
      else r.hi = *n == INT64_MIN ? *n : *n - 1;
      out.push_back(r);
      continue;
    }
    IntRange r;
    size_t colon = p.find(':');
    if (colon == std::string_view::npos) {
      auto n = parse_int(p);
      if (!n) return fail(fmt::format("'{}' is neither a number nor a supported operator", p));
      r = {*n, *n};
    } else {
      std::string_view lo = p.substr(0, colon), hi = p.substr(colon + 1);
      if (lo.empty() && hi.empty()) return fail(fmt::format("'{}' is not a valid number range", p));
      if (!lo.empty()) {
        auto n = parse_int(lo);
        if (!n) return fail(fmt::format("'{}' is not a valid number range", p));
        r.lo = *n;
      }
      if (!hi.empty()) {
        auto n = parse_int(hi);
        if (!n) return fail(fmt::format("'{}' is not a valid number range", p));
        r.hi = *n;
      }
      if (r.lo > r.hi) return fail(fmt::format("'{}' is not a valid number range", p));
    }
    out.push_back(r);
  }
  return out;
}

// -i -n -u -m METHOD -f FILE (patterns already loaded by the parser); flags are as written.
Result<void> apply_flags(const Acl& a, AclSpec& s) {
  for (size_t i = 0; i < a.flags.size(); ++i) {
    const std::string& fl = a.flags[i];
    if (fl == "-i") {
      s.icase = true;
    } else if (fl == "-n") {
      // no DNS for patterns: sluice never resolves them
    } else if ((fl == "-f" || fl == "-u") && i + 1 < a.flags.size()) {
      // -f: the parser loaded the patterns; -u ID: an id for HAProxy's runtime API, not used
      ++i;
    } else if (fl == "-m" && i + 1 < a.flags.size()) {
      const std::string& mm = a.flags[++i];
      auto m = std::find_if(std::begin(kMatches), std::end(kMatches), [&](const MatchDef& d) { return d.name == mm; });
      if (m == std::end(kMatches))
        return fail(fmt::format("match method '-m {}' is unknown or not supported by sluice yet{}", mm,
                                detail::suggest(mm, names_of<MatchDef>(kMatches))));
      s.match = m->match;
    } else {
      return fail(fmt::format("ACL flag '{}' is not supported by sluice yet", fl));
    }
  }
  return {};
}

std::string_view match_name(MatchKind m) {
  for (const auto& d : kMatches)
    if (d.match == m) return d.name;
  return "?";
}

}  // namespace

SampleType FetchSpec::type() const {
  switch (kind) {
    case F::Path: case F::Url: case F::Query: case F::Method: case F::Version: case F::FHdr: case F::Cookie:
      return T::Str;
    case F::Hdr: return cast;
    case F::HdrCnt: case F::FHdrCnt: case F::SrcPort: case F::DstPort: return T::Int;
    case F::Src: case F::Dst: return T::Ip;
    case F::True: case F::False: return T::Bool;
  }
  return T::Str;
}

bool FetchSpec::needs_http() const {
  switch (kind) {
    case F::Path: case F::Url: case F::Query: case F::Method: case F::Version: case F::Hdr: case F::FHdr:
    case F::HdrCnt: case F::FHdrCnt: case F::Cookie:
      return true;
    case F::Src: case F::SrcPort: case F::Dst: case F::DstPort: case F::True: case F::False:
      return false;
  }
  return true;
}

Result<FetchSpec> parse_sample_expr(std::string_view text) {
  auto r = parse_expr(text);
  if (!r) return unexpected(r.error());
  if (!r->second->sample) return fail(unsupported_fetch(r->second->name) + " in a sample expression");
  return std::move(r->first);
}

Result<AclSpec> resolve_acl(const Acl& a) {
  auto r = parse_expr(a.fetch);
  if (!r) return unexpected(r.error());
  AclSpec s;
  s.fetch = std::move(r->first);
  s.match = r->second->match;
  if (auto f = apply_flags(a, s); !f) return unexpected(f.error());
  // Methods are case-sensitive tokens; HAProxy's -i does not fold the known ones either.
  if (s.fetch.kind == F::Method) s.icase = false;
  if (!match_allowed(s.fetch.type(), s.match))
    return fail(fmt::format("match method '-m {}' on fetch '{}' is not supported by sluice yet",
                            match_name(s.match), a.fetch));
  switch (s.match) {
    case M::Found: case M::Bool: break;   // patterns are ignored, as HAProxy does
    case M::Int: case M::Len: {
      auto ints = parse_int_patterns(a.patterns);
      if (!ints) return unexpected(ints.error());
      s.ints = std::move(*ints);
      break;
    }
    case M::Ip:
      for (const auto& p : a.patterns) {
        auto c = net::parse_cidr(p);
        if (!c) return unexpected(c.error());
        s.ips.push_back(*c);
      }
      break;
    case M::Str: case M::Beg: case M::End: case M::Sub: case M::Dir: case M::Dom: case M::Reg:
      s.strs = a.patterns;
      break;
  }
  return s;
}

Result<std::vector<FormatPart>> parse_sample_format(std::string_view text) {
  std::vector<FormatPart> out;
  std::string lit;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      lit += text[i];
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '%') {
      lit += '%';
      ++i;
      continue;
    }
    if (i + 1 >= text.size() || text[i + 1] != '[') {
      // HAProxy reads any other '%' as a log-format variable (%ci, %{+Q}...): not expanded here.
      return fail(fmt::format("'{}' in a header value is not supported by sluice yet: only %[fetch] expressions are "
                              "(write %% for a literal '%')", text.substr(i, 4)));
    }
    size_t close = text.find(']', i);
    if (close == std::string_view::npos) return fail(fmt::format("missing ']' in '{}'", text));
    std::string_view expr = text.substr(i + 2, close - i - 2);
    auto f = parse_sample_expr(expr);
    if (!f) return fail(fmt::format("'%[{}]': {}", expr, f.error().message));
    if (!lit.empty()) out.push_back({std::move(lit), std::nullopt});
    lit.clear();
    out.push_back({{}, std::move(*f)});
    i = close;
  }
  if (!lit.empty()) out.push_back({std::move(lit), std::nullopt});
  return out;
}

std::optional<Acl> predefined_acl(std::string_view name) {
  for (const auto& p : predefined_table()) {
    if (p.name != name) continue;
    Acl a;
    a.name = std::string(name);
    a.fetch = std::string(p.fetch);
    if (!p.patterns.empty() && p.patterns[0] == "-m") a.flags = p.patterns;
    else a.patterns = p.patterns;
    return a;
  }
  return std::nullopt;
}

std::span<const std::string_view> predefined_acl_names() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> v;
    for (const auto& p : predefined_table()) v.push_back(p.name);
    return v;
  }();
  return names;
}

}  // namespace sluice::config
