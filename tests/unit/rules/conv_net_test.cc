// Address converters: ipmask.
// Expected values come from HAProxy 2.6.12 (/usr/sbin/haproxy answering
// `http-request return ... lf-string "%[EXPR]"`: scripts/haproxy-eval), except where a comment
// says otherwise.
#include "unit/rules/conv_helpers.h"

namespace sluice::rules {
namespace {

using test::expect_error;
using test::expect_rows;

TEST(ConvNetTest, MatchesHaproxy) {
  expect_rows({
      {R"~(str(192.168.12.34),ipmask(24))~", "192.168.12.0"},
      {R"~(str(192.168.12.34),ipmask(255.255.0.0))~", "192.168.0.0"},
      {R"~(str(192.168.12.34),ipmask(255.0.255.0))~", "192.0.12.0"},
      {R"~(str(192.168.12.34),ipmask(0))~", "0.0.0.0"},
      {R"~(str(192.168.12.34),ipmask(32))~", "192.168.12.34"},
      {R"~(str(2001:db8:1:2::1),ipmask(24))~", "<none>"},
      {R"~(str(2001:db8:1:2::1),ipmask(24,64))~", "2001:db8:1:2::"},
      {R"~(str(2001:db8:1:2::1),ipmask(24,ffff:ffff::))~", "2001:db8::"},
      {R"~(str(::ffff:192.168.12.34),ipmask(24))~", "192.168.12.0"},
      {R"~(str(::ffff:192.168.12.34),ipmask(24,120))~", "192.168.12.0"},
      {R"~(str(notip),ipmask(24))~", "<none>"},
      {R"~(int(3232238626),ipmask(16))~", "192.168.0.0"},
      {R"~(ipv6(::ffff:1.2.3.4),ipmask(24))~", "1.2.3.0"},
      {R"~(ipv6(::1.2.3.4),ipmask(24))~", "<none>"},
      {R"~(ipv6(::ffff:1.2.3.4),ipmask(24,64))~", "1.2.3.0"},
      {R"~(ipv4(1.2.3.4),ipmask(24,64))~", "1.2.3.0"},
  });
}

TEST(ConvNetTest, LoadErrors) {
  expect_error("str(1.2.3.4),ipmask(33)", "'33' is not an IPv4 mask");
  expect_error("str(1.2.3.4),ipmask(abc)", "'abc' is not an IPv4 mask");
  expect_error("str(1.2.3.4),ipmask(24,129)", "'129' is not an IPv6 mask");
  expect_error("str(1.2.3.4),ipmask(24,zz)", "'zz' is not an IPv6 mask");
  expect_error("str(1.2.3.4),ipmask", "expects 1 argument");
}

}  // namespace
}  // namespace sluice::rules
