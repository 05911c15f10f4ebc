// Compiled pattern sets: the "-m METHOD" side of an ACL and the key side of a map, built once
// from text and matched against primitive inputs (a string or bytes, an integer, an address).
// This layer knows nothing of samples: the engine decides which match_* to call.
//
// Indexes, and the entry a lookup returns (HAProxy 2.6, measured with /usr/sbin/haproxy):
//   str  hash table (icase: lowered keys); duplicates: the first in file order.
//   bin  hash table on the decoded bytes; the first in file order.
//   beg  prefix tree. Case-sensitive: the LONGEST matching prefix (HAProxy indexes it in a
//        prefix tree); -i: the first in file order (HAProxy falls back to its list there).
//   end  reversed prefix tree, the first matching entry in file order (HAProxy: a list).
//   dir, dom  a prefix tree walked from every part start of the input, first in file order
//        (HAProxy: a list). dir parts are delimited by '/' and '?'; dom parts by '/', '?',
//        '.' and ':'. A pattern's own leading and trailing delimiters are ignored.
//   sub  a list (as HAProxy), first in file order.
//   reg  a list of PCRE2 regexes (core::Regex), first in file order.
//   int, len  disjoint sorted segments, each holding the first range covering it: O(log n).
//   ip   per prefix length a hash of masked networks, longest prefix first (HAProxy's tree),
//        IPv4 and IPv6 apart. A v4 input then tries the v6 networks as ::ffff:a.b.c.d; a v6
//        input that carries a v4 address (::ffff:a.b.c.d, ::a.b.c.d, 2002:AABB:CCDD::) then
//        tries the v4 networks. Non-contiguous v4 masks (10.0.0.0/255.0.255.0) go to a list
//        tried last, in file order.
//   found, bool  take no pattern: the engine answers them from the sample alone.
#pragma once

#include <netinet/in.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/regex.h"
#include "core/result.h"

namespace sluice::rules {

enum class MatchKind : uint8_t { Found, Bool, Int, Ip, Bin, Len, Str, Beg, End, Sub, Dir, Dom, Reg };

std::optional<MatchKind> match_from_name(std::string_view name);
std::string_view to_string(MatchKind k);

// How a map's values are parsed, once, when the set is built (map_str, map_*_int, map_*_ip).
enum class ValueKind : uint8_t { None, Str, Int, Ip };

struct PatternOptions {
  MatchKind kind = MatchKind::Str;
  bool icase = false;              // -i
  ValueKind values = ValueKind::None;
  // At startup HAProxy accepts what the resolver takes for an IPv4 pattern, which includes
  // the short numeric forms ("10.1" = 10.0.0.1); at run time only dotted quads. Host names
  // are refused in both cases (HAProxy resolves them at startup; sluice does not).
  bool startup = true;
  bool operator==(const PatternOptions&) const = default;
};

// One pattern as written (a file line, an ACL argument, a runtime `add`).
struct PatternText {
  std::string pattern;
  std::optional<std::string> value;   // maps only
  int line = 0;                       // source line (0: none)
  uint64_t id = 0;                    // element id of the runtime API (PatternRef), 0: none
};

struct Entry {
  std::string pattern;                // as written (show map, get map)
  std::optional<std::string> value;
  int line = 0;
  uint64_t id = 0;
  uint32_t order = 0;                 // index in file order
  // The value parsed per PatternOptions::values.
  int64_t int_value = 0;
  bool value_is_v6 = false;
  in_addr value_v4{};
  in6_addr value_v6{};
};

// Capture offsets of a `reg` match (map_regm backreferences \0..\9), as HAProxy's MAX_MATCH.
using Captures = core::Regex::Captures;

class PatternSet {
 public:
  // Compiles `entries` (in file order). On error the message has no location: the caller
  // prefixes it with file:line; `error_line`, when given, receives the failing entry's line.
  static Result<std::shared_ptr<const PatternSet>> build(const PatternOptions& opts,
                                                         std::span<const PatternText> entries,
                                                         int* error_line = nullptr);
  // Checks one pattern and value as build() would (runtime `add`/`set` answer with it).
  static Result<void> check(const PatternOptions& opts, std::string_view pattern,
                            const std::optional<std::string>& value);

  // str/bin/beg/end/sub/dir/dom/reg on the text (bin: the raw bytes); len: on its length.
  const Entry* match_str(std::string_view s) const;
  // reg only: the same, filling the capture offsets of the entry that matched.
  const Entry* match_reg(std::string_view s, Captures& caps) const;
  // int and len.
  const Entry* match_int(int64_t v) const;
  const Entry* match_ipv4(const in_addr& a) const;
  const Entry* match_ipv6(const in6_addr& a) const;

  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }
  const PatternOptions& options() const { return opts_; }
  const std::vector<Entry>& entries() const { return entries_; }
  // Whether this entry sits in a tree/hash (true) or a list (false), as `get map` says it.
  bool indexed(const Entry& e) const;

  // A byte trie, public for the unit tests only. Nodes are kept in one vector; children are
  // sorted (byte, node) pairs, so a lookup is O(len * log(fanout)).
  struct Trie {
    static constexpr uint32_t kNone = UINT32_MAX;
    struct Node {
      std::vector<std::pair<uint8_t, uint32_t>> kids;
      uint32_t entry = kNone;   // the first entry (file order) ending here
    };
    std::vector<Node> nodes{Node{}};
    void insert(std::string_view key, uint32_t entry, bool reversed);
    uint32_t child(uint32_t node, uint8_t c) const;
  };

 private:
  PatternSet() = default;
  Result<void> add(const PatternText& t, uint32_t order);
  void finish();
  uint32_t match_words(std::string_view s) const;   // dir/dom

  struct Range {
    int64_t lo, hi;
    uint32_t entry;
  };
  struct NetList {   // non-contiguous IPv4 masks
    uint32_t addr, mask, entry;
  };
  struct V6Key {
    uint64_t hi, lo;
    bool operator==(const V6Key&) const = default;
  };
  struct V6Hash {
    size_t operator()(const V6Key& k) const { return std::hash<uint64_t>()(k.hi * 31 + k.lo); }
  };
  struct StrHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };

  PatternOptions opts_;
  std::vector<Entry> entries_;
  std::unordered_map<std::string, uint32_t, StrHash, std::equal_to<>> exact_;   // str, bin
  Trie trie_;                                                                    // beg end dir dom
  uint32_t empty_word_ = Trie::kNone;   // dir/dom pattern made only of delimiters
  std::vector<std::pair<std::string, uint32_t>> subs_;                           // sub (lowered if -i)
  std::vector<std::pair<core::Regex, uint32_t>> regs_;
  std::vector<Range> ranges_;             // input, before finish()
  std::vector<int64_t> seg_lo_;           // int/len: segment starts, sorted
  std::vector<uint32_t> seg_entry_;       // first range covering each segment (kNone: none)
  std::array<std::unordered_map<uint32_t, uint32_t>, 33> v4_;
  std::vector<uint8_t> v4_lens_;          // prefix lengths present, longest first
  std::array<std::unordered_map<V6Key, uint32_t, V6Hash>, 129> v6_;
  std::vector<uint8_t> v6_lens_;
  std::vector<NetList> v4_list_;
};

// The ACL argument syntax `eq|ge|gt|le|lt N` (HAProxy's compatibility layer for int
// matches, applied to ACL words only, never to -f files): rewrites the words into ranges.
// An operator applies to the following numbers until the next one.
Result<std::vector<std::string>> expand_int_operators(std::span<const std::string> words);

// Hex text -> bytes (`-m bin`), with HAProxy's messages.
Result<std::string> parse_hex(std::string_view text);

}  // namespace sluice::rules
