// Hash converters: crc32, crc32c, djb2, sdbm, wt6 (with avalanche), xxh32, xxh64, xxh3;
// digests sha1, sha2, digest.
// Expected values come from HAProxy 2.6.12 (/usr/sbin/haproxy answering
// `http-request return ... lf-string "%[EXPR]"`: scripts/haproxy-eval), except where a comment
// says otherwise.
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
      {R"~(var(txn.e),wt6)~", "4187620192"},
      {R"~(var(txn.e),djb2)~", "5381"},
      {R"~(str(abc),xxh32)~", "852579327"},
      {R"~(str(abc),xxh32(1))~", "2856167679"},
      {R"~(str(abc),xxh32(-1))~", "2989167648"},
      {R"~(str(abc),xxh64)~", "4952883123889572249"},
      {R"~(str(abc),xxh64(1))~", "-4708009277469325048"},
      {R"~(var(txn.e),xxh64)~", "-1205034819632174695"},
      {R"~(var(txn.e),xxh32)~", "46947589"},
      {R"~(str(abc),xxh3)~", "8696274497037089104"},
      {R"~(str(abc),sha1,hex)~", "A9993E364706816ABA3E25717850C26C9CD0D89D"},
      {R"~(str(abc),sha2,hex)~", "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"},
      {R"~(str(abc),sha2(224),hex)~", "23097D223405D8228642A477BDA255B32AADBCE4BDA0B3F7E36C9DA7"},
      {R"~(str(abc),sha2(384),hex)~", "CB00753F45A35E8BB5A03D699AC65007272C32AB0EDED1631A8B605A43FF5BED8086072BA1E7CC2358BAECA134C825A7"},
      {R"~(str(abc),sha2(512),hex)~", "DDAF35A193617ABACC417349AE20413112E6FA4E89A97EA20A9EEEE64B55D39A2192992A274FC1A836BA3C23A3FEEBBD454D4423643CE80E2A9AC94FA54CA49F"},
      {R"~(str(abc),digest(sha256),hex)~", "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"},
  });
}

TEST(ConvHashTest, LoadErrors) {
  expect_error("str(a),crc32(x)", "'x' is not an integer");
  expect_error("str(a),xxh32(x)", "'x' is not an integer");
  expect_error("str(a),djb2(1,2)", "takes at most 1 argument");
  expect_error("str(abc),sha2(1)", "1 bits: expects 224, 256, 384 or 512");
  expect_error("str(abc),digest(nosuch)", "'nosuch' is not an OpenSSL message digest name");
  expect_error("str(abc),digest", "expects 1 argument");
}

}  // namespace
}  // namespace sluice::rules
