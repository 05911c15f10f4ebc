// What an ACL or a `%[...]` sample expression means, decided once from its text.
//
// This file holds THE list of the fetches, converters and match methods sluice implements.
// The configuration parser accepts exactly these (anything else is "not supported by sluice
// yet" with file:line, at -c as at startup), and proxy/acl.cc and proxy/sample.cc evaluate
// every kind listed here (the FetchKind switches in proxy/sample.cc name every kind, so
// -Wswitch flags a new one left unhandled). A fetch that parses but never matches would let
// a `deny` be bypassed.
//
// TODO(rules): replaced by the typed src/rules/ engine (design note, step 2).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/model.h"
#include "core/result.h"
#include "net/cidr.h"

namespace sluice::config {

enum class FetchKind : uint8_t {
  Path, Url, Query, Method, Version,      // request line
  Hdr, FHdr, HdrCnt, FHdrCnt, Cookie,     // request headers
  Src, SrcPort, Dst, DstPort,             // connection
  True, False,
};
enum class SampleType : uint8_t { Bool, Int, Ip, Str };
enum class Converter : uint8_t { Lower, Upper };
enum class MatchKind : uint8_t { Found, Bool, Int, Ip, Len, Str, Beg, End, Sub, Dir, Dom, Reg };

// A fetch with its arguments and converters: `req.hdr(x-forwarded-for,-1),lower`.
struct FetchSpec {
  FetchKind kind = FetchKind::True;
  std::string name;      // header or cookie name
  // hdr(NAME,OCC): 0 = every value in an ACL, the last one in %[...]; N > 0 the Nth value,
  // N < 0 the Nth from the last (after splitting on commas for hdr, not for fhdr).
  int occ = 0;
  SampleType cast = SampleType::Str;   // hdr_val: Int, hdr_ip: Ip (the value read as one)
  std::vector<Converter> converters;

  SampleType type() const;
  bool needs_http() const;
};

struct IntRange {
  int64_t lo = INT64_MIN, hi = INT64_MAX;
};

struct AclSpec {
  FetchSpec fetch;
  MatchKind match = MatchKind::Str;
  bool icase = false;
  std::vector<std::string> strs;   // str beg end sub dir dom reg
  std::vector<IntRange> ints;      // int len
  std::vector<net::Cidr> ips;      // ip
};

// "src", "req.hdr(host)", "hdr(x,-1),lower": a fetch usable in %[...] and its converters.
Result<FetchSpec> parse_sample_expr(std::string_view text);
// Decides what `a` (fetch text, flags, patterns as written) does, or says why sluice can't.
Result<AclSpec> resolve_acl(const Acl& a);
// A header value of set-header/add-header: literal text and %[fetch] expressions.
struct FormatPart {
  std::string text;                 // literal (fetch empty)
  std::optional<FetchSpec> fetch;   // %[...]
};
// "%[src]:%[src_port]" -> parts. `%%` is a literal '%'. Other log-format variables (%ci, ...)
// and unsupported fetches are errors naming the expression.
Result<std::vector<FormatPart>> parse_sample_format(std::string_view text);

// HAProxy's predefined ACLs that sluice implements (TRUE, LOCALHOST, METH_GET, ...).
std::optional<Acl> predefined_acl(std::string_view name);
std::span<const std::string_view> predefined_acl_names();

}  // namespace sluice::config
