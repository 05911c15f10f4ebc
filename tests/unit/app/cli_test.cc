#include "app/cli.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

namespace sluice::app {
namespace {

Result<Options> parse(std::initializer_list<const char*> args) {
  const char* argv[16] = {"sluice"};
  int argc = 1;
  for (const char* a : args) argv[argc++] = a;
  return parse_cli(argc, argv);
}

// HAProxy's -n is the global maxconn, -N the default per-proxy maxconn.
TEST(CliTest, SmallNIsGlobalAndBigNIsPerProxy) {
  auto o = parse({"-f", "x.cfg", "-n", "900", "-N", "70"});
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->maxconn, 900u);
  EXPECT_EQ(o->default_maxconn, 70u);
  auto only_big = parse({"-f", "x.cfg", "-N", "5"});
  ASSERT_TRUE(only_big);
  EXPECT_FALSE(only_big->maxconn);
  EXPECT_EQ(only_big->default_maxconn, 5u);
  auto max = parse({"-f", "x.cfg", "-n", "4294967295"});
  ASSERT_TRUE(max);
  EXPECT_EQ(max->maxconn, 4294967295u);
}

TEST(CliTest, ConnectionLimitsAreStrict) {
  for (const char* bad : {"", "12abc", "abc", "-1", "+5", " 5", "0", "4294967296", "99999999999", "1e3"}) {
    for (const char* opt : {"-n", "-N"}) {
      auto o = parse({"-f", "x.cfg", opt, bad});
      ASSERT_FALSE(o) << opt << " '" << bad << "'";
      EXPECT_NE(o.error().message.find(std::string("option '") + opt + "' expects a connection limit"),
                std::string::npos) << o.error().message;
    }
  }
  EXPECT_FALSE(parse({"-f", "x.cfg", "-n"}));
}

TEST(CliTest, PeerNameIsAccepted) {
  auto o = parse({"-L", "node1", "-f", "x.cfg"});
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->files, std::vector<std::string>{"x.cfg"});
  EXPECT_FALSE(parse({"-f", "x.cfg", "-L"}));
}

}  // namespace
}  // namespace sluice::app
