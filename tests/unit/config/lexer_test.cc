// Table tests of the line lexer. Each expansion and escape case was checked against
// HAProxy 2.6.12 (`haproxy -c` on `.notice <case>` lines) with HOST=10.0.0.1, TWO="a  b",
// LEAD=" a b ", EMPTY="".
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
  if (n == "LEAD") return " a b ";
  if (n == "TAIL") return "a ";
  if (n == "EMPTY") return "";
  return std::nullopt;
}

LexContext ctx() { return LexContext{env, "dir/t.cfg", 42, "be1"}; }

std::vector<std::string> lex(std::string_view s) {
  auto r = lex_line(s, ctx());
  EXPECT_TRUE(r.has_value()) << s << ": " << (r ? "" : r.error().message);
  return r ? r->words : std::vector<std::string>{};
}

TEST(ConfigLexerTest, Words) {
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
      {"\"a\\x41\"", {"aA"}},
      {"a\\qb", {"a\\qb"}},
      {"\"a\\qb\"", {"a\\qb"}},
      {"\"a\\#b\"", {"a#b"}},
      {"\"a b\" c", {"a b", "c"}},
      {"'a b' c", {"a b", "c"}},
      {"\"a\"b\"c\"", {"abc"}},
      {"'#x' \"#y\"", {"#x", "#y"}},
      {"\"a\\\"b\"", {"a\"b"}},
      {"\"a\\'b\"", {"a'b"}},
      {"'a\\\"b'", {"a\\\"b"}},
      {"'a\\ b'", {"a\\ b"}},
      {"line\r", {"line"}},
  };
  for (const auto& c : cases) EXPECT_EQ(lex(c.in), c.out) << "input: " << c.in;
}

TEST(ConfigLexerTest, VariablesExpandOnlyInsideDoubleQuotes) {
  const Case cases[] = {
      {"$HOST:80", {"$HOST:80"}},
      {"${HOST}:80", {"${HOST}:80"}},
      {"a${HOST}b", {"a${HOST}b"}},
      {"${NOPE-d2}", {"${NOPE-d2}"}},
      {"${TWO[*]}", {"${TWO[*]}"}},
      {"a$", {"a$"}},
      {"'${HOST}'", {"${HOST}"}},
      {"\"$HOST:80\"", {"10.0.0.1:80"}},
      {"\"${HOST}\":80", {"10.0.0.1:80"}},
      {"\"${HOST}${HOST}\"", {"10.0.0.110.0.0.1"}},
      {"\"$HOST.x\"", {"10.0.0.1.x"}},
      {"\"$HOST-x\"", {"10.0.0.1-x"}},
      {"\"${HOST-x}\"", {"10.0.0.1"}},
      {"\"${HOST-}\"", {"10.0.0.1"}},
      {"\"${TWO}\"", {"a  b"}},
      {"\"${TWO}[*]\"", {"a  b[*]"}},
      {"\"$TWO[*]\"", {"a  b[*]"}},
      // Escapes: `\$` is a `$` only where `$` means something.
      {"\"\\$HOST\"", {"$HOST"}},
      {"\"\\\\$HOST\"", {"\\10.0.0.1"}},
      {"a\\$b", {"a\\$b"}},
      {"bind \"${HOST}:8080\" name x", {"bind", "10.0.0.1:8080", "name", "x"}},
  };
  for (const auto& c : cases) EXPECT_EQ(lex(c.in), c.out) << "input: " << c.in;
}

TEST(ConfigLexerTest, DefaultsAndUnsetVariables) {
  const Case cases[] = {
      {"\"${NOPE-dflt}\"", {"dflt"}},
      {"\"${NOPE-d 3}\"", {"d 3"}},
      {"\"${_X-u}\"", {"u"}},
      {"\"${EMPTY-x}\" y", {}},               // the default replaces unset, not empty
      {"x\"${NOPE}\"y", {"xy"}},
      {"\"${NOPE-${HOST}}\"", {"${HOST}"}},   // the default is taken as written, up to '}'
      {"\"${NOPE-a}b}\"", {"ab}"}},
      {"\"${NOPE-a\\\"b}\"", {"a\\\"b"}},
  };
  for (const auto& c : cases) EXPECT_EQ(lex(c.in), c.out) << "input: " << c.in;
}

TEST(ConfigLexerTest, WordExpansion) {
  const Case cases[] = {
      {"\"${TWO[*]}\"", {"a", "b"}},
      {"\"x${TWO[*]}y\"", {"xa", "by"}},
      {"\"${TWO[*]-x}\"", {"a", "b"}},
      {"\"${NOPE[*]-x y}\"", {"x", "y"}},
      {"\"${TAIL[*]}\"", {"a"}},         // a trailing blank makes an empty last word
      {"\"${NOPE[*]}\" z", {}},
      {"a \"${LEAD[*]}\"", {"a"}},       // a leading blank makes an empty word first
  };
  for (const auto& c : cases) EXPECT_EQ(lex(c.in), c.out) << "input: " << c.in;
}

TEST(ConfigLexerTest, PseudoVariables) {
  EXPECT_EQ(lex("\"${.FILE}:${.LINE}\" \"$.SECTION\""), (std::vector<std::string>{"dir/t.cfg:42", "be1"}));
  EXPECT_EQ(lex("\"${.LINE}x\" $.LINE"), (std::vector<std::string>{"42x", "$.LINE"}));
  auto r = lex_line("\"${.SECTION}\"", env);   // without a context: empty
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->words.empty());
}

TEST(ConfigLexerTest, EmptyWordEndsTheArguments) {
  auto r = lex_line("server s 1.2.3.4:80 \"${EMPTY}\" check 'x y'", ctx());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->words, (std::vector<std::string>{"server", "s", "1.2.3.4:80"}));
  EXPECT_EQ(r->ignored, (std::vector<std::string>{"check", "x y"}));
  auto q = lex_line("\"\" maxconn 10", ctx());
  ASSERT_TRUE(q);
  EXPECT_TRUE(q->words.empty());
  EXPECT_EQ(q->ignored.size(), 2u);
  auto t = lex_line("a \"\"", ctx());
  ASSERT_TRUE(t);
  EXPECT_EQ(t->words, (std::vector<std::string>{"a"}));
  EXPECT_TRUE(t->ignored.empty());
}

TEST(ConfigLexerTest, Errors) {
  for (const char* bad : {"\"open", "'open", "\\x4", "\\xZZ", "\"${HOST\"", "\"${}\"", "\"a$\"", "\"$ x\"",
                          "\"$1abc\"", "\"${1abc}\"", "\"${HO ST}\"", "\"${TWO[x]}\"", "\"${.FOO}\"",
                          "\"$..LINE\"", "\"${HOST:-x}\""}) {
    auto r = lex_line(bad, ctx());
    EXPECT_FALSE(r.has_value()) << bad;
  }
  EXPECT_EQ(lex_line("\"open", env).error().message, "unmatched double quote");
  EXPECT_EQ(lex_line("a \"${HOST\"", env).error().message, "missing closing '}' in '${' variable at column 4");
  EXPECT_EQ(lex_line("\"${.FOO}\"", env).error().message,
            "unknown pseudo-variable '.FOO' (.FILE, .LINE and .SECTION exist) at column 2");
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
  auto e = lex_line("a \"\" \\", env);   // ignored with the rest after the empty word
  ASSERT_TRUE(e);
  EXPECT_FALSE(e->trailing_backslash);
  EXPECT_EQ(e->ignored, (std::vector<std::string>{"\\"}));
}

TEST(ConfigLexerTest, NoEnvFunctionMeansUnset) {
  auto r = lex_line("a \"$HOST\" b", GetEnv{});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->words, (std::vector<std::string>{"a"}));
}

}  // namespace
}  // namespace sluice::config
