// Date converters: ltime, utime, http_date.
// Expected values come from HAProxy 2.6.12 (/usr/sbin/haproxy answering
// `http-request return ... lf-string "%[EXPR]"`: scripts/haproxy-eval), except where a comment
// says otherwise.
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
      {R"~(int(0),http_date)~", "Thu, 01 Jan 1970 00:00:00 GMT"},
      {R"~(int(-1),http_date)~", "Sun, 13 Jun 1141709097 06:26:07 GMT"},
      {R"~(int(1700000000),http_date(0,s))~", "Tue, 14 Nov 2023 22:13:20 GMT"},
      {R"~(int(1700000000),ltime(%Y,3600))~", "2023"},
      {R"~(int(1700000000),utime(%s))~", "1700000000"},
  });
}

// Rows where sluice deliberately answers otherwise than HAProxy 2.6.12.
TEST(ConvTimeTest, Deviations) {
  expect_rows({
      // HAProxy 2.6 prints the fraction without leading zeros (5 ms as ".5"); sluice pads it.
      {R"~(int(1700000000005),http_date(0,ms))~", "Tue, 14 Nov 2023 22:13:20.005 GMT"},
      {R"~(int(1700000000000005),http_date(0,us))~", "Tue, 14 Nov 2023 22:13:20.000005 GMT"},
      // An empty optional argument is absent (HAProxy refuses "http_date(,s)").
      {R"~(int(1700000000),http_date(,s))~", "Tue, 14 Nov 2023 22:13:20 GMT"},
  });
}

TEST(ConvTimeTest, LoadErrors) {
  expect_error("int(1),http_date(0,xx)", "unit 'xx': expects s, ms or us");
  expect_error("int(1),ltime(%Y,x)", "'x' is not an integer");
  expect_error("int(1),ltime()", "expects 1 argument");
  expect_error("int(1),utime", "expects 1 argument");
}

}  // namespace
}  // namespace sluice::rules
