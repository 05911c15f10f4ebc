// Table tests of the line lexer (HAProxy's parse_line rules).
#include <gtest/gtest.h>

#include "config/lexer.h"

namespace sluice::config {
namespace {

struct Case {
  const char* in;
  std::vector<std::string> out;
};

std::optional<std::string> env(std::string_view n) {
  if (n == "HOST") return "10.0.0.1";
  if (n == "TWO") return "a  b";
  if (n == "EMPTY") return "";
  return std::nullopt;
}

std::vector<std::string> lex(std::string_view s) {
  auto r = lex_line(s, env);
  EXPECT_TRUE(r.has_value()) << s;
  return r ? r->words : std::vector<std::string>{};
}

TEST(ConfigLexerTest, Table) {
  const Case cases[] = {
      {"", {}},
      {"   \t ", {}},
      {"a b\tc", {"a", "b", "c"}},
      {"  lead trail  ", {"lead", "trail"}},
      {"# full comment", {}},
      {"a # comment", {"a"}},
      {"a#b", {"a"}},
      {"a \\#b", {"a", "#b"}},
      {"a\\ b", {"a b"}},
      {"a\\\\b", {"a\\b"}},
      {"\\r\\n\\t", {"\r\n\t"}},
      {"\\x41\\x62", {"Ab"}},
      {"a\\qb", {"a\\qb"}},
      {"\"a b\" c", {"a b", "c"}},
      {"'a b' c", {"a b", "c"}},
      {"\"a\"b\"c\"", {"abc"}},
      {"\"\"", {""}},
      {"'#x' \"#y\"", {"#x", "#y"}},
      {"\"a\\\"b\"", {"a\"b"}},
      {"'a\\ b'", {"a\\ b"}},
      {"$HOST:80", {"10.0.0.1:80"}},
      {"${HOST}:80", {"10.0.0.1:80"}},
      {"\"${HOST}\"", {"10.0.0.1"}},
      {"'${HOST}'", {"${HOST}"}},
      {"\\$HOST", {"$HOST"}},
      {"\"${TWO}\"", {"a  b"}},
      {"\"${TWO[*]}\"", {"a", "b"}},
      {"x \"${NOPE}\" y", {"x", "", "y"}},
      {"x $NOPE y", {"x", "y"}},
      {"\"${NOPE-dflt}\"", {"dflt"}},
      {"\"${EMPTY}\"", {""}},
      {"a $ b", {"a", "$", "b"}},
      {"line\r", {"line"}},
  };
  for (const auto& c : cases) EXPECT_EQ(lex(c.in), c.out) << "input: " << c.in;
}

TEST(ConfigLexerTest, Errors) {
  for (const char* bad : {"\"open", "'open", "\\x4", "\\xZZ", "${HOST", "${}"}) {
    auto r = lex_line(bad, env);
    EXPECT_FALSE(r.has_value()) << bad;
  }
  EXPECT_EQ(lex_line("\"open", env).error().message, "unmatched double quote");
}

TEST(ConfigLexerTest, TrailingBackslashIsLiteralNotContinuation) {
  auto r = lex_line("server a 1.2.3.4 \\", env);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->trailing_backslash);
  EXPECT_EQ(r->words.back(), "\\");
  auto q = lex_line("a b\\", env);
  ASSERT_TRUE(q);
  EXPECT_FALSE(q->trailing_backslash);
  EXPECT_EQ(q->words.back(), "b\\");
}

// Every split of a line into prefix/suffix gives the same words as the whole when the
// parts are concatenated (guards against state carried wrongly across positions).
TEST(ConfigLexerTest, NoEnvFunctionMeansUnset) {
  auto r = lex_line("a $HOST b", nullptr);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->words, (std::vector<std::string>{"a", "b"}));
}

}  // namespace
}  // namespace sluice::config
