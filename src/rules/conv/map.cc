// Map converters: map, map_<match>, map_<match>_<output> (HAProxy 2.6, configuration manual
// 7.3.1). The input is looked up in a map file with one match method; the value of the entry
// found (or the default, when given) is the output, as a string, an integer or an address.
//
// A map file is a pattern reference (rules/pattern_ref.h) loaded once at startup and shared
// by every converter and ACL naming it: the runtime API's `set map`, `add map`, `del map`...
// rebuild its compiled sets, and the next lookup sees them. A lookup is one atomic load and
// the index's own cost (hash, tree, or list for sub/reg/end/dir/dom).
#include <arpa/inet.h>
#include <fmt/format.h>

#include "rules/domains.h"
#include "rules/pattern.h"
#include "rules/pattern_ref.h"

namespace sluice::rules {

namespace {

struct MapState {
  const PatternHandle* handle = nullptr;
  bool has_default = false;
  Sample def;                         // the default, in the output type
  std::string def_text;               // its bytes (str output)
  std::unique_ptr<PatternRefs> own;   // references when compiled without a runtime (tests)
};

// The sample an entry's value gives, in the output type.
void entry_value(const Entry& e, ValueKind out, Ctx& c, Sample& s) {
  switch (out) {
    case ValueKind::Int: s = Sample::of_int(e.int_value); return;
    case ValueKind::Ip: s = e.value_is_v6 ? Sample::of_v6(e.value_v6) : Sample::of_v4(e.value_v4); return;
    default: s = Sample::of_str(c.mem().copy(e.value ? std::string_view(*e.value) : std::string_view())); return;
  }
}

// map_regm: the value with \0..\9 replaced by the groups the regex captured, \xHH by the
// byte HH and \c by c. A value ending in a lone backslash gives no output (as HAProxy).
bool expand_backrefs(std::string_view value, std::string_view input, const Captures& caps, std::string& out) {
  auto hex = [](char ch) -> int {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < value.size(); ++i) {
    char ch = value[i];
    if (ch != '\\') {
      out.push_back(ch);
      continue;
    }
    if (++i >= value.size()) return false;
    ch = value[i];
    if (ch >= '0' && ch <= '9') {
      size_t g = static_cast<size_t>(ch - '0');
      if (g < caps.count && caps.group[g].first != std::string_view::npos)
        out.append(input.substr(caps.group[g].first, caps.group[g].second - caps.group[g].first));
    } else if (ch == 'x') {
      if (i + 2 >= value.size()) return false;
      int h = hex(value[i + 1]), l = hex(value[i + 2]);
      if (h < 0 || l < 0) return false;
      out.push_back(static_cast<char>(h * 16 + l));
      i += 2;
    } else {
      out.push_back(ch);
    }
  }
  return true;
}

template <MatchKind K, ValueKind V, bool Regm = false>
bool conv_map(const Args& a, Ctx& c, Sample& s) {
  const auto& st = a.st<MapState>();
  const PatternSet& set = *st.handle->get();
  const Entry* e = nullptr;
  if constexpr (Regm) {
    Captures caps;
    e = set.match_reg(s.str, caps);
    if (e != nullptr) {
      std::string out;
      if (!expand_backrefs(e->value.value_or(""), s.str, caps, out)) return false;
      s = Sample::of_str(c.mem().copy(out));
      return true;
    }
  } else if constexpr (K == MatchKind::Int) {
    e = set.match_int(s.sint);
  } else if constexpr (K == MatchKind::Ip) {
    e = s.type == Type::Ipv4 ? set.match_ipv4(s.v4) : set.match_ipv6(s.v6);
  } else {
    e = set.match_str(s.str);
  }
  if (e != nullptr) {
    entry_value(*e, V, c, s);
    return true;
  }
  if (!st.has_default) return false;
  s = st.def;
  return true;
}

Result<void> parse_default(ValueKind out, const Arg& arg, MapState& st) {
  if (!arg.present) return {};
  st.has_default = true;
  switch (out) {
    case ValueKind::Int: st.def = Sample::of_int(arg.sint); return {};
    case ValueKind::Ip: {
      in_addr a{};
      in6_addr a6{};
      if (inet_pton(AF_INET, arg.str.c_str(), &a) == 1) st.def = Sample::of_v4(a);
      else if (inet_pton(AF_INET6, arg.str.c_str(), &a6) == 1) st.def = Sample::of_v6(a6);
      else return fail(fmt::format("default value '{}' is not an IPv4 or IPv6 address", arg.str));
      return {};
    }
    default:
      st.def_text = arg.str;
      return {};
  }
}

template <MatchKind K, ValueKind V>
Result<void> check_map(Args& a, CompileCtx& cc) {
  auto st = std::make_shared<MapState>();
  if (auto r = parse_default(V, a.v[1], *st); !r) return r;
  if (V == ValueKind::None || V == ValueKind::Str) st->def = Sample::of_str(st->def_text);
  PatternRefs* refs = cc.resolver != nullptr ? cc.resolver->patterns() : nullptr;
  if (refs == nullptr) {
    st->own = std::make_unique<PatternRefs>();
    refs = st->own.get();
  }
  const std::string& file = a.v[0].str;
  auto ref = refs->load_file(file, true);
  if (!ref) return fail(ref.error().message);
  (*ref)->add_user(PatternRef::Use::Map, fmt::format("map at file '{}' line {}", cc.loc.file, cc.loc.line));
  PatternOptions opts;
  opts.kind = K;
  opts.values = V == ValueKind::None ? ValueKind::Str : V;
  auto h = (*ref)->attach(opts);
  if (!h) return fail(fmt::format("map file '{}' {}", file, h.error().message));
  st->handle = *h;
  a.state = std::move(st);
  return {};
}

// One row: name, input and output types, match method and value type.
template <MatchKind K, ValueKind V, bool Regm = false>
ConvDef row(std::string_view name, Type in, Type out, std::string_view doc) {
  return {name, V == ValueKind::Int ? "Mi" : "Ms", in, out, conv_map<K, V, Regm>, doc, check_map<K, V>};
}

constexpr ValueKind kS = ValueKind::Str, kI = ValueKind::Int, kA = ValueKind::Ip;
using M = MatchKind;
constexpr Type tS = Type::Str, tI = Type::Sint, tA = Type::Addr;

const ConvDef kConvs[] = {
    row<M::Str, kS>("map", tS, tS, "look the string up in map FILE (exact match): its value, else DEFAULT"),
    row<M::Str, kS>("map_str", tS, tS, "map FILE, exact string match: the value as a string"),
    row<M::Beg, kS>("map_beg", tS, tS, "map FILE, keys are prefixes (longest first): string value"),
    row<M::Sub, kS>("map_sub", tS, tS, "map FILE, keys are substrings (first in file): string value"),
    row<M::Dir, kS>("map_dir", tS, tS, "map FILE, keys are '/'-delimited parts: string value"),
    row<M::Dom, kS>("map_dom", tS, tS, "map FILE, keys are '.'-delimited parts: string value"),
    row<M::End, kS>("map_end", tS, tS, "map FILE, keys are suffixes: string value"),
    row<M::Reg, kS>("map_reg", tS, tS, "map FILE, keys are regexes (first in file): string value"),
    row<M::Reg, kS, true>("map_regm", tS, tS, "map_reg whose value may name the groups of the match (\\1 ... \\9)"),
    row<M::Int, kS>("map_int", tI, tS, "map FILE, integer keys or ranges: string value"),
    row<M::Ip, kS>("map_ip", tA, tS, "map FILE, keys are addresses or networks (longest prefix): string value"),
    row<M::Str, kI>("map_str_int", tS, tI, "map_str with an integer value"),
    row<M::Beg, kI>("map_beg_int", tS, tI, "map_beg with an integer value"),
    row<M::Sub, kI>("map_sub_int", tS, tI, "map_sub with an integer value"),
    row<M::Dir, kI>("map_dir_int", tS, tI, "map_dir with an integer value"),
    row<M::Dom, kI>("map_dom_int", tS, tI, "map_dom with an integer value"),
    row<M::End, kI>("map_end_int", tS, tI, "map_end with an integer value"),
    row<M::Reg, kI>("map_reg_int", tS, tI, "map_reg with an integer value"),
    row<M::Int, kI>("map_int_int", tI, tI, "map_int with an integer value"),
    row<M::Ip, kI>("map_ip_int", tA, tI, "map_ip with an integer value"),
    row<M::Str, kA>("map_str_ip", tS, tA, "map_str with an address value"),
    row<M::Beg, kA>("map_beg_ip", tS, tA, "map_beg with an address value"),
    row<M::Sub, kA>("map_sub_ip", tS, tA, "map_sub with an address value"),
    row<M::Dir, kA>("map_dir_ip", tS, tA, "map_dir with an address value"),
    row<M::Dom, kA>("map_dom_ip", tS, tA, "map_dom with an address value"),
    row<M::End, kA>("map_end_ip", tS, tA, "map_end with an address value"),
    row<M::Reg, kA>("map_reg_ip", tS, tA, "map_reg with an address value"),
    row<M::Int, kA>("map_int_ip", tI, tA, "map_int with an address value"),
    row<M::Ip, kA>("map_ip_ip", tA, tA, "map_ip with an address value"),
};

}  // namespace

std::span<const ConvDef> conv_map() { return kConvs; }

}  // namespace sluice::rules
