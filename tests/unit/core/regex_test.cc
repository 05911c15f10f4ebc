#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/log.h"
#include "core/regex.h"

namespace sluice::core {
namespace {

using Outcome = Regex::Outcome;

Regex must(std::string_view pattern, RegexOptions o = {}) {
  auto r = Regex::compile(pattern, o);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
  return std::move(*r);
}

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// Both engines, so each test covers JIT and the interpreter (what a build without JIT runs).
class CoreRegexTest : public ::testing::TestWithParam<bool> {
 protected:
  RegexOptions opts(bool icase = false) const { return {.icase = icase, .jit = GetParam()}; }
};

TEST_P(CoreRegexTest, EngineIsTheOneAskedFor) {
  Regex r = must("a+", opts());
  // Debian's libpcre2-8 has JIT on amd64; elsewhere the interpreter stands in silently.
  if (GetParam()) EXPECT_TRUE(r.jit());
  else EXPECT_FALSE(r.jit());
}

TEST_P(CoreRegexTest, PerlSyntaxAnchorsAndCase) {
  Regex r = must("^/api/v[0-9]+/", opts());
  EXPECT_TRUE(r.search("/api/v2/users"));
  EXPECT_FALSE(r.search("/x/api/v2/"));
  EXPECT_FALSE(r.search("/API/v2/"));
  EXPECT_TRUE(must("^/API/", opts(true)).search("/api/v2/"));
  EXPECT_TRUE(must("\\.(jpg|png)$", opts()).search("/a/b.png"));
  EXPECT_FALSE(must("\\.(jpg|png)$", opts()).search("/a/b.png?x"));
  EXPECT_TRUE(must("\\d{3}\\s\\w+", opts()).search("HTTP 200 OK"));     // Perl classes
  EXPECT_TRUE(must("(?i)host", opts()).search("HOST"));                 // inline flags
  EXPECT_TRUE(must("(a)\\1", opts()).search("xaax"));                   // back-references
  EXPECT_TRUE(must("", opts()).search("anything"));
  // Bytes, not UTF-8: a NUL and high bytes are ordinary subject characters.
  EXPECT_TRUE(must("a\\x00b", opts()).search(std::string_view("a\0b", 3)));
  EXPECT_TRUE(must("^\\xff+$", opts()).search("\xff\xff"));
}

TEST_P(CoreRegexTest, CopiesShareTheCompiledCode) {
  Regex a = must("^ok$", opts());
  Regex b = a;
  std::vector<Regex> v{a, b};
  EXPECT_TRUE(v[1].search("ok"));
  EXPECT_EQ(&a.pattern(), &v[0].pattern());
}

TEST_P(CoreRegexTest, OneMegabyteOnALinearPattern) {
  std::string s(1 << 20, 'a');
  s[s.size() / 2] = 'b';
  // The interpreter keeps one frame per repetition of a group, bounded by kDepthLimit; the
  // JIT's frames live on its own stack. Each must answer correctly up to its bound.
  size_t n = GetParam() ? s.size() : 64 * 1024;
  std::string_view subject(s.data() + s.size() - n, n);
  Regex r = must("^(a|b)+$", opts());
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(r.search_outcome(subject), Outcome::Match);
  std::string bad(subject);
  bad.back() = 'c';
  EXPECT_EQ(r.search_outcome(bad), Outcome::NoMatch);   // gives back every byte: within the limit
  EXPECT_LT(ms_since(t0), 3000.0);   // ~0.1 s (JIT) on the dev box; generous for ASan
  EXPECT_EQ(r.limit_hits(), 0u);
}

TEST_P(CoreRegexTest, CatastrophicBacktrackingStopsOnTheLimit) {
  Regex r = must("(a+)+$", opts());
  for (size_t n : {40u, 16384u}) {
    std::string s(n, 'a');
    s += 'b';
    auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(r.search_outcome(s), Outcome::Limit) << n;
    EXPECT_FALSE(r.search(s));
    EXPECT_LT(ms_since(t0), 2000.0) << n;   // JIT ~2 ms, interpreter ~15 ms per call
  }
  EXPECT_EQ(r.limit_hits(), 4u);
  EXPECT_TRUE(r.search("aaaa"));            // still matches what it should
}

TEST_P(CoreRegexTest, ASearchIsBoundedAcrossStartPositions) {
  // PCRE2's match limit restarts at each start position. Runs of 17 a's keep every position
  // under it while the sum grows with the subject: seconds for 16 KB without a search budget.
  std::string s;
  while (s.size() + 18 <= 16000) s += std::string(17, 'a') + 'b';
  Regex r = must("(a+)+$", opts());
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(r.search_outcome(s), Outcome::Limit);
  // kSearchBudget plus one window (64 positions x at most 2^17 steps here).
  EXPECT_LT(ms_since(t0), 1500.0);
  EXPECT_EQ(r.limit_hits(), 1u);
  // Windows give the answers of one search: a match in a late window, and none at all.
  Regex late = must("b[0-9]{3}c", opts());
  std::string x(10000, 'x');
  EXPECT_FALSE(late.search(x));
  EXPECT_TRUE(late.search(x + "b123c"));
  EXPECT_TRUE(late.search(std::string(63, 'x') + "b123c"));   // across a window edge
  EXPECT_TRUE(must("x$", opts()).search(std::string(128, 'x')));
  EXPECT_TRUE(must("(?<=a)b", opts()).search(std::string(64, 'a') + "b"));   // looks back past it
  EXPECT_FALSE(must("^b", opts()).search(std::string(64, 'a') + "b"));
}

TEST_P(CoreRegexTest, TooDeepForTheInterpreterIsALimitToo) {
  // 1 MiB through a repeated group: past kDepthLimit for the interpreter; the JIT copes.
  std::string s(1 << 20, 'a');
  Regex r = must("^(a|b)+$", opts());
  EXPECT_EQ(r.search_outcome(s), GetParam() ? Outcome::Match : Outcome::Limit);
}

TEST_P(CoreRegexTest, EveryThreadHasItsOwnMatchState) {
  Regex r = must("^(x|y)+z$", opts());
  std::string ok(20000, 'x');
  ok += 'z';
  std::vector<std::thread> ts;
  std::atomic<int> good{0};
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&] {
      for (int i = 0; i < 50; ++i) good += r.search(ok) && !r.search("xxy") ? 1 : 0;
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(good.load(), 200);
}

INSTANTIATE_TEST_SUITE_P(Engines, CoreRegexTest, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& p) { return p.param ? "Jit" : "Interpreter"; });

TEST(CoreRegexCompileTest, ErrorsNameThePatternTheReasonAndTheOffset) {
  auto r = Regex::compile("^(a|b");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "invalid regex '^(a|b': missing closing parenthesis at offset 5");
  auto q = Regex::compile("a{2,1}");
  ASSERT_FALSE(q);
  EXPECT_NE(q.error().message.find("invalid regex 'a{2,1}': "), std::string::npos) << q.error().message;
  EXPECT_NE(q.error().message.find(" at offset 5"), std::string::npos) << q.error().message;
  EXPECT_FALSE(Regex::compile("[z-a]"));
  EXPECT_FALSE(Regex::compile("*"));
}

TEST(CoreRegexLogTest, ALimitHitIsLoggedOncePerRegex) {
  std::mutex mu;
  std::vector<std::string> lines;
  set_log_quiet(true);
  set_log_sink([&](Level, std::string_view m) {
    std::lock_guard lk(mu);
    lines.emplace_back(m);
  });
  Regex r = must("(a+)+$");
  Regex copy = r;
  std::string s(64, 'a');
  s += 'b';
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(r.search(s));
  EXPECT_FALSE(copy.search(s));                     // a copy is the same regex
  Regex other = must("(b+)+$");
  EXPECT_FALSE(other.search(std::string(64, 'b') + "a"));
  set_log_sink({});
  set_log_quiet(false);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "regex '(a+)+$' stopped on a 65 byte subject: match limit exceeded; "
                      "treated as no match (logged once per regex)");
  EXPECT_NE(lines[1].find("'(b+)+$'"), std::string::npos);
  EXPECT_EQ(r.limit_hits(), 6u);
}

}  // namespace
}  // namespace sluice::core
