// Arithmetic converters: add, sub, mul, div, mod, and, or, xor (integer or variable), neg, cpl, bool, not, odd, even.
// Expected values come from HAProxy 2.6.12 (/usr/sbin/haproxy answering
// `http-request return ... lf-string "%[EXPR]"`: scripts/haproxy-eval), except where a comment
// says otherwise.
#include "unit/rules/conv_helpers.h"

namespace sluice::rules {
namespace {

using test::expect_error;
using test::expect_rows;

TEST(ConvArithTest, MatchesHaproxy) {
  expect_rows({
      {R"~(int(5),add(3))~", "8"},
      {R"~(int(5),add(txn.i))~", "12"},
      {R"~(int(5),add(txn.nope))~", "<none>"},
      {R"~(int(9223372036854775807),add(1))~", "9223372036854775807"},
      {R"~(int(-9223372036854775808),add(-1))~", "-9223372036854775808"},
      {R"~(int(5),sub(7))~", "-2"},
      {R"~(int(-9223372036854775808),sub(1))~", "-9223372036854775808"},
      {R"~(int(9223372036854775807),sub(-1))~", "9223372036854775807"},
      {R"~(int(0),sub(-9223372036854775808))~", "9223372036854775807"},
      {R"~(int(-1),sub(-9223372036854775808))~", "9223372036854775807"},
      {R"~(int(6),mul(7))~", "42"},
      {R"~(int(4611686018427387904),mul(2))~", "9223372036854775807"},
      {R"~(int(4611686018427387904),mul(-3))~", "-9223372036854775808"},
      {R"~(int(-9223372036854775808),mul(-1))~", "9223372036854775807"},
      {R"~(int(0),mul(txn.nope))~", "<none>"},
      {R"~(int(7),div(2))~", "3"},
      {R"~(int(-7),div(2))~", "-3"},
      {R"~(int(7),div(0))~", "9223372036854775807"},
      {R"~(int(-7),div(0))~", "9223372036854775807"},
      {R"~(int(7),div(txn.z))~", "9223372036854775807"},
      {R"~(int(-9223372036854775808),div(-1))~", "9223372036854775807"},
      {R"~(int(7),mod(3))~", "1"},
      {R"~(int(-7),mod(3))~", "-1"},
      {R"~(int(7),mod(-3))~", "1"},
      {R"~(int(7),mod(0))~", "0"},
      {R"~(int(-9223372036854775808),mod(-1))~", "0"},
      {R"~(int(5),neg)~", "-5"},
      {R"~(int(-9223372036854775808),neg)~", "9223372036854775807"},
      {R"~(int(12),and(10))~", "8"},
      {R"~(int(12),or(3))~", "15"},
      {R"~(int(12),xor(10))~", "6"},
      {R"~(int(12),cpl)~", "-13"},
      {R"~(int(3),bool)~", "1"},
      {R"~(int(0),bool)~", "0"},
      {R"~(int(3),not)~", "0"},
      {R"~(int(0),not)~", "1"},
      {R"~(int(3),odd)~", "1"},
      {R"~(int(3),even)~", "0"},
      {R"~(int(-2),even)~", "1"},
      {R"~(int(-3),odd)~", "1"},
      {R"~(str(12),add(1))~", "13"},
      {R"~(str(x),add(1))~", "1"},   // a string without digits casts to 0
      {R"~(str(-x),add(1))~", "1"},
      {R"~(str( 3),add(1))~", "1"},
      {R"~(str(+5),add(1))~", "6"},
      {R"~(str(-5),add(1))~", "-4"},
      {R"~(str(99999999999999999999),add(0))~", "9223372036854775807"},
      {R"~(str(x),bool)~", "0"},
      {R"~(str(5x),bool)~", "1"},
      {R"~(int(5),add(txn.s))~", "5"},
      {R"~(int(5),add(txn.e))~", "<none>"},
      {R"~(var(txn.e),add(1))~", "<none>"},
      {R"~(int(5),add(-3))~", "2"},
      {R"~(int(5),add(+3))~", "8"},
      {R"~(int(5),and(txn.n))~", "5"},
      {R"~(int(1),div(0))~", "9223372036854775807"},
  });
}

// Rows where sluice answers otherwise than HAProxy 2.6.12.
TEST(ConvArithTest, Deviations) {
  expect_rows({
      // HAProxy 2.6.12 saturates the sum of two negative integers to the largest positive
      // one (-7 + -3 gives 9223372036854775807); sluice adds them.
      {R"~(int(-7),add(-3))~", "-10"},
      {R"~(int(-1),add(-1))~", "-2"},
      {R"~(int(-7),sub(3))~", "-10"},
      {R"~(int(-4611686018427387904),sub(4611686018427387904))~", "-9223372036854775808"},
      // A boolean variable is an integer operand.
      {R"~(int(5),add(txn.t))~", "6"},
  });
}

TEST(ConvArithTest, LoadErrors) {
  expect_error("int(1),add(foo)", "neither an integer nor a variable name");
  expect_error("int(1),add(txn)", "neither an integer nor a variable name");
  expect_error("int(1),add(1.5)", "neither an integer nor a variable name");
  expect_error("int(1),add()", "expects 1 argument");
  expect_error("int(1),div(a.b)", "unknown scope 'a'");
  expect_error("int(1),neg(1)", "takes at most 0 arguments");
}

}  // namespace
}  // namespace sluice::rules
