// Variable converters: set-var(name[,cond...]) and unset-var(name). Expected behaviour
// checked against HAProxy 2.6.12: a condition that does not hold stores nothing and the
// expression has no value; unset-var passes the sample on.
#include "unit/rules/conv_helpers.h"

namespace sluice::rules {
namespace {

using test::ConvFixture;
using test::expect_error;
using test::expect_rows;

TEST(ConvVarsTest, SetVarPassesTheSampleOnAndKeepsItsType) {
  ConvFixture f;
  EXPECT_EQ(f.eval("int(4),set-var(txn.q),add(1)"), "5");
  EXPECT_EQ(f.eval("var(txn.q),add(10)"), "14");
  auto v = parse_var_name("txn.q");
  ASSERT_TRUE(v);
  Sample s;
  ASSERT_TRUE(get_var(f.c, *v, s));
  EXPECT_EQ(s.type, Type::Sint);
  EXPECT_EQ(f.eval("str(abc),set-var(sess.w),upper"), "ABC");
  EXPECT_EQ(f.eval("var(sess.w)"), "abc");
}

TEST(ConvVarsTest, Conditions) {
  // The fixture holds txn.s "hello", txn.i 7, txn.e "".
  expect_rows({
      {"str(x),set-var(txn.s,ifnotexists),concat(/,txn.s)", "<none>"},
      {"str(x),set-var(txn.s,ifexists),concat(/,txn.s)", "x/x"},
      {"str(x),set-var(txn.new,ifnotexists),concat(/,txn.new)", "x/x"},
      {"str(x),set-var(txn.new,ifexists),concat(/,txn.new)", "<none>"},
      {"str(x),set-var(txn.s,ifset),concat(/,txn.s)", "x/x"},
      {"str(x),set-var(txn.s,ifnotset),concat(/,txn.s)", "<none>"},
      {"var(txn.e),set-var(txn.s,ifnotempty),concat(/,txn.s)", "<none>"},
      {"var(txn.e),set-var(txn.s,ifempty),concat(/,txn.s)", "/"},
      {"int(1),set-var(txn.s,ifempty),concat(/,txn.s)", "<none>"},   // scalars are never empty
      // ifgt / iflt: the variable compared with the input, when both are integers.
      {"int(3),set-var(txn.i,ifgt),concat(/,txn.i)", "3/3"},
      {"int(9),set-var(txn.i,ifgt),concat(/,txn.i)", "<none>"},
      {"int(9),set-var(txn.i,iflt),concat(/,txn.i)", "9/9"},
      {"int(3),set-var(txn.i,iflt),concat(/,txn.i)", "<none>"},
      {"str(9),set-var(txn.i,iflt),concat(/,txn.i)", "9/9"},   // not two integers: holds
      {"int(9),set-var(txn.u,ifnotset,iflt),concat(/,txn.u)", "9/9"},
      {"int(9),set-var(txn.i,ifset,iflt,ifexists,ifnotempty),concat(/,txn.i)", "9/9"},
      // unset-var passes the sample on; the variable no longer exists.
      {"str(x),unset-var(txn.s),concat(/,txn.s)", "x/"},
      {"str(x),unset-var(txn.s),set-var(txn.s,ifnotset),concat(/,txn.s)", "x/x"},
      {"str(x),unset-var(txn.s),set-var(txn.s,ifexists),concat(/,txn.s)", "<none>"},
  });
}

TEST(ConvVarsTest, ProcVariablesAlwaysExist) {
  ConvFixture f;
  EXPECT_EQ(f.eval("str(p),set-var(proc.conv_test_p,ifexists)"), "p");
  EXPECT_EQ(f.eval("str(q),set-var(proc.conv_test_p,ifnotset)"), "<none>");
  EXPECT_EQ(f.eval("str(r),unset-var(proc.conv_test_p),set-var(proc.conv_test_p,ifnotset)"), "r");
  EXPECT_EQ(f.eval("var(proc.conv_test_p)"), "r");
}

TEST(ConvVarsTest, LoadErrors) {
  expect_error("str(a),set-var(bad)", "expected SCOPE.NAME");
  expect_error("str(a),set-var(foo.x)", "unknown scope 'foo'");
  expect_error("str(a),set-var(txn.x,bogus)", "unknown condition 'bogus'");
  expect_error("str(a),set-var(txn.x,ifset,ifset,ifset,ifset,ifset)", "takes at most 5 arguments");
  expect_error("str(a),set-var()", "expects 1 argument");
  expect_error("str(a),unset-var(txn.a,b)", "takes at most 1 argument");
}

}  // namespace
}  // namespace sluice::rules
