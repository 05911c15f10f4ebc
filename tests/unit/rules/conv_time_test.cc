// Date converters: ltime, utime, http_date.
// Expected values come from HAProxy 2.6.12 (/usr/sbin/haproxy answering
// `http-request return ... lf-string "%[EXPR]"`), except where a comment says otherwise.
#include "unit/rules/conv_helpers.h"

namespace sluice::rules {
namespace {

using test::expect_error;
using test::expect_rows;

TEST(ConvTimeTest, MatchesHaproxy) {
  expect_rows({
      {R"~(int(0),utime(%Y-%m-%d %H:%M:%S))~", "1970-01-01 00:00:00"},
      {R"~(int(1700000000),utime(%Y-%m-%dT%H:%M:%S%z))~", "2023-11-14T22:13:20+0000"},
      {R"~(int(1700000000),utime(%Y,3600))~", "2023"},
      {R"~(int(1700000000),utime(%H:%M,-3600))~", "21:13"},
      {R"~(int(1700000000),ltime(%Y%m%d%H%M%S))~", "20231114221320"},
      {R"~(int(-1),utime(%Y))~", "1141709097"},
      {R"~(int(1700000000),http_date)~", "Tue, 14 Nov 2023 22:13:20 GMT"},
      {R"~(int(1700000000),http_date(3600))~", "Tue, 14 Nov 2023 23:13:20 GMT"},
      {R"~(int(1700000000123),http_date(0,ms))~", "Tue, 14 Nov 2023 22:13:20.123 GMT"},
      {R"~(int(1700000000123456),http_date(0,us))~", "Tue, 14 Nov 2023 22:13:20.123456 GMT"},
      {R"~(int(1700000000123),http_date(1000,ms))~", "Tue, 14 Nov 2023 22:13:21.123 GMT"},
  // int(1700000000),http_date(,s): ERR failed to parse sample expression <int(1700000000),http_date(,s)]> : invalid arg 1 in converter 'http_date' : expected ')' before ',s)]'.
      {R"~(int(0),http_date)~", "Thu, 01 Jan 1970 00:00:00 GMT"},
      {R"~(int(-1),http_date)~", "Sun, 13 Jun 1141709097 06:26:07 GMT"},
  // int(1),http_date(0,xx): ERR failed to parse sample expression <int(1),http_date(0,xx)]> : invalid args in converter 'http_date' : expects 's', 'ms' or 'us', got 'xx'.
  // int(1),ltime(%Y,x): ERR failed to parse sample expression <int(1),ltime(%Y,x)]> : invalid arg 2 in converter 'ltime' : failed to parse 'x' as type 'integer' at position 2.
      {R"~(int(1700000000),http_date(0,s))~", "Tue, 14 Nov 2023 22:13:20 GMT"},
      {R"~(int(1700000000),ltime(%Y,3600))~", "2023"},
      {R"~(int(1700000000),utime(%s))~", "1700000000"},
  });
}

}  // namespace
}  // namespace sluice::rules
