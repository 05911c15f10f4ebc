#include "rules/pattern.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <charconv>
#include <cstring>
#include <set>

namespace sluice::rules {

namespace {

constexpr std::array<std::string_view, 13> kNames = {"found", "bool", "int", "ip",  "bin", "len", "str",
                                                     "beg",   "end",  "sub", "dir", "dom", "reg"};

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lowered(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

// The input lowered for a -i lookup, in a per-thread buffer so the hot path does not allocate.
std::string_view lowered_tl(std::string_view s) {
  thread_local std::string buf;
  buf.assign(s);
  for (char& c : buf) c = lower(c);
  return buf;
}

bool is_dir_delim(char c) { return c == '/' || c == '?'; }
bool is_dom_delim(char c) { return c == '/' || c == '?' || c == '.' || c == ':'; }

// Whole-string signed decimal (HAProxy strl2llrc: optional '-', digits, no overflow).
std::optional<int64_t> parse_int64(std::string_view s) {
  if (s.empty()) return std::nullopt;
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

uint32_t v4_mask(unsigned len) { return len == 0 ? 0 : ~uint32_t{0} << (32 - len); }

uint32_t load_be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
uint64_t load_be64(const uint8_t* p) { return (uint64_t{load_be32(p)} << 32) | load_be32(p + 4); }

struct V4Net {
  uint32_t addr, mask;   // host order
};
struct V6Net {
  in6_addr addr;
  unsigned len;
};

// HAProxy's str2net: "A.B.C.D[/LEN|/A.B.C.D]". At startup the address part goes through the
// resolver, which takes inet_aton's short forms; names are refused here.
std::optional<V4Net> parse_v4(std::string_view text, bool startup, bool* looks_like_name) {
  std::string addr(text), mask;
  if (auto slash = addr.rfind('/'); slash != std::string::npos) {
    mask = addr.substr(slash + 1);
    addr.resize(slash);
  }
  V4Net n{0, ~uint32_t{0}};
  if (!mask.empty() || text.find('/') != std::string_view::npos) {
    if (mask.find('.') != std::string::npos) {
      in_addr m{};
      if (inet_pton(AF_INET, mask.c_str(), &m) != 1) return std::nullopt;
      n.mask = ntohl(m.s_addr);
    } else {
      auto len = parse_int64(mask);
      if (!len || *len < 0 || *len > 32) return std::nullopt;
      n.mask = v4_mask(static_cast<unsigned>(*len));
    }
  }
  in_addr a{};
  if (inet_pton(AF_INET, addr.c_str(), &a) != 1) {
    bool numeric = !addr.empty() && addr.find_first_not_of("0123456789.xXabcdefABCDEF") == std::string::npos &&
                   std::isdigit(static_cast<unsigned char>(addr[0]));
    if (!(startup && numeric && inet_aton(addr.c_str(), &a) != 0)) {
      // Something other than an address literal: a host name HAProxy would resolve.
      // (RFC 1123 characters only; anything else is just not an address.)
      bool hostname = !addr.empty() && std::isalnum(static_cast<unsigned char>(addr[0])) &&
                      std::all_of(addr.begin(), addr.end(), [](char c) {
                        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
                      });
      if (looks_like_name && hostname) *looks_like_name = true;
      return std::nullopt;
    }
  }
  n.addr = ntohl(a.s_addr);
  return n;
}

// HAProxy's str62net: "ADDR6[/LEN]".
std::optional<V6Net> parse_v6(std::string_view text) {
  std::string addr(text);
  unsigned len = 128;
  if (auto slash = addr.rfind('/'); slash != std::string::npos) {
    auto l = parse_int64(std::string_view(addr).substr(slash + 1));
    if (!l || *l < 0 || *l > 128) return std::nullopt;
    len = static_cast<unsigned>(*l);
    addr.resize(slash);
  }
  V6Net n{};
  if (inet_pton(AF_INET6, addr.c_str(), &n.addr) != 1) return std::nullopt;
  n.len = len;
  return n;
}

// HAProxy's ranges: "N", "N:M", ":M", "N:" (and '-' for ':'; so "-5" is ":5").
Result<std::pair<int64_t, int64_t>> parse_range(std::string_view t) {
  if (t.empty()) return fail(fmt::format("'{}' is not a valid number range.", t));
  size_t sep = t.find_first_of(":-");
  if (sep == std::string_view::npos) {
    auto v = parse_int64(t);
    if (!v) return fail(fmt::format("'{}' is not a number.", t));
    return std::pair{*v, *v};
  }
  auto bad = fail(fmt::format("'{}' is not a valid number range.", t));
  std::string_view a = t.substr(0, sep), b = t.substr(sep + 1);
  if (a.empty() && b.empty()) return bad;
  int64_t lo = INT64_MIN, hi = INT64_MAX;
  if (!a.empty()) {
    auto v = parse_int64(a);
    if (!v) return bad;
    lo = *v;
  }
  if (!b.empty()) {
    auto v = parse_int64(b);
    if (!v) return bad;
    hi = *v;
  }
  if (lo > hi) return bad;
  return std::pair{lo, hi};
}

Result<void> parse_value(ValueKind k, const std::optional<std::string>& value, Entry* e) {
  if (k == ValueKind::None || k == ValueKind::Str) return {};
  std::string v = value.value_or("");
  if (k == ValueKind::Int) {
    auto i = parse_int64(v);
    if (!i) return fail(fmt::format("unable to parse value '{}' as an integer", v));
    if (e) e->int_value = *i;
    return {};
  }
  in_addr a{};
  in6_addr a6{};
  if (inet_pton(AF_INET, v.c_str(), &a) == 1) {
    if (e) e->value_v4 = a;
    return {};
  }
  if (inet_pton(AF_INET6, v.c_str(), &a6) == 1) {
    if (e) {
      e->value_is_v6 = true;
      e->value_v6 = a6;
    }
    return {};
  }
  return fail(fmt::format("unable to parse value '{}' as an IPv4 or IPv6 address", v));
}

std::string_view strip_delims(std::string_view p, bool (*delim)(char)) {
  while (!p.empty() && delim(p.front())) p.remove_prefix(1);
  while (!p.empty() && delim(p.back())) p.remove_suffix(1);
  return p;
}

}  // namespace

std::optional<MatchKind> match_from_name(std::string_view name) {
  for (size_t i = 0; i < kNames.size(); ++i)
    if (kNames[i] == name) return static_cast<MatchKind>(i);
  return std::nullopt;
}

std::string_view to_string(MatchKind k) { return kNames[static_cast<size_t>(k)]; }

Result<std::string> parse_hex(std::string_view text) {
  std::string out;
  if (text.size() % 2) return fail("an even number of hex digit is expected.");
  auto nib = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    c = lower(c);
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (size_t i = 0; i < text.size(); i += 2) {
    int h = nib(text[i]), l = nib(text[i + 1]);
    if (h < 0 || l < 0)
      return fail(fmt::format("an hex digit is expected (found '{}').", h < 0 ? text[i] : text[i + 1]));
    out.push_back(static_cast<char>(h * 16 + l));
  }
  return out;
}

// ---- the trie --------------------------------------------------------------------------------

uint32_t PatternSet::Trie::child(uint32_t node, uint8_t c) const {
  const auto& k = nodes[node].kids;
  auto it = std::lower_bound(k.begin(), k.end(), c, [](const auto& p, uint8_t v) { return p.first < v; });
  return it != k.end() && it->first == c ? it->second : kNone;
}

void PatternSet::Trie::insert(std::string_view key, uint32_t entry, bool reversed) {
  uint32_t n = 0;
  for (size_t i = 0; i < key.size(); ++i) {
    auto c = static_cast<uint8_t>(reversed ? key[key.size() - 1 - i] : key[i]);
    uint32_t next = child(n, c);
    if (next == kNone) {
      next = static_cast<uint32_t>(nodes.size());
      nodes.emplace_back();
      auto& k = nodes[n].kids;
      auto it = std::lower_bound(k.begin(), k.end(), c, [](const auto& p, uint8_t v) { return p.first < v; });
      k.insert(it, {c, next});
    }
    n = next;
  }
  if (nodes[n].entry == kNone) nodes[n].entry = entry;   // duplicates: the first one stays
}

// ---- build -------------------------------------------------------------------------------------

Result<void> PatternSet::check(const PatternOptions& opts, std::string_view pattern,
                               const std::optional<std::string>& value) {
  PatternSet tmp;
  tmp.opts_ = opts;
  PatternText t{std::string(pattern), value, 0, 0};
  return tmp.add(t, 0);
}

Result<void> PatternSet::add(const PatternText& t, uint32_t order) {
  Entry e;
  e.pattern = t.pattern;
  e.value = t.value;
  e.line = t.line;
  e.id = t.id;
  e.order = order;
  if (auto r = parse_value(opts_.values, t.value, &e); !r) return r;
  std::string_view p = t.pattern;
  switch (opts_.kind) {
    case MatchKind::Found:
    case MatchKind::Bool:
      // HAProxy accepts and ignores patterns here; sluice refuses to ignore them silently.
      return fail(fmt::format("'-m {}' takes no pattern ('{}' would be ignored): not supported by sluice",
                              to_string(opts_.kind), p));
    case MatchKind::Int:
    case MatchKind::Len: {
      auto r = parse_range(p);
      if (!r) return fail(r.error().message);
      ranges_.push_back({r->first, r->second, order});
      break;
    }
    case MatchKind::Ip: {
      bool name = false;
      if (auto n4 = parse_v4(p, opts_.startup, &name)) {
        uint32_t m = n4->mask;
        if (m + (m & (~m + 1)) == 0) {   // contiguous: a prefix
          unsigned len = static_cast<unsigned>(std::popcount(m));
          v4_[len].try_emplace(n4->addr & m, order);
        } else {
          v4_list_.push_back({n4->addr & m, m, order});
        }
      } else if (auto n6 = parse_v6(p)) {
        V6Key k{load_be64(n6->addr.s6_addr), load_be64(n6->addr.s6_addr + 8)};
        unsigned len = n6->len;
        if (len < 64) {
          k.hi &= len == 0 ? 0 : ~uint64_t{0} << (64 - len);
          k.lo = 0;
        } else if (len < 128) {
          k.lo &= len == 64 ? 0 : ~uint64_t{0} << (128 - len);
        }
        v6_[len].try_emplace(k, order);
      } else if (name && opts_.startup) {
        return fail(fmt::format("'{}': host names in IP patterns are not supported by sluice (HAProxy "
                                "resolves them once at startup); write the address", p));
      } else {
        return fail(fmt::format("'{}' is not a valid IPv4 or IPv6 address.", p));
      }
      break;
    }
    case MatchKind::Bin: {
      auto b = parse_hex(p);
      if (!b) return fail(b.error().message);
      exact_.try_emplace(std::move(*b), order);
      break;
    }
    case MatchKind::Str:
      exact_.try_emplace(opts_.icase ? lowered(p) : std::string(p), order);
      break;
    case MatchKind::Beg:
      trie_.insert(opts_.icase ? lowered(p) : std::string(p), order, false);
      break;
    case MatchKind::End:
      trie_.insert(opts_.icase ? lowered(p) : std::string(p), order, true);
      break;
    case MatchKind::Dir:
    case MatchKind::Dom: {
      std::string_view w = strip_delims(p, opts_.kind == MatchKind::Dir ? is_dir_delim : is_dom_delim);
      if (w.empty()) {
        if (empty_word_ == Trie::kNone) empty_word_ = order;
      } else {
        trie_.insert(opts_.icase ? lowered(w) : std::string(w), order, false);
      }
      break;
    }
    case MatchKind::Sub:
      subs_.emplace_back(opts_.icase ? lowered(p) : std::string(p), order);
      break;
    case MatchKind::Reg: {
      auto re = core::Regex::compile(p, {.icase = opts_.icase});
      if (!re) return fail(re.error().message);
      regs_.emplace_back(std::move(*re), order);
      break;
    }
  }
  entries_.push_back(std::move(e));
  return {};
}

// Int ranges -> disjoint segments: a sweep over the sorted bounds keeps the set of ranges
// open at each point; each segment takes the smallest (first in file order) of them.
void PatternSet::finish() {
  if (!ranges_.empty()) {
    struct Ev {
      int64_t at;
      bool open;
      uint32_t entry;
    };
    std::vector<Ev> ev;
    for (auto& r : ranges_) {
      ev.push_back({r.lo, true, r.entry});
      if (r.hi != INT64_MAX) ev.push_back({r.hi + 1, false, r.entry});
    }
    std::sort(ev.begin(), ev.end(), [](const Ev& a, const Ev& b) { return a.at < b.at; });
    std::multiset<uint32_t> open;
    for (size_t i = 0; i < ev.size();) {
      int64_t at = ev[i].at;
      for (; i < ev.size() && ev[i].at == at; ++i) {
        if (ev[i].open) open.insert(ev[i].entry);
        else open.erase(open.find(ev[i].entry));
      }
      uint32_t first = open.empty() ? Trie::kNone : *open.begin();
      if (!seg_entry_.empty() && seg_entry_.back() == first) continue;   // same owner: merge
      seg_lo_.push_back(at);
      seg_entry_.push_back(first);
    }
    ranges_.clear();
    ranges_.shrink_to_fit();
  }
  for (unsigned l = 33; l-- > 0;)
    if (!v4_[l].empty()) v4_lens_.push_back(static_cast<uint8_t>(l));
  for (unsigned l = 129; l-- > 0;)
    if (!v6_[l].empty()) v6_lens_.push_back(static_cast<uint8_t>(l));
}

Result<std::shared_ptr<const PatternSet>> PatternSet::build(const PatternOptions& opts,
                                                            std::span<const PatternText> entries,
                                                            int* error_line) {
  std::shared_ptr<PatternSet> s(new PatternSet());
  s->opts_ = opts;
  s->entries_.reserve(entries.size());
  if (opts.kind == MatchKind::Str || opts.kind == MatchKind::Bin) s->exact_.reserve(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    if (auto r = s->add(entries[i], static_cast<uint32_t>(i)); !r) {
      if (error_line) *error_line = entries[i].line;
      return fail(r.error().message);
    }
  }
  s->finish();
  return std::shared_ptr<const PatternSet>(std::move(s));
}

bool PatternSet::indexed(const Entry& e) const {
  switch (opts_.kind) {
    case MatchKind::Str:
    case MatchKind::Beg: return !opts_.icase;   // as HAProxy: -i puts them in a list
    case MatchKind::Ip:
      return std::none_of(v4_list_.begin(), v4_list_.end(), [&](const NetList& n) { return n.entry == e.order; });
    default: return false;
  }
}

// ---- lookups -----------------------------------------------------------------------------------

uint32_t PatternSet::match_words(std::string_view s) const {
  bool (*delim)(char) = opts_.kind == MatchKind::Dir ? is_dir_delim : is_dom_delim;
  if (s.empty()) return empty_word_;
  uint32_t best = Trie::kNone;
  // From each part start (a non-delimiter at the start or after a delimiter) walk the trie;
  // a pattern ending where the input ends or a delimiter follows is a match.
  for (size_t start = 0; start < s.size(); ++start) {
    if (delim(s[start]) || (start > 0 && !delim(s[start - 1]))) continue;
    uint32_t n = 0;
    for (size_t i = start; i < s.size(); ++i) {
      n = trie_.child(n, static_cast<uint8_t>(s[i]));
      if (n == Trie::kNone) break;
      uint32_t e = trie_.nodes[n].entry;
      if (e != Trie::kNone && e < best && (i + 1 == s.size() || delim(s[i + 1]))) best = e;
    }
  }
  return best;
}

const Entry* PatternSet::match_str(std::string_view s) const {
  auto at = [this](uint32_t i) -> const Entry* { return i == Trie::kNone ? nullptr : &entries_[i]; };
  switch (opts_.kind) {
    case MatchKind::Len: return match_int(static_cast<int64_t>(s.size()));
    case MatchKind::Str:
    case MatchKind::Bin: {
      if (exact_.empty()) return nullptr;
      auto it = exact_.find(opts_.icase && opts_.kind == MatchKind::Str ? lowered_tl(s) : s);
      return it == exact_.end() ? nullptr : &entries_[it->second];
    }
    case MatchKind::Beg:
    case MatchKind::End: {
      if (opts_.icase) s = lowered_tl(s);
      bool end = opts_.kind == MatchKind::End;
      // Case-sensitive beg: the longest prefix; otherwise the first in file order.
      bool longest = !end && !opts_.icase;
      uint32_t n = 0, best = trie_.nodes[0].entry;
      for (size_t i = 0; i < s.size(); ++i) {
        n = trie_.child(n, static_cast<uint8_t>(end ? s[s.size() - 1 - i] : s[i]));
        if (n == Trie::kNone) break;
        uint32_t e = trie_.nodes[n].entry;
        if (e != Trie::kNone && (longest || e < best)) best = e;
      }
      return at(best);
    }
    case MatchKind::Dir:
    case MatchKind::Dom: return at(match_words(opts_.icase ? lowered_tl(s) : s));
    case MatchKind::Sub: {
      if (opts_.icase) s = lowered_tl(s);
      for (auto& [p, i] : subs_)
        if (s.find(p) != std::string_view::npos) return &entries_[i];
      return nullptr;
    }
    case MatchKind::Reg:
      for (auto& [re, i] : regs_)
        if (re.search(s)) return &entries_[i];
      return nullptr;
    default: return nullptr;
  }
}

const Entry* PatternSet::match_reg(std::string_view s, Captures& caps) const {
  if (opts_.kind != MatchKind::Reg) return nullptr;
  for (auto& [re, i] : regs_)
    if (re.search(s, caps)) return &entries_[i];
  return nullptr;
}

const Entry* PatternSet::match_int(int64_t v) const {
  if (seg_lo_.empty()) return nullptr;
  auto it = std::upper_bound(seg_lo_.begin(), seg_lo_.end(), v);
  if (it == seg_lo_.begin()) return nullptr;
  uint32_t e = seg_entry_[static_cast<size_t>(it - seg_lo_.begin()) - 1];
  return e == Trie::kNone ? nullptr : &entries_[e];
}

namespace {
// The IPv4 address a v6 input carries for HAProxy: ::ffff:a.b.c.d, ::a.b.c.d, 2002:AABB:CCDD::.
std::optional<uint32_t> embedded_v4(const in6_addr& a) {
  const uint8_t* b = a.s6_addr;
  uint32_t w0 = load_be32(b), w1 = load_be32(b + 4), w2 = load_be32(b + 8);
  if (w0 == 0 && w1 == 0 && (w2 == 0 || w2 == 0xffff)) return load_be32(b + 12);
  if (b[0] == 0x20 && b[1] == 0x02) return load_be32(b + 2);
  return std::nullopt;
}
}  // namespace

const Entry* PatternSet::match_ipv4(const in_addr& a) const {
  uint32_t v = ntohl(a.s_addr);
  for (uint8_t len : v4_lens_) {
    auto it = v4_[len].find(v & v4_mask(len));
    if (it != v4_[len].end()) return &entries_[it->second];
  }
  if (!v6_lens_.empty()) {
    in6_addr m{};
    m.s6_addr[10] = m.s6_addr[11] = 0xff;
    std::memcpy(m.s6_addr + 12, &a.s_addr, 4);
    V6Key full{load_be64(m.s6_addr), load_be64(m.s6_addr + 8)};
    for (uint8_t len : v6_lens_) {
      V6Key k = full;
      if (len < 64) {
        k.hi &= len == 0 ? 0 : ~uint64_t{0} << (64 - len);
        k.lo = 0;
      } else if (len < 128) {
        k.lo &= len == 64 ? 0 : ~uint64_t{0} << (128 - len);
      }
      auto it = v6_[len].find(k);
      if (it != v6_[len].end()) return &entries_[it->second];
    }
  }
  for (auto& n : v4_list_)
    if ((v & n.mask) == n.addr) return &entries_[n.entry];
  return nullptr;
}

const Entry* PatternSet::match_ipv6(const in6_addr& a) const {
  V6Key full{load_be64(a.s6_addr), load_be64(a.s6_addr + 8)};
  for (uint8_t len : v6_lens_) {
    V6Key k = full;
    if (len < 64) {
      k.hi &= len == 0 ? 0 : ~uint64_t{0} << (64 - len);
      k.lo = 0;
    } else if (len < 128) {
      k.lo &= len == 64 ? 0 : ~uint64_t{0} << (128 - len);
    }
    auto it = v6_[len].find(k);
    if (it != v6_[len].end()) return &entries_[it->second];
  }
  auto v4 = embedded_v4(a);
  if (!v4) return nullptr;
  for (uint8_t len : v4_lens_) {
    auto it = v4_[len].find(*v4 & v4_mask(len));
    if (it != v4_[len].end()) return &entries_[it->second];
  }
  for (auto& n : v4_list_)
    if ((*v4 & n.mask) == n.addr) return &entries_[n.entry];
  return nullptr;
}

// ---- ACL operators ---------------------------------------------------------------------------

Result<std::vector<std::string>> expand_int_operators(std::span<const std::string> words) {
  enum Op { Eq, Ge, Gt, Le, Lt } op = Eq;
  std::vector<std::string> out;
  for (const auto& w : words) {
    if (w == "eq") { op = Eq; continue; }
    if (w == "ge") { op = Ge; continue; }
    if (w == "gt") { op = Gt; continue; }
    if (w == "le") { op = Le; continue; }
    if (w == "lt") { op = Lt; continue; }
    // As HAProxy: a word with ':' or '-' is a range already, and `eq` leaves words as they are.
    if (op == Eq || w.find_first_of(":-") != std::string::npos) {
      out.push_back(w);
      continue;
    }
    auto v = parse_int64(w);
    if (!v) return fail(fmt::format("'{}' is not a number.", w));
    switch (op) {
      case Ge: out.push_back(fmt::format("{}:", *v)); break;
      case Gt:
        if (*v == INT64_MAX) return fail(fmt::format("'{}' is not a valid number range.", w));
        out.push_back(fmt::format("{}:", *v + 1));
        break;
      case Le: out.push_back(fmt::format(":{}", *v)); break;
      case Lt:
        if (*v == INT64_MIN) return fail(fmt::format("'{}' is not a valid number range.", w));
        out.push_back(fmt::format(":{}", *v - 1));
        break;
      case Eq: break;
    }
  }
  return out;
}

}  // namespace sluice::rules
