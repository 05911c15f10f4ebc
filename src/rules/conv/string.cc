// String converters (HAProxy 2.6 manual 7.3.1): lower, upper, length, field, word, bytes,
// ltrim, rtrim, concat, add_item, strcmp, secure_memcmp, json, regsub, cut_crlf, iif,
// host_only, port_only.
//
// Arguments are checked and precompiled once at load (delimiter sets, the regex and its
// substitution, the JSON input decoder); the functions only walk the input.
#include <fmt/format.h>
#include <openssl/crypto.h>

#include <optional>
#include <string>
#include <vector>

#include "core/regex.h"
#include "rules/conv/common.h"
#include "rules/domains.h"

namespace sluice::rules {

namespace {

using conv::ByteSet;
using conv::out_bytes;
using conv::var_as;

// ---- case and length ----------------------------------------------------------------

template <char From, char To>
bool map_case(const Args&, Ctx& c, Sample& s) {
  char* p = out_bytes(c, s.str.size());
  for (size_t i = 0; i < s.str.size(); ++i) {
    char ch = s.str[i];
    p[i] = (ch >= From && ch <= From + 25) ? static_cast<char>(ch - From + To) : ch;
  }
  s.str = {p, s.str.size()};
  return true;
}

bool c_length(const Args&, Ctx&, Sample& s) {
  s = Sample::of_int(static_cast<int64_t>(s.str.size()));
  return true;
}

// ---- field and word -------------------------------------------------------------------

// field/word(index, delimiters[, count]): the index is not 0, the delimiters not empty.
Result<void> check_split(Args& a, CompileCtx&) {
  if (a[0].sint == 0) return fail("index 0 is invalid: fields and words count from 1 (or -1 from the end)");
  if (a[0].sint > INT32_MAX || a[0].sint < -INT32_MAX) return fail(fmt::format("index {} is out of range", a[0].sint));
  if (a.has(2) && a[2].sint < 0) return fail(fmt::format("count {} must not be negative (0: all the rest)", a[2].sint));
  a.state = std::make_shared<ByteSet>(a[1].str);
  return {};
}

// Fields are what lies between single delimiters (so "a__b" has an empty second field).
bool c_field(const Args& a, Ctx&, Sample& s) {
  const auto& delim = a.st<ByteSet>();
  std::string_view v = s.str;
  int64_t idx = a[0].sint, count = a.has(2) ? a[2].sint : 1;
  size_t b = 0, e = v.size();
  if (idx > 0) {
    int64_t field = 1;
    size_t i = 0;
    for (; i < v.size() && field < idx; ++i)
      if (delim(v[i])) {
        ++field;
        b = i + 1;
      }
    if (field != idx) return false;
    // The end of field idx + count - 1 (the end of the string when count is 0 or too big).
    for (int64_t left = count; i < v.size(); ++i)
      if (delim(v[i]) && --left == 0) {
        e = i;
        break;
      }
  } else {
    int64_t field = -1;
    size_t i = v.size();
    for (; i > 0 && field > idx; --i)
      if (delim(v[i - 1])) {
        --field;
        e = i - 1;
      }
    if (field != idx) return false;
    b = 0;
    for (int64_t left = count; i > 0; --i)
      if (delim(v[i - 1]) && --left == 0) {
        b = i;
        break;
      }
  }
  s.str = v.substr(b, e - b);
  return true;
}

// Words are runs of non-delimiters: delimiters at either end and repeated ones separate
// nothing. A word that does not exist is an empty string (as HAProxy 2.6 answers).
bool c_word(const Args& a, Ctx&, Sample& s) {
  const auto& delim = a.st<ByteSet>();
  std::string_view v = s.str;
  int64_t idx = a[0].sint, count = a.has(2) ? a[2].sint : 1;
  size_t n = v.size();
  auto empty = [&] {
    s.str = v.substr(0, 0);
    return true;
  };
  if (idx > 0) {
    int64_t word = 0;
    size_t i = 0, b = 0;
    while (i < n) {
      while (i < n && delim(v[i])) ++i;
      if (i == n) break;
      if (++word == idx) {
        b = i;
        break;
      }
      while (i < n && !delim(v[i])) ++i;
    }
    if (word != idx) return empty();
    size_t e = n;
    // Words idx .. idx + count - 1; the rest of the string when count is 0 or too big.
    for (int64_t left = count; left > 0; --left) {
      while (i < n && !delim(v[i])) ++i;
      if (left == 1) e = i;
      while (i < n && delim(v[i])) ++i;
      if (i == n) {
        if (left > 1) e = n;
        break;
      }
    }
    s.str = v.substr(b, e - b);
    return true;
  }
  int64_t word = 0;
  size_t i = n, e = n;
  while (i > 0) {
    while (i > 0 && delim(v[i - 1])) --i;
    if (i == 0) break;
    if (--word == idx) {
      e = i;
      break;
    }
    while (i > 0 && !delim(v[i - 1])) --i;
  }
  if (word != idx) return empty();
  size_t b = 0;
  for (int64_t left = count; left > 0; --left) {
    while (i > 0 && !delim(v[i - 1])) --i;
    if (left == 1) b = i;
    while (i > 0 && delim(v[i - 1])) --i;
    if (i == 0) {
      if (left > 1) b = 0;
      break;
    }
  }
  s.str = v.substr(b, e - b);
  return true;
}

// ---- bytes, trims ---------------------------------------------------------------------

Result<void> check_bytes(Args& a, CompileCtx&) {
  if (a[0].sint < 0) return fail(fmt::format("offset {} must not be negative", a[0].sint));
  if (a.has(1) && a[1].sint < 0) return fail(fmt::format("length {} must not be negative", a[1].sint));
  return {};
}
bool c_bytes(const Args& a, Ctx&, Sample& s) {
  auto off = static_cast<uint64_t>(a[0].sint);
  if (off >= s.str.size()) {
    s.str = s.str.substr(0, 0);
    return true;
  }
  s.str = s.str.substr(off, a.has(1) ? static_cast<uint64_t>(a[1].sint) : std::string_view::npos);
  return true;
}

Result<void> check_chars(Args& a, CompileCtx&) {
  a.state = std::make_shared<ByteSet>(a[0].str);
  return {};
}
bool c_ltrim(const Args& a, Ctx&, Sample& s) {
  const auto& set = a.st<ByteSet>();
  while (!s.str.empty() && set(s.str.front())) s.str.remove_prefix(1);
  return true;
}
bool c_rtrim(const Args& a, Ctx&, Sample& s) {
  const auto& set = a.st<ByteSet>();
  while (!s.str.empty() && set(s.str.back())) s.str.remove_suffix(1);
  return true;
}

// ---- concat, strcmp, secure_memcmp ----------------------------------------------------

bool c_concat(const Args& a, Ctx& c, Sample& s) {
  Sample v;
  std::string_view mid;
  if (a.has(1) && var_as(c, a[1].var, Type::Str, v)) mid = v.str;
  std::string_view pre = a.has(0) ? std::string_view(a[0].str) : "", post = a.has(2) ? std::string_view(a[2].str) : "";
  s.str = conv::join(c, {s.str, pre, mid, post});
  return true;
}

// add_item(delim[,var][,suffix]): the delimiter only between a non-empty input and
// something to add.
Result<void> check_add_item(Args& a, CompileCtx&) {
  if (!a.has(1) && !a.has(2)) return fail("expects a variable or a suffix after the delimiter");
  return {};
}
bool c_add_item(const Args& a, Ctx& c, Sample& s) {
  Sample v;
  std::string_view mid;
  if (a.has(1) && var_as(c, a[1].var, Type::Str, v)) mid = v.str;
  std::string_view post = a.has(2) ? std::string_view(a[2].str) : "";
  std::string_view delim = !s.str.empty() && (!mid.empty() || !post.empty()) ? std::string_view(a[0].str) : "";
  s.str = conv::join(c, {s.str, delim, mid, post});
  return true;
}

bool c_cut_crlf(const Args&, Ctx&, Sample& s) {
  s.str = s.str.substr(0, s.str.find_first_of("\r\n"));
  return true;
}

bool c_iif(const Args& a, Ctx&, Sample& s) {
  s = Sample::of_str(s.sint != 0 ? a[0].str : a[1].str);
  return true;
}

// A Host header value: "name", "name:port", "[v6]" or "[v6]:port".
void split_host(std::string_view v, std::string_view& host, std::string_view& port) {
  size_t colon = std::string_view::npos;
  if (!v.empty() && v.front() == '[') {
    size_t close = v.find(']');
    colon = close == std::string_view::npos ? close : v.find(':', close);
  } else {
    colon = v.find(':');
  }
  host = v.substr(0, colon);
  port = colon == std::string_view::npos ? std::string_view() : v.substr(colon + 1);
}
bool c_host_only(const Args& a, Ctx& c, Sample& s) {
  std::string_view host, port;
  split_host(s.str, host, port);
  s.str = host;
  return map_case<'A', 'a'>(a, c, s);
}
bool c_port_only(const Args&, Ctx&, Sample& s) {
  std::string_view host, port;
  split_host(s.str, host, port);
  int64_t n = 0;
  if (!parse_leading_int(port, n) || n < 0 || n > 65535) n = 0;
  s = Sample::of_int(n);
  return true;
}

// strcmp(3)'s answer: the difference of the first differing bytes; a prefix is smaller.
bool c_strcmp(const Args& a, Ctx& c, Sample& s) {
  Sample v;
  if (!var_as(c, a[0].var, Type::Str, v)) return false;
  std::string_view l = s.str, r = v.str;
  int64_t res = 0;
  size_t n = std::min(l.size(), r.size()), i = 0;
  for (; i < n; ++i) {
    auto x = static_cast<unsigned char>(l[i]), y = static_cast<unsigned char>(r[i]);
    if (x != y) {
      res = int64_t{x} - int64_t{y};
      break;
    }
    if (x == 0) break;   // strcmp stops at a NUL
  }
  if (res == 0 && i == n && l.size() != r.size()) res = l.size() < r.size() ? -1 : 1;
  s = Sample::of_int(res);
  return true;
}

// Constant time when the lengths are equal.
bool c_secure_memcmp(const Args& a, Ctx& c, Sample& s) {
  Sample v;
  if (!var_as(c, a[0].var, Type::Bin, v)) return false;
  bool eq = s.str.size() == v.str.size() && (s.str.empty() || CRYPTO_memcmp(s.str.data(), v.str.data(), s.str.size()) == 0);
  s = Sample::of_bool(eq);
  return true;
}

// ---- json -----------------------------------------------------------------------------

// How json() reads its input: bytes, or UTF-8 where errors fail the conversion (strict),
// are dropped (silent) and overlong forms are accepted (permissive).
struct JsonMode {
  bool utf8 = false, silent = false, permissive = false;
};

Result<void> check_json(Args& a, CompileCtx&) {
  JsonMode m;
  std::string_view t = a.has(0) ? std::string_view(a[0].str) : "ascii";
  if (t == "utf8") m.utf8 = true;
  else if (t == "utf8s") m.utf8 = m.silent = true;
  else if (t == "utf8p") m.utf8 = m.permissive = true;
  else if (t == "utf8ps") m.utf8 = m.silent = m.permissive = true;
  else if (t != "ascii") return fail(fmt::format("input code '{}': expects ascii, utf8, utf8s, utf8p or utf8ps", t));
  a.state = std::make_shared<JsonMode>(m);
  return {};
}

enum class U8 : uint8_t { Ok, BadSeq, BadRange, Overlong };

// Decodes one UTF-8 character at v[i]: its code point and the bytes it takes (on a bad
// sequence, the bytes up to the first one that cannot continue it).
U8 utf8_next(std::string_view v, size_t i, uint32_t& cp, size_t& len) {
  auto b = static_cast<unsigned char>(v[i]);
  size_t need;
  uint32_t min;
  if (b < 0x80) {
    cp = b;
    len = 1;
    return U8::Ok;
  }
  if (b < 0xc0) {
    len = 1;
    return U8::BadSeq;
  }
  if (b < 0xe0) { need = 1; min = 0x80; cp = b & 0x1f; }
  else if (b < 0xf0) { need = 2; min = 0x800; cp = b & 0x0f; }
  else if (b < 0xf8) { need = 3; min = 0x10000; cp = b & 0x07; }
  else {
    len = 1;
    return U8::BadSeq;
  }
  len = 1;
  for (size_t k = 0; k < need; ++k) {
    if (i + len >= v.size() || (static_cast<unsigned char>(v[i + len]) & 0xc0) != 0x80) return U8::BadSeq;
    cp = (cp << 6) | (static_cast<unsigned char>(v[i + len]) & 0x3f);
    ++len;
  }
  if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return U8::BadRange;
  if (cp < min) return U8::Overlong;
  return U8::Ok;
}

bool c_json(const Args& a, Ctx& c, Sample& s) {
  const auto& m = a.st<JsonMode>();
  static thread_local std::string out;
  out.clear();
  std::string_view v = s.str;
  for (size_t i = 0; i < v.size() && v[i] != 0;) {
    uint32_t cp = static_cast<unsigned char>(v[i]);
    size_t len = 1;
    if (m.utf8) {
      U8 r = utf8_next(v, i, cp, len);
      if (r != U8::Ok && !(r == U8::Overlong && m.permissive)) {
        if (!m.silent) return false;
        i += len;
        continue;
      }
    }
    i += len;
    switch (cp) {
      case '"': out += "\\\""; continue;
      case '\\': out += "\\\\"; continue;
      case '/': out += "\\/"; continue;
      case '\b': out += "\\b"; continue;
      case '\f': out += "\\f"; continue;
      case '\n': out += "\\n"; continue;
      case '\r': out += "\\r"; continue;
      case '\t': out += "\\t"; continue;
      default: break;
    }
    if (cp >= 0x20 && cp < 0x7f) {
      out.push_back(static_cast<char>(cp));
    } else if (cp <= 0xffff) {
      out += fmt::format("\\u{:04x}", cp);
    } else {
      // JSON's \u takes 4 hex digits: a character above U+FFFF cannot be written.
      if (!m.silent) return false;
    }
  }
  s.str = c.mem().copy(out);
  return true;
}

// ---- regsub ---------------------------------------------------------------------------

struct RegSub {
  std::optional<core::Regex> re;
  bool global = false;
  // The substitution: literal text, or a capture group (\0 .. \9).
  struct Piece {
    int group = -1;
    std::string text;
  };
  std::vector<Piece> subst;
};

int hexdigit(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

Result<void> check_regsub(Args& a, CompileCtx&) {
  // The substitution may be empty (regsub(x,'') deletes) but must be written.
  if (!a[1].given) return fail("expects a regex and a substitution (regsub(REGEX,SUBST[,FLAGS]))");
  auto st = std::make_shared<RegSub>();
  bool icase = false;
  if (a.has(2)) {
    for (char f : a[2].str) {
      if (f == 'g') st->global = true;
      else if (f == 'i') icase = true;
      else return fail(fmt::format("unknown flag '{}' (only 'g' and 'i' are supported)", f));
    }
  }
  auto re = core::Regex::compile(a[0].str, {.icase = icase});
  if (!re) return fail(re.error().message);
  st->re = std::move(*re);
  // \N is group N, \xHH a byte, \c the character c.
  const std::string& t = a[1].str;
  auto lit = [&](char ch) {
    if (st->subst.empty() || st->subst.back().group >= 0) st->subst.push_back({});
    st->subst.back().text.push_back(ch);
  };
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] != '\\') {
      lit(t[i]);
      continue;
    }
    if (++i == t.size()) return fail(fmt::format("substitution '{}' ends with a lone backslash", t));
    if (t[i] >= '0' && t[i] <= '9') {
      st->subst.push_back({t[i] - '0', {}});
    } else if (t[i] == 'x') {
      int hi = i + 1 < t.size() ? hexdigit(t[i + 1]) : -1, lo = i + 2 < t.size() ? hexdigit(t[i + 2]) : -1;
      if (hi < 0 || lo < 0) return fail(fmt::format("substitution '{}': \\x needs two hexadecimal digits", t));
      lit(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      lit(t[i]);
    }
  }
  a.state = std::move(st);
  return {};
}

bool c_regsub(const Args& a, Ctx& c, Sample& s) {
  const auto& st = a.st<RegSub>();
  static thread_local std::string out;
  out.clear();
  std::string_view v = s.str;
  size_t pos = 0;
  bool first = true;
  core::Regex::Captures caps;
  do {
    std::string_view rest = v.substr(pos);
    if (!st.re->search(rest, caps, !first)) break;
    first = false;
    auto [mb, me] = caps.group[0];
    out.append(rest.substr(0, mb));
    for (const auto& p : st.subst) {
      if (p.group < 0) {
        out += p.text;
      } else if (static_cast<size_t>(p.group) < caps.count && caps.group[p.group].first != std::string_view::npos) {
        auto [gb, ge] = caps.group[p.group];
        out.append(rest.substr(gb, ge - gb));
      }
    }
    if (pos >= v.size()) {
      pos = v.size();
      break;
    }
    // An empty match at the start matches before a character: keep it, go past it.
    if (me == 0) out.push_back(v[pos++]);
    pos += me;
  } while (st.global);
  if (pos < v.size()) out.append(v.substr(pos));
  s.str = c.mem().copy(out);
  return true;
}

constexpr ConvDef kRows[] = {
    {"lower", "", Type::Str, Type::Str, map_case<'A', 'a'>, "the string in lower case (ASCII letters)"},
    {"upper", "", Type::Str, Type::Str, map_case<'a', 'A'>, "the string in upper case (ASCII letters)"},
    {"length", "", Type::Str, Type::Sint, c_length, "the length of the string in bytes"},
    {"field", "ISi", Type::Str, Type::Str, c_field,
     "field INDEX (from 1, or -1 from the end) between single DELIMITERS, COUNT fields (0: all the rest)", check_split},
    {"word", "ISi", Type::Str, Type::Str, c_word,
     "word INDEX (from 1, or -1 from the end) between runs of DELIMITERS, COUNT words (0: all the rest)", check_split},
    {"bytes", "Ii", Type::Bin, Type::Bin, c_bytes, "the bytes from OFFSET, LENGTH of them (default: all)", check_bytes},
    {"ltrim", "S", Type::Str, Type::Str, c_ltrim, "the string without the leading CHARS", check_chars},
    {"rtrim", "S", Type::Str, Type::Str, c_rtrim, "the string without the trailing CHARS", check_chars},
    {"concat", "svs", Type::Str, Type::Str, c_concat,
     "the string followed by START, the variable VAR (nothing when unset) and END"},
    {"add_item", "Svs", Type::Str, Type::Str, c_add_item,
     "appends DELIM (only after a non-empty input, before something), variable VAR and SUFFIX", check_add_item},
    {"cut_crlf", "", Type::Str, Type::Str, c_cut_crlf, "the string up to its first CR or LF"},
    {"iif", "SS", Type::Bool, Type::Str, c_iif, "TRUE when the boolean is true, FALSE otherwise"},
    {"host_only", "", Type::Str, Type::Str, c_host_only, "a Host header value without its port, in lower case"},
    {"port_only", "", Type::Str, Type::Sint, c_port_only, "the port of a Host header value (0: none)"},
    {"strcmp", "V", Type::Str, Type::Sint, c_strcmp,
     "compares with variable VAR as strcmp(3) (0: equal); no value when VAR is unset"},
    {"secure_memcmp", "V", Type::Bin, Type::Bool, c_secure_memcmp,
     "true when the bytes equal variable VAR's (constant time for equal lengths)"},
    {"json", "s", Type::Str, Type::Str, c_json,
     "the string escaped for JSON, read as ascii (default), utf8, utf8s, utf8p or utf8ps", check_json},
    {"regsub", "Sss", Type::Str, Type::Str, c_regsub,
     "replaces the first match of REGEX (every match with flag g; i: ignore case) by SUBST (\\1..\\9: groups)",
     check_regsub},
};

}  // namespace

std::span<const ConvDef> conv_string() { return kRows; }

}  // namespace sluice::rules
