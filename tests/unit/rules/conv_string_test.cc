// String converters: lower, upper, length, field, word, bytes, ltrim, rtrim, concat, strcmp, secure_memcmp, json, regsub.
// Expected values come from HAProxy 2.6.12 (/usr/sbin/haproxy answering
// `http-request return ... lf-string "%[EXPR]"`), except where a comment says otherwise.
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
  // str(a"b\c/d),json: ERR failed to parse sample expression <str(a"b\c/d),json]> : fetch method 'str' : expected ')'.
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
  // str(abc),field(0,_): ERR failed to parse sample expression <str(abc),field(0,_)]> : invalid args in converter 'field' : Unexpected value 0 for index.
  // str(abc),field(1,): ERR failed to parse sample expression <str(abc),field(1,)]> : invalid args in converter 'field' : Empty separators list.
  // str(abc),field(x,_): ERR failed to parse sample expression <str(abc),field(x,_)]> : invalid arg 1 in converter 'field' : failed to parse 'x' as type 'integer' at position 1.
  // str(abc),word(0,_): ERR failed to parse sample expression <str(abc),word(0,_)]> : invalid args in converter 'word' : Unexpected value 0 for index.
  // str(abc),word(1,): ERR failed to parse sample expression <str(abc),word(1,)]> : invalid args in converter 'word' : Empty separators list.
  // str(abc),regsub(a,b,x): ERR failed to parse sample expression <str(abc),regsub(a,b,x)]> : invalid args in converter 'regsub' : invalid regex flag 'x', only 'i' and 'g' are supported.
  // str(abc),regsub('(',b): ERR         parsing [/tmp/tmpyu396e3l.cfg:57]: error in regex '(' in arg 1 of conversion keyword 'regsub' for ACL keyword 'str' in proxy 'f' : regex '(' is invalid (error=missing closing parenthesis, erroffset=1).
  // str(abc),regsub(a): ERR failed to parse sample expression <str(abc),regsub(a)]> : invalid arg 2 in converter 'regsub' : missing arguments (got 1/2), type 'string' expected.
  // str(abc),json(bad): ERR failed to parse sample expression <str(abc),json(bad)]> : invalid args in converter 'json' : Unexpected input code type. Allowed value are 'ascii', 'utf8', 'utf8s', 'utf8p' and 'utf8ps'.
  // str(a),concat(a,notvar): ERR failed to parse sample expression <str(a),concat(a,notvar)]> : invalid args in converter 'concat' : failed to register variable name 'notvar'.
  // str(a),strcmp(): ERR failed to parse sample expression <str(a),strcmp()]> : invalid args in converter 'strcmp' : missing variable name.
  // str(a),strcmp(notvar): ERR failed to parse sample expression <str(a),strcmp(notvar)]> : invalid args in converter 'strcmp' : failed to register variable name 'notvar'.
  // str(a),lower(x): ERR failed to parse sample expression <str(a),lower(x)]> : invalid arg 1 in converter 'lower' : expected ')' before 'x)]'.
  });
}

}  // namespace
}  // namespace sluice::rules
