// Hash converters: crc32, crc32c, djb2, sdbm, wt6 (with avalanche), xxh32, xxh64, xxh3.
// Expected values come from HAProxy 2.6.12 (/usr/sbin/haproxy answering
// `http-request return ... lf-string "%[EXPR]"`), except where a comment says otherwise.
#include "unit/rules/conv_helpers.h"

namespace sluice::rules {
namespace {

using test::expect_error;
using test::expect_rows;

TEST(ConvHashTest, MatchesHaproxy) {
  expect_rows({
      {R"~(str(abc),crc32)~", "891568578"},
      {R"~(str(abc),crc32(1))~", "930845320"},
      {R"~(str(abc),crc32(2))~", "930845320"},
      {R"~(var(txn.e),crc32)~", "0"},
      {R"~(str(abc),crc32c)~", "910901175"},
      {R"~(str(123456789),crc32c)~", "3808858755"},
      {R"~(str(abc),crc32c(1))~", "1285784220"},
      {R"~(str(abc),djb2)~", "193485963"},
      {R"~(str(abc),djb2(1))~", "2235766107"},
      {R"~(str(abc),sdbm)~", "807794786"},
      {R"~(str(abc),sdbm(1))~", "659243622"},
      {R"~(str(abc),wt6)~", "2483038440"},
      {R"~(str(abc),wt6(1))~", "266135527"},
  // str(hello world, this is a longer key to hash),wt6: ERR failed to parse sample expression <str(hello world, this is a longer key to hash),wt6]> : fetch method 'str' : expected ')' before ', this is a longer key to hash),wt6]'.
      {R"~(var(txn.e),wt6)~", "4187620192"},
      {R"~(var(txn.e),djb2)~", "5381"},
      {R"~(str(abc),xxh32)~", "852579327"},
      {R"~(str(abc),xxh32(1))~", "2856167679"},
      {R"~(str(abc),xxh32(-1))~", "2989167648"},
      {R"~(str(abc),xxh64)~", "4952883123889572249"},
      {R"~(str(abc),xxh64(1))~", "-4708009277469325048"},
  // str(hello world, this is a longer key to hash 0123456789),xxh64: ERR failed to parse sample expression <str(hello world, this is a longer key to hash 0123456789),xxh64]> : fetch method 'str' : expected ')' before ', this is a longer key to hash 0123456789),xxh64]'.
  // str(hello world, this is a longer key to hash 0123456789),xxh32: ERR failed to parse sample expression <str(hello world, this is a longer key to hash 0123456789),xxh32]> : fetch method 'str' : expected ')' before ', this is a longer key to hash 0123456789),xxh32]'.
      {R"~(var(txn.e),xxh64)~", "-1205034819632174695"},
      {R"~(var(txn.e),xxh32)~", "46947589"},
      {R"~(str(abc),xxh3)~", "8696274497037089104"},
  // str(a),crc32(x): ERR failed to parse sample expression <str(a),crc32(x)]> : invalid arg 1 in converter 'crc32' : failed to parse 'x' as type 'integer' at position 1.
  // str(a),xxh32(x): ERR failed to parse sample expression <str(a),xxh32(x)]> : invalid arg 1 in converter 'xxh32' : failed to parse 'x' as type 'integer' at position 1.
  });
}

}  // namespace
}  // namespace sluice::rules
