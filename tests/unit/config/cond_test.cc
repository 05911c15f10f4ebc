#include "config/cond.h"

#include <gtest/gtest.h>

#include <map>

namespace sluice::config {
namespace {

constexpr std::string_view kFeatures[] = {"EPOLL", "THREAD"};

CondContext ctx() {
  static const std::map<std::string, std::string, std::less<>> env = {{"SET", "yes"}, {"EMPTY", ""}};
  return CondContext{
      .getenv = [](std::string_view n) -> std::optional<std::string> {
        auto it = env.find(n);
        if (it == env.end()) return std::nullopt;
        return it->second;
      },
      .features = kFeatures,
      .version = "2.6",
      .ssl_lib_name = "OpenSSL",
      .ssl_lib_version = "3.0.19",
  };
}

struct Case {
  std::string_view expr;
  bool want;
};

TEST(CondTest, Evaluates) {
  const Case cases[] = {
      {"", false},
      {"0", false},
      {"1", true},
      {"-0", false},
      {"42", true},
      {"!0", true},
      {"!!1", true},
      {"defined(SET)", true},
      {"defined(EMPTY)", true},
      {"defined(UNSET)", false},
      {"feature(EPOLL)", true},
      {"feature(OPENSSL)", false},
      {"!feature(OPENSSL)", true},
      {"streq(a,a)", true},
      {"streq(a,b)", false},
      {"strneq(a,b)", true},
      {"streq(\"a b\",'a b')", true},
      {"version_atleast(2.5-dev0)", true},
      {"version_atleast(2.6-dev0)", true},
      {"version_atleast(2.6)", true},
      {"version_atleast(2.6.1)", false},
      {"version_atleast(3.0)", false},
      {"version_before(2.7)", true},
      {"version_before(2.6)", false},
      {"ssllib_name_startswith(OpenSSL)", true},
      {"ssllib_name_startswith(BoringSSL)", false},
      {"openssl_version_atleast(1.1.1)", true},
      {"openssl_version_before(3.0.0)", false},
      {"1 && 0", false},
      {"1 || 0", true},
      {"0 || 0 && 1", false},
      {"1 || 0 && 0", true},            // && binds tighter than ||
      {"(1 || 0) && 0", false},
      {"version_atleast(2.5-dev5) && (feature(PCRE) || feature(EPOLL))", true},
      {"feature(OPENSSL) && ssllib_name_startswith(OpenSSL)", false},
  };
  for (const auto& c : cases) {
    auto r = eval_condition(c.expr, ctx());
    ASSERT_TRUE(r.has_value()) << c.expr << ": " << r.error().message;
    EXPECT_EQ(*r, c.want) << c.expr;
  }
}

TEST(CondTest, RejectsMalformed) {
  for (std::string_view bad : {"foo(", "nosuch(1)", "(1", "1)", "1 &&", "streq(a)", "version_atleast(x.y)",
                               "defined()", "&& 1", "1 1", "- "}) {
    auto r = eval_condition(bad, ctx());
    EXPECT_FALSE(r.has_value()) << "accepted: " << bad;
  }
}

TEST(CondTest, WordsAreJoined) {
  std::vector<std::string> words = {"feature(EPOLL)", "&&", "!", "feature(LUA)"};
  auto r = eval_condition(std::span<const std::string>(words), ctx());
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(*r);
}

TEST(CondTest, ComparesVersions) {
  EXPECT_EQ(compare_versions("2.5-dev0", "2.5"), -1);
  EXPECT_EQ(compare_versions("2.5", "2.5.0"), 0);
  EXPECT_EQ(compare_versions("2.5-rc1", "2.5-dev9"), 1);
  EXPECT_EQ(compare_versions("2.10", "2.9"), 1);
  EXPECT_EQ(compare_versions("2.x", "2.9"), std::nullopt);
}

}  // namespace
}  // namespace sluice::config
