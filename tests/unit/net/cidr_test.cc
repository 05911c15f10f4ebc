// The one CIDR parser and matcher (ACL src/-m ip, monitor-net, forwardfor except).
#include "net/cidr.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <string>

namespace sluice::net {
namespace {

sockaddr_storage ip(const char* text) {
  auto a = parse_ip(text);
  EXPECT_TRUE(a) << text;
  return a ? *a : sockaddr_storage{};
}

TEST(CidrTest, ValidNetworks) {
  struct Row { const char* text; int family; int prefix; };
  for (const Row& r : {Row{"10.0.0.0/8", AF_INET, 8}, Row{"10.1.2.3/8", AF_INET, 8}, Row{"10.0.0.1", AF_INET, 32},
                       Row{"0.0.0.0/0", AF_INET, 0}, Row{"10.0.0.0/08", AF_INET, 8},
                       Row{"192.168.0.0/255.255.0.0", AF_INET, 16}, Row{"1.2.3.4/255.255.255.255", AF_INET, 32},
                       Row{"::1", AF_INET6, 128}, Row{"2001:db8::/32", AF_INET6, 32}, Row{"::/0", AF_INET6, 0},
                       Row{"::ffff:10.0.0.0/104", AF_INET6, 104}}) {
    auto c = parse_cidr(r.text);
    ASSERT_TRUE(c) << r.text;
    EXPECT_EQ(c->net.ss_family, r.family) << r.text;
    EXPECT_EQ(c->prefix, r.prefix) << r.text;
  }
}

TEST(CidrTest, GarbageIsAnError) {
  // "10.0.0.0/l6" was read as /0 (every client) before: the reason this parser exists.
  for (const char* bad : {"", "x", "10.0.0.0/l6", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/+8",
                          "10.0.0.0/8x", "10.0.0.0/ 8", " 10.0.0.0", "10.0.0.0 ", "10.1", "10/8", "1.2.3",
                          "256.0.0.0", "10.0.0.0/255.0.255.0", "10.0.0.0/255.255.255.256", "::/129",
                          "::/64.0.0.0", "1.2.3.4/8/8", "1.2.3.4/0008", "host.example/8"})
    EXPECT_FALSE(parse_cidr(bad)) << bad;
  EXPECT_NE(parse_cidr("10.0.0.0/l6").error().message.find("'10.0.0.0/l6' is not a valid"), std::string::npos);
}

TEST(CidrTest, Contains) {
  struct Row { const char* net; const char* addr; bool in; };
  for (const Row& r : {Row{"10.0.0.0/8", "10.255.1.2", true}, Row{"10.0.0.0/8", "11.0.0.1", false},
                       Row{"10.1.2.3/8", "10.9.9.9", true}, Row{"0.0.0.0/0", "1.2.3.4", true},
                       Row{"127.0.0.1", "127.0.0.1", true}, Row{"127.0.0.1", "127.0.0.2", false},
                       Row{"192.168.1.252/31", "192.168.1.253", true}, Row{"192.168.1.252/31", "192.168.1.254", false},
                       Row{"2001:db8::/32", "2001:db8:1::5", true}, Row{"2001:db8::/32", "2001:db9::", false},
                       Row{"::1", "::1", true}, Row{"::/0", "10.0.0.1", true},
                       // v4-mapped v6 clients (dual-stack listener) against v4 networks, and back
                       Row{"10.0.0.0/8", "::ffff:10.1.1.1", true}, Row{"10.0.0.0/8", "::ffff:11.1.1.1", false},
                       Row{"10.0.0.0/8", "::10.1.1.1", false}, Row{"::ffff:10.0.0.0/104", "10.3.3.3", true},
                       Row{"::ffff:10.0.0.0/104", "11.3.3.3", false}, Row{"2001:db8::/32", "10.0.0.1", false}}) {
    auto c = parse_cidr(r.net);
    ASSERT_TRUE(c) << r.net;
    EXPECT_EQ(c->contains(ip(r.addr)), r.in) << r.net << " " << r.addr;
  }
  EXPECT_FALSE(parse_cidr("10.0.0.0/8")->contains(sockaddr_storage{}));   // AF_UNSPEC / unix
}

}  // namespace
}  // namespace sluice::net
