// Durations, sizes, addresses and networks.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include "config/loader.h"

namespace sluice::config {
namespace {

TEST(ConfigValuesTest, Durations) {
  EXPECT_EQ(parse_duration("5000").value(), Millis(5000));
  EXPECT_EQ(parse_duration("5000ms").value(), Millis(5000));
  EXPECT_EQ(parse_duration("30s").value(), Millis(30000));
  EXPECT_EQ(parse_duration("2m").value(), Millis(120000));
  EXPECT_EQ(parse_duration("1h").value(), Millis(3600000));
  EXPECT_EQ(parse_duration("1d").value(), Millis(86400000));
  EXPECT_EQ(parse_duration("1500us").value(), Millis(2));   // rounds up
  EXPECT_EQ(parse_duration("0").value(), Millis(0));
  for (const char* bad : {"", "s", "10x", "-1", "1.5s", "30 s", "99999d"})
    EXPECT_FALSE(parse_duration(bad).has_value()) << bad;
  EXPECT_NE(parse_duration("10x").error().message.find("unknown unit 'x'"), std::string::npos);
}

TEST(ConfigValuesTest, Sizes) {
  EXPECT_EQ(parse_size("16384").value(), 16384u);
  EXPECT_EQ(parse_size("16k").value(), 16384u);
  EXPECT_EQ(parse_size("1m").value(), 1048576u);
  EXPECT_EQ(parse_size("2g").value(), 2147483648u);
  for (const char* bad : {"", "k", "1t", "1.5k"}) EXPECT_FALSE(parse_size(bad).has_value()) << bad;
}

TEST(ConfigValuesTest, InetAddresses) {
  auto a = parse_address("127.0.0.1:8080", true);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->kind, Address::Kind::Inet);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 8080);
  EXPECT_EQ(a->sa.ss_family, AF_INET);
  EXPECT_EQ(ntohs(reinterpret_cast<const sockaddr_in*>(&a->sa)->sin_port), 8080);
  auto any = parse_address(":80", true);
  ASSERT_TRUE(any);
  EXPECT_EQ(any->host, "");
  EXPECT_EQ(any->sa.ss_family, AF_INET);
  auto star = parse_address("*:81", true);
  ASSERT_TRUE(star);
  EXPECT_EQ(star->port, 81);
  auto v6 = parse_address("[::1]:443", true);
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->sa.ss_family, AF_INET6);
  EXPECT_EQ(v6->port, 443);
  auto v6any = parse_address("ipv6@:8443", true);
  ASSERT_TRUE(v6any);
  EXPECT_EQ(v6any->sa.ss_family, AF_INET6);
  auto v4 = parse_address("ipv4@127.0.0.1:9999", true);
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->sa.ss_family, AF_INET);
  auto bare6 = parse_address("::1", false);
  ASSERT_TRUE(bare6);
  EXPECT_EQ(bare6->port, 0);
  EXPECT_EQ(bare6->host, "::1");
}

TEST(ConfigValuesTest, ServerPortForms) {
  auto noport = parse_address("127.0.0.1", false);
  ASSERT_TRUE(noport);
  EXPECT_EQ(noport->port, 0);
  auto plus = parse_address("127.0.0.1:+1000", false);
  ASSERT_TRUE(plus);
  EXPECT_TRUE(plus->port_offset);
  EXPECT_EQ(plus->port_delta, 1000);
  auto minus = parse_address("127.0.0.1:-1", false);
  ASSERT_TRUE(minus);
  EXPECT_EQ(minus->port_delta, -1);
  EXPECT_FALSE(parse_address("127.0.0.1:80-90", false));   // ranges are bind-only
}

TEST(ConfigValuesTest, BindNeedsPort) {
  auto r = parse_address("127.0.0.1", true);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "missing port in bind address '127.0.0.1'");
  EXPECT_FALSE(parse_address("127.0.0.1:", true));
  EXPECT_FALSE(parse_address("127.0.0.1:70000", true));
  EXPECT_FALSE(parse_address("127.0.0.1:http", true));
}

TEST(ConfigValuesTest, UnixAndFdAddresses) {
  auto u = parse_address("/run/sluice.sock", true);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->kind, Address::Kind::Unix);
  EXPECT_EQ(u->path, "/run/sluice.sock");
  EXPECT_EQ(u->sa.ss_family, AF_UNIX);
  auto u2 = parse_address("unix@/tmp/x.sock", true);
  ASSERT_TRUE(u2);
  EXPECT_EQ(u2->path, "/tmp/x.sock");
  auto fd = parse_address("fd@3", true);
  ASSERT_TRUE(fd);
  EXPECT_EQ(fd->kind, Address::Kind::Fd);
  EXPECT_EQ(fd->fd, 3);
  EXPECT_FALSE(parse_address("fd@x", true));
  EXPECT_FALSE(parse_address("abns@foo", true));
  EXPECT_FALSE(parse_address("bogus@1.2.3.4:80", true));
}

TEST(ConfigValuesTest, NamesResolveOnlyWhenAsked) {
  auto unresolved = parse_address("backend.invalid:80", false, false);
  ASSERT_TRUE(unresolved);
  EXPECT_EQ(unresolved->sa.ss_family, AF_UNSPEC);
  EXPECT_EQ(unresolved->host, "backend.invalid");
  auto fails = parse_address("backend.invalid:80", false, true);
  ASSERT_FALSE(fails);
  EXPECT_NE(fails.error().message.find("could not resolve address 'backend.invalid'"), std::string::npos);
  auto local = parse_address("localhost:80", false, true);
  ASSERT_TRUE(local);
  EXPECT_NE(local->sa.ss_family, AF_UNSPEC);
}

TEST(ConfigValuesTest, Cidr) {
  auto a = parse_cidr("192.168.1.252/31");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->prefix, 31);
  auto host = parse_cidr("192.168.1.1");
  ASSERT_TRUE(host);
  EXPECT_EQ(host->prefix, 32);
  auto mask = parse_cidr("10.1.2.3/255.0.0.0");
  ASSERT_TRUE(mask);
  EXPECT_EQ(mask->prefix, 8);
  char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&mask->net)->sin_addr, buf, sizeof buf);
  EXPECT_STREQ(buf, "10.0.0.0");
  auto v6 = parse_cidr("2001:db8::/32");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->prefix, 32);
  for (const char* bad : {"", "10.0.0.0/33", "x", "10.0.0.0/255.0.255.0", "::/129", "10.0.0.0/l6", "10.0.0.0/",
                          "10.0.0.0/8x", "10.1", "10/8", " 10.0.0.0"})
    EXPECT_FALSE(parse_cidr(bad)) << bad;
  auto bad = parse_cidr("10.0.0.0/l6");   // was read as /0: every client matched
  EXPECT_NE(bad.error().message.find("'10.0.0.0/l6' is not a valid IPv4 or IPv6 network"), std::string::npos);
}

TEST(ConfigValuesTest, NumericHostsMustBeDottedQuads) {
  for (const char* bad : {"10.1:80", "127.1:80", "1.2.3:80", "10.0.0.256:80", "1.2.3.4.5:80"}) {
    for (bool resolve : {false, true}) {
      auto a = parse_address(bad, false, resolve);
      EXPECT_FALSE(a) << bad;
      if (!a) {
        EXPECT_NE(a.error().message.find("is not a valid IPv4 address"), std::string::npos) << bad;
      }
    }
  }
  for (const char* bad : {"127.0.0.1:80x", "127.0.0.1:0x50", "127.0.0.1:65536", "127.0.0.1:+8x"})
    EXPECT_FALSE(parse_address(bad, false, false)) << bad;
  EXPECT_TRUE(parse_address("127.0.0.1:80", false, false));
  EXPECT_TRUE(parse_address("host.example:80", false, false));   // names resolve later
}

TEST(ConfigValuesTest, DiagnosticFormat) {
  Diagnostic e{{"a.cfg", 3}, "boom", false};
  Diagnostic w{{"a.cfg", 4}, "hmm", true};
  EXPECT_EQ(e.format(), "a.cfg:3: boom");
  EXPECT_EQ(w.format(), "a.cfg:4: warning: hmm");
}

}  // namespace
}  // namespace sluice::config
