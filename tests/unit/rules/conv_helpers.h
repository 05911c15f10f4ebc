// What the converter tests share: a context whose variables hold known values (the same
// ones the HAProxy reference runs set: txn.s "hello", txn.i 7, txn.z 0, txn.n -3,
// txn.b "abd", txn.e "", and txn.t true), an expression evaluator that prints the value as a format would,
// and the load error of an expression.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "rules/expr.h"

namespace sluice::rules::test {

struct ConvFixture {
  Arena arena;
  VarStore sess, txn;
  Ctx c;
  ConvFixture() {
    c.phase = kHttpReq;
    c.arena = &arena;
    c.sess_vars = &sess;
    c.txn_vars = &txn;
    set("txn.s", Sample::of_str("hello"));
    set("txn.i", Sample::of_int(7));
    set("txn.z", Sample::of_int(0));
    set("txn.n", Sample::of_int(-3));
    set("txn.b", Sample::of_str("abd"));
    set("txn.e", Sample::of_str(""));
    set("txn.t", Sample::of_bool(true));
  }
  void set(std::string_view name, const Sample& s) {
    auto v = parse_var_name(name);
    ASSERT_TRUE(v) << name;
    set_var(c, *v, s);
  }
  // The printed value, "<none>" when there is none, "ERR: message" when it does not compile.
  std::string eval(std::string_view expr) {
    CompileCtx cc;
    cc.phases = kHttpReq;
    auto e = Expr::compile(expr, cc);
    if (!e) return "ERR: " + e.error().message;
    Sample s;
    if (!e->value(c, s)) return "<none>";
    std::string out;
    append_sample(s, out);
    return out;
  }
};

struct ConvRow {
  const char* expr;
  std::string want;
};

// Every row evaluates to its expected value (values taken from HAProxy 2.6.12 unless a
// comment says why sluice answers otherwise).
inline void expect_rows(std::initializer_list<ConvRow> rows) {
  for (const auto& r : rows) {
    ConvFixture f;
    EXPECT_EQ(f.eval(r.expr), r.want) << r.expr;
  }
}

// Each expression fails to load with a message containing `part`.
inline void expect_error(std::string_view expr, std::string_view part) {
  ConvFixture f;
  std::string got = f.eval(expr);
  EXPECT_TRUE(got.starts_with("ERR: ")) << expr << " gave " << got;
  EXPECT_NE(got.find(part), std::string::npos) << expr << ": " << got;
}

}  // namespace sluice::rules::test
