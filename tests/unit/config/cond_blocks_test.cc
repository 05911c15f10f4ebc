#include <gtest/gtest.h>

#include "config/loader.h"
#include "test_util.h"

namespace sluice::config {
namespace {

using testing::dump;
using testing::error_count;
using testing::has_diag;
using testing::opts;

constexpr std::string_view kTail = R"(
defaults
    mode http
    timeout connect 1s
    timeout client 1s
    timeout server 1s
)";

// Which of the frontends a..d the text keeps.
std::string kept(std::string_view body, std::map<std::string, std::string> env = {}) {
  auto r = load_string(std::string(kTail) + std::string(body), "t.cfg", opts(std::move(env)));
  if (!r.ok()) return "error: " + dump(r);
  std::string names;
  for (const auto& p : r.config->proxies) names += p.name;
  return names;
}

TEST(CondBlocksTest, SelectsOneBranch) {
  constexpr std::string_view body = R"(
.if defined(A)
listen a
    bind 127.0.0.1:1
.elif streq("${B}",yes)
listen b
    bind 127.0.0.1:2
.elif 1
listen c
    bind 127.0.0.1:3
.else
listen d
    bind 127.0.0.1:4
.endif
)";
  EXPECT_EQ(kept(body, {{"A", ""}}), "a");
  EXPECT_EQ(kept(body, {{"B", "yes"}}), "b");
  EXPECT_EQ(kept(body), "c");
}

TEST(CondBlocksTest, NestsAndSkipsInnerConditions) {
  constexpr std::string_view body = R"(
.if 0
  .if nosuch_predicate(x)
listen a
    bind 127.0.0.1:1
  .endif
.else
  .if 1
listen b
    bind 127.0.0.1:2
  .else
listen c
    bind 127.0.0.1:3
  .endif
.endif
)";
  EXPECT_EQ(kept(body), "b");
}

TEST(CondBlocksTest, SkippedLinesAreNotParsed) {
  EXPECT_EQ(kept(".if 0\nlisten x\n    no_such_keyword 1\n.endif\nlisten a\n    bind 127.0.0.1:1\n"), "a");
}

TEST(CondBlocksTest, Messages) {
  auto r = load_string(std::string(kTail) + ".if 1\n.notice \"hello\"\n.warning careful\n.endif\n.if 0\n.alert never\n.endif\n",
                       "t.cfg", opts());
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:8: notice: hello", true)) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:9: warning: careful", true)) << dump(r);
  auto a = load_string(std::string(kTail) + ".alert \"SSL support is mandatory\"\n", "t.cfg", opts());
  EXPECT_FALSE(a.ok());
  EXPECT_TRUE(has_diag(a, "t.cfg:7: SSL support is mandatory")) << dump(a);
}

TEST(CondBlocksTest, Errors) {
  struct Case {
    std::string_view text, message;
  } cases[] = {
      {".if 1\n", "t.cfg:7: '.if' without a matching '.endif'"},
      {".endif\n", "'.endif' without a matching '.if'"},
      {".else\n", "'.else' without a matching '.if'"},
      {".if 1\n.else\n.else\n.endif\n", "'.else' after '.else'"},
      {".if 1\n.else\n.elif 1\n.endif\n", "'.elif' after '.else'"},
      {".if foo(\n.endif\n", "'.if': missing ')'"},
      {".iff 1\n", "unknown directive '.iff'"},
  };
  for (const auto& c : cases) {
    auto r = load_string(std::string(kTail) + std::string(c.text), "t.cfg", opts());
    EXPECT_GE(error_count(r), 1) << c.text;
    EXPECT_TRUE(has_diag(r, c.message)) << c.text << "\n" << dump(r);
  }
}

}  // namespace
}  // namespace sluice::config
