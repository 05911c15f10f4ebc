// String converters: lower, upper, length, field, word, bytes, ltrim, rtrim, concat, add_item,
// strcmp, secure_memcmp, json, regsub, cut_crlf, iif, host_only, port_only.
// Expected values come from HAProxy 2.6.12 (/usr/sbin/haproxy answering
// `http-request return ... lf-string "%[EXPR]"`: scripts/haproxy-eval), except where a comment
// says otherwise.
#include "unit/rules/conv_helpers.h"

namespace sluice::rules {
namespace {

using test::expect_error;
using test::expect_rows;

TEST(ConvStringTest, MatchesHaproxy) {
  expect_rows({
      {R"~(str(AbC),lower)~", "abc"},
      {R"~(str(AbC),upper)~", "ABC"},
      {R"~(str(abc),length)~", "3"},
      {R"~(bin(000102),length)~", "0"},   // bytes cast to a string stop at the first NUL
      {R"~(bin(410042),length)~", "1"},
      {R"~(bin(410042),upper)~", "A"},
      {R"~(bin(410042),bytes(1),length)~", "0"},
      {R"~(bin(4142),length)~", "2"},
      {R"~(str(a%00b),url_dec,length)~", "3"},   // a string keeps its NUL
      {R"~(str(f1_f2_f3__f5),field(5,_))~", "f5"},
      {R"~(str(f1_f2_f3__f5),field(2,_,0))~", "f2_f3__f5"},
      {R"~(str(f1_f2_f3__f5),field(2,_,2))~", "f2_f3"},
      {R"~(str(f1_f2_f3__f5),field(-2,_,3))~", "f2_f3_"},
      {R"~(str(f1_f2_f3__f5),field(-3,_,0))~", "f1_f2_f3"},
      {R"~(str(f1_f2_f3__f5),field(4,_))~", ""},
      {R"~(str(f1_f2_f3__f5),field(6,_))~", "<none>"},
      {R"~(str(f1_f2_f3__f5),field(-5,_))~", "f1"},
      {R"~(str(f1_f2_f3__f5),field(-6,_))~", "<none>"},
      {R"~(str(a.b:c),field(2,.:))~", "b"},
      {R"~(str(f1_f2_f3__f5),field(1,_,9))~", "f1_f2_f3__f5"},
      {R"~(str(f1_f2_f3__f5),field(-1,_,9))~", "f1_f2_f3__f5"},
      {R"~(str(f1_f2_f3__f5),word(4,_))~", "f5"},
      {R"~(str(f1_f2_f3__f5),word(2,_,0))~", "f2_f3__f5"},
      {R"~(str(f1_f2_f3__f5),word(3,_,2))~", "f3__f5"},
      {R"~(str(f1_f2_f3__f5),word(-2,_,3))~", "f1_f2_f3"},
      {R"~(str(f1_f2_f3__f5),word(-3,_,0))~", "f1_f2"},
      {R"~(str(/f1/f2/f3/f4),word(1,/))~", "f1"},
      {R"~(str(/f1/f2/f3/f4/),word(2,/,0))~", "f2/f3/f4/"},
      {R"~(str(/f1/f2/f3/f4/),word(-1,/))~", "f4"},
      {R"~(str(/f1/f2/f3/f4/),word(-2,/,0))~", "/f1/f2/f3"},
      {R"~(str(/f1/f2/f3/f4/),word(5,/))~", ""},
      {R"~(str(/f1/f2/f3/f4/),word(1,/,9))~", "f1/f2/f3/f4/"},
      {R"~(str(___),word(1,_))~", ""},
      {R"~(str(abc),bytes(1))~", "bc"},
      {R"~(str(abc),bytes(1,1))~", "b"},
      {R"~(str(abc),bytes(3))~", ""},
      {R"~(str(abc),bytes(5))~", ""},
      {R"~(str(abc),bytes(0,10))~", "abc"},
      {R"~(str(abc),bytes(1,0))~", ""},
      {R"~(str(xxabcxx),ltrim(x))~", "abcxx"},
      {R"~(str(xxabcxx),rtrim(x))~", "xxabc"},
      {R"~(str(xyabcyx),ltrim(yx))~", "abcyx"},
      {R"~(str(xxxx),ltrim(x))~", ""},
      {R"~(str(a),concat(<,txn.s,>))~", "a<hello>"},
      {R"~(str(a),concat(<,txn.nope,>))~", "a<>"},
      {R"~(str(a),concat(,txn.i))~", "a7"},
      {R"~(str(a),concat(-))~", "a-"},
      {R"~(str(a),concat())~", "a"},
      {R"~(str(abc),strcmp(txn.b))~", "-1"},
      {R"~(str(abz),strcmp(txn.b))~", "22"},
      {R"~(str(abd),strcmp(txn.b))~", "0"},
      {R"~(str(ab),strcmp(txn.b))~", "-1"},
      {R"~(str(abdd),strcmp(txn.b))~", "1"},
      {R"~(str(abc),strcmp(txn.nope))~", "<none>"},
      {R"~(str(7),strcmp(txn.i))~", "0"},
      {R"~(str(abd),secure_memcmp(txn.b))~", "1"},
      {R"~(str(abc),secure_memcmp(txn.b))~", "0"},
      {R"~(str(ab),secure_memcmp(txn.b))~", "0"},
      {R"~(str(ab),secure_memcmp(txn.nope))~", "<none>"},
      {R"~(bin(00010a0d090c087f80ff),json)~", ""},
      {R"~(bin(00010a0d090c087f80ff),json(ascii))~", ""},
      {R"~(bin(c3a9),json(utf8))~", "\\u00e9"},
      {R"~(bin(c3a9e282ac),json(utf8))~", "\\u00e9\\u20ac"},
      {R"~(bin(f09f9880),json(utf8))~", "<none>"},
      {R"~(bin(f09f9880),json(utf8s))~", ""},
      {R"~(bin(41ff42),json(utf8))~", "<none>"},
      {R"~(bin(41ff42),json(utf8s))~", "AB"},
      {R"~(bin(41ff42),json(utf8p))~", "<none>"},
      {R"~(bin(41ff42),json(utf8ps))~", "AB"},
      {R"~(bin(41c1a142),json(utf8))~", "<none>"},
      {R"~(bin(41c1a142),json(utf8s))~", "AB"},
      {R"~(bin(41c1a142),json(utf8p))~", "AaB"},
      {R"~(bin(41c1a142),json(utf8ps))~", "AaB"},
      {R"~(bin(41eda08042),json(utf8))~", "<none>"},
      {R"~(bin(41eda08042),json(utf8s))~", "AB"},
      {R"~(bin(41e08080),json(utf8p))~", "A\\u0000"},
      {R"~(bin(41c3),json(utf8))~", "<none>"},
      {R"~(bin(41c3),json(utf8s))~", "A"},
      {R"~(bin(4180),json(utf8s))~", "A"},
      {R"~(str(hello),regsub(l,L))~", "heLlo"},
      {R"~(str(hello),regsub(l,L,g))~", "heLLo"},
      {R"~(str(hello),regsub(L,x,gi))~", "hexxo"},
      {R"~(str(hello),regsub(L,x,i))~", "hexlo"},
      {R"~(str(abc),regsub('x*','-','g'))~", "-a-b-c-"},
      {R"~(str(abc),regsub('x*','-'))~", "-abc"},
      {R"~(str(aaa),regsub('^a','b','g'))~", "baa"},
      {R"~(str(foo12bar),regsub('(foo|bar)([0-9]+)?','\2\1','g'))~", "12foobar"},
      {R"~(str(ab),regsub('(a)(x)?','[\1\2\0]'))~", "[aa]b"},
      {R"~(str(hello),regsub(l,\x41\\\q))~", "heA\\qlo"},
      {R"~(str(a/////b//c),regsub('/+','/','g'))~", "a/b/c"},
      {R"~(str(abc),regsub('b*','-','g'))~", "-a--c-"},
      {R"~(str(abcb),regsub('b','','g'))~", "ac"},
      {R"~(var(txn.e),regsub('^','x'))~", "x"},
      {R"~(var(txn.e),regsub('x*','y','g'))~", "y"},
      {R"~(bin(410a0d090c087f0142),json)~", "A\\n\\r\\t\\f\\b\\u007f\\u0001B"},
      {R"~(bin(4180ff42),json(ascii))~", "A\\u0080\\u00ffB"},
      {R"~(bin(4100ff42),json)~", "A"},
      {R"~(str(a/b),json)~", "a\\/b"},
      {R"~(bin(612262),json)~", "a\\\"b"},
      {R"~(bin(615c62),json)~", "a\\\\b"},
      {R"~(bin(c3a9),json)~", "\\u00c3\\u00a9"},
      {R"~(str(a),add_item(-,txn.s,x))~", "a-hellox"},
      {R"~(var(txn.e),add_item(-,txn.s,x))~", "hellox"},
      {R"~(str(a),add_item(-,txn.nope))~", "a"},
      {R"~(str(a),add_item(-,txn.nope,x))~", "a-x"},
      {R"~(str(a),add_item(-,,x))~", "a-x"},
      {R"~(var(txn.e),add_item(-,txn.nope))~", ""},
      {R"~(str(a),add_item(-,txn.e))~", "a"},
      {R"~(bin(61620d63),cut_crlf)~", "ab"},
      {R"~(bin(61620a63),cut_crlf)~", "ab"},
      {R"~(str(abc),cut_crlf)~", "abc"},
      {R"~(bool(1),iif(yes,no))~", "yes"},
      {R"~(bool(0),iif(yes,no))~", "no"},
      {R"~(int(5),iif(yes,no))~", "yes"},
      {R"~(str(WWW.Example.org:8080),host_only)~", "www.example.org"},
      {R"~(str([::1]:80),host_only)~", "[::1]"},
      {R"~(str(a:80),port_only)~", "80"},
      {R"~(str(a),port_only)~", "0"},
  });
}

// Arguments as HAProxy 2.6 unquotes them: outside single quotes a backslash escapes only a
// backslash, a quote or a space, so groups (\1), classes (\d) and \xHH reach regsub.
TEST(ConvStringTest, RegsubArguments) {
  expect_rows({
      {R"~(str(abcb),regsub('b','','g'))~", "ac"},   // an empty substitution deletes
      {R"~(str(abc),regsub('(b)','\1\1'))~", "abbc"},
      {R"~(str(abc),regsub("(b)","<\1>"))~", "a<b>c"},
      {R"~(str(a12b),regsub(\d+,N))~", "aNb"},
      {R"~(str(a12b),regsub('[0-9]',\x41,g))~", "aAAb"},
      {R"~(str(x\d),regsub('\\d','D'))~", "xD"},      // \\d: a backslash, then d
      {R"~(str(a\\b),length)~", "3"},                  // \\ is one backslash
      {R"~(str("a\"b"),length)~", "3"},
  });
}

// Negative bytes() offsets and lengths: HAProxy 2.6 accepts them (answering "" or the whole
// input); sluice refuses them at load (below).
TEST(ConvStringTest, LoadErrors) {
  expect_error("str(abc),field(0,_)", "index 0 is invalid");
  expect_error("str(abc),word(0,_)", "index 0 is invalid");
  expect_error("str(abc),field(1,)", "argument 2 must not be empty");
  expect_error("str(abc),word(1)", "expects 2 arguments");
  expect_error("str(abc),field(x,_)", "'x' is not an integer");
  expect_error("str(abc),field(1,_,-1)", "must not be negative");
  expect_error("str(abc),regsub(a,b,x)", "unknown flag 'x'");
  expect_error("str(abc),regsub('(',b)", "invalid regex '('");
  expect_error("str(abc),regsub(a)", "expects a regex and a substitution");
  expect_error(R"~(str(abc),regsub(a,'\'))~", "lone backslash");
  expect_error(R"~(str(abc),regsub(a,'\xZZ'))~", "two hexadecimal digits");
  expect_error("str(abc),bytes(-1)", "offset -1 must not be negative");
  expect_error("str(abc),bytes(0,-1)", "length -1 must not be negative");
  expect_error("str(abc),json(bad)", "expects ascii, utf8, utf8s, utf8p or utf8ps");
  expect_error("str(a),concat(a,notvar)", "expected SCOPE.NAME");
  expect_error("str(a),concat(a,foo.x)", "unknown scope 'foo'");
  expect_error("str(a),strcmp()", "expects 1 argument");
  expect_error("str(a),strcmp(notvar)", "expected SCOPE.NAME");
  expect_error("str(a),secure_memcmp(txn)", "expected SCOPE.NAME");
  expect_error("str(a),lower(x)", "takes at most 0 arguments");
  expect_error("str(a),ltrim()", "expects 1 argument");
  expect_error("str(a),nosuch", "not supported by sluice");
  expect_error("str(a),add_item(-)", "expects a variable or a suffix");
  expect_error("bool(1),iif(yes)", "expects 2 arguments");
}

}  // namespace
}  // namespace sluice::rules
