// Feeds a head to a parser at every split point and checks the incremental contract:
// NeedMore until the head is complete, then the same result as parsing it whole.
#pragma once

#include <gtest/gtest.h>

#include <string_view>

#include "http/parser.h"

namespace sluice::http::testing {

// `parse(buf, scan)` parses a prefix with a carried scan and returns a ParseResult and head_len.
template <class ParseFn>
void expect_split_invariant(std::string_view input, const ParseResult& whole, size_t whole_head_len,
                            ParseFn parse) {
  // 1. Growing one byte at a time with one carried scan.
  {
    HeadScan scan;
    size_t i = 0;
    for (i = 0; i <= input.size(); ++i) {
      size_t head_len = 0;
      const ParseResult r = parse(input.substr(0, i), scan, head_len);
      if (r.status == ParseStatus::NeedMore) continue;
      ASSERT_EQ(r.status, whole.status) << "prefix " << i;
      ASSERT_EQ(r.error_status, whole.error_status) << "prefix " << i << " " << r.reason;
      if (r.status == ParseStatus::Done) {
        EXPECT_EQ(i, whole_head_len) << "Done before/after the head end";
        EXPECT_EQ(head_len, whole_head_len);
      }
      break;
    }
    if (whole.status == ParseStatus::NeedMore) {
      EXPECT_EQ(i, input.size() + 1);
    }
  }
  // 2. Two pieces: prefix k with a fresh scan, then the whole input with the same scan.
  for (size_t k = 0; k < input.size(); ++k) {
    HeadScan scan;
    size_t head_len = 0;
    const ParseResult first = parse(input.substr(0, k), scan, head_len);
    if (first.status != ParseStatus::NeedMore) {
      ASSERT_EQ(first.status, whole.status) << "split " << k;
      ASSERT_EQ(first.error_status, whole.error_status) << "split " << k;
      if (whole.status == ParseStatus::Done) {
        ASSERT_GE(k, whole_head_len);
      }
      continue;
    }
    const ParseResult second = parse(input, scan, head_len);
    ASSERT_EQ(second.status, whole.status) << "split " << k;
    ASSERT_EQ(second.error_status, whole.error_status) << "split " << k;
    if (whole.status == ParseStatus::Done) {
      ASSERT_EQ(head_len, whole_head_len) << "split " << k;
    }
  }
}

}  // namespace sluice::http::testing
