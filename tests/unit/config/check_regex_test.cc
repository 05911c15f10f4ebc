// Check regexes (rstatus, rstring, rbinary) are compiled at load time, so a bad one is a
// config error with its line, not a check that can never pass.
#include "unit/config/test_util.h"

namespace sluice::config {
namespace {
using namespace testing;

TEST(ConfigCheckRegexTest, InvalidPatternsAreLoadErrorsWithTheirLine) {
  auto r = load(std::string(kDefaults) +
                "backend b\n  option httpchk\n  http-check expect rstatus ^(2|3\n"
                "  http-check expect rstring [a-\n  server s 127.0.0.1:1 check\n"
                "backend t\n  option tcp-check\n  tcp-check expect rstring a)\n  tcp-check expect rbinary *\n");
  EXPECT_TRUE(has_diag(r, "t.cfg:7: invalid regex '^(2|3': missing closing parenthesis at offset 5")) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:8: invalid regex '[a-': ")) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:12: invalid regex 'a)': ")) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:13: invalid regex '*': ")) << dump(r);
  auto ok = load(std::string(kDefaults) + "backend b\n  option httpchk\n  http-check expect rstring ^ok\\s\\d+$\n"
                 "  server s 127.0.0.1:1 check\n");
  EXPECT_EQ(error_count(ok), 0) << dump(ok);
}

}  // namespace
}  // namespace sluice::config
