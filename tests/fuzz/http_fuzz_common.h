// Shared invariant checks for the HTTP fuzz targets. A violated invariant aborts (libFuzzer
// reports it as a crash with the input).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "http/parser.h"

namespace sluice::http::fuzz {

inline void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant violated: %s\n", what);
    std::abort();
  }
}

inline bool inside(std::string_view part, std::string_view buf) {
  return part.empty() || (part.data() >= buf.data() && part.data() + part.size() <= buf.data() + buf.size());
}

inline bool same(const ParseResult& a, const ParseResult& b) {
  return a.status == b.status && a.error_status == b.error_status;
}

// Parses `buf` whole, then split at `k` with a carried scan, then growing byte by byte (short
// inputs only), and checks that every way gives the same outcome. `parse(buf, scan, head_len)`.
template <class ParseFn>
ParseResult check_incremental(std::string_view buf, size_t k, ParseFn parse) {
  HeadScan scan;
  size_t head_len = 0;
  const ParseResult whole = parse(buf, scan, head_len);
  const size_t whole_head_len = head_len;
  if (whole.status == ParseStatus::Done) check(head_len > 0 && head_len <= buf.size(), "head_len <= size");
  if (whole.status == ParseStatus::Error) check(whole.error_status >= 400, "error has a status");

  k = buf.empty() ? 0 : k % buf.size();
  HeadScan s2;
  const ParseResult first = parse(buf.substr(0, k), s2, head_len);
  if (first.status == ParseStatus::NeedMore) {
    const ParseResult second = parse(buf, s2, head_len);
    check(same(second, whole), "split parse differs from whole");
    if (whole.status == ParseStatus::Done) check(head_len == whole_head_len, "split head_len");
  } else {
    check(same(first, whole), "early result differs from whole");
  }

  if (buf.size() <= 512) {
    HeadScan s3;
    for (size_t i = 0; i <= buf.size(); ++i) {
      const ParseResult r = parse(buf.substr(0, i), s3, head_len);
      if (r.status == ParseStatus::NeedMore) continue;
      check(same(r, whole), "bytewise parse differs from whole");
      if (r.status == ParseStatus::Done) check(i == whole_head_len, "Done exactly at head end");
      break;
    }
  }
  return whole;
}

}  // namespace sluice::http::fuzz
