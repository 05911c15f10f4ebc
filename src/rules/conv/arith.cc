// Arithmetic and bitwise converters (HAProxy 2.6 manual 7.3.1): add, sub, mul, div, mod,
// and, or, xor take an integer or a variable name; neg, cpl, bool, not, odd, even take
// none. Results saturate instead of wrapping; div by 0 is the largest integer, mod by 0 is 0.
#include <fmt/format.h>

#include <charconv>
#include <limits>

#include "rules/conv/common.h"
#include "rules/domains.h"

namespace sluice::rules {

namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

// The operand: a constant, or a variable read (and cast to an integer) per call.
struct Operand {
  bool is_var = false;
  int64_t value = 0;
  VarRef var;
};

Result<void> check_operand(Args& a, CompileCtx&) {
  auto op = std::make_shared<Operand>();
  std::string_view t = a[0].str;
  const char* b = t.data();
  const char* e = t.data() + t.size();
  if (b != e && *b == '+') ++b;
  auto r = std::from_chars(b, e, op->value);
  if (r.ec != std::errc() || r.ptr != e) {
    auto v = parse_var_name(t);
    if (!v) return fail(fmt::format("'{}' is neither an integer nor a variable name ({})", t, v.error().message));
    op->is_var = true;
    op->var = std::move(*v);
  }
  a.state = std::move(op);
  return {};
}

bool operand(const Args& a, Ctx& c, int64_t& out) {
  const auto& op = a.st<Operand>();
  if (!op.is_var) {
    out = op.value;
    return true;
  }
  Sample v;
  if (!conv::var_as(c, op.var, Type::Sint, v)) return false;
  out = v.sint;
  return true;
}

int64_t sat_add(int64_t x, int64_t y) {
  int64_t r;
  if (__builtin_add_overflow(x, y, &r)) return y > 0 ? kMax : kMin;
  return r;
}
int64_t sat_sub(int64_t x, int64_t y) {
  int64_t r;
  if (__builtin_sub_overflow(x, y, &r)) return y < 0 ? kMax : kMin;
  return r;
}
int64_t sat_mul(int64_t x, int64_t y) {
  int64_t r;
  if (__builtin_mul_overflow(x, y, &r)) return (x < 0) == (y < 0) ? kMax : kMin;
  return r;
}
int64_t div0(int64_t x, int64_t y) {
  if (y == 0) return kMax;
  if (y == -1 && x == kMin) return kMax;
  return x / y;
}
int64_t mod0(int64_t x, int64_t y) {
  if (y == 0 || y == -1) return 0;
  return x % y;
}
int64_t band(int64_t x, int64_t y) { return x & y; }
int64_t bor(int64_t x, int64_t y) { return x | y; }
int64_t bxor(int64_t x, int64_t y) { return x ^ y; }

template <int64_t (*Op)(int64_t, int64_t)>
bool c_binary(const Args& a, Ctx& c, Sample& s) {
  int64_t y = 0;
  if (!operand(a, c, y)) return false;
  s.sint = Op(s.sint, y);
  return true;
}

bool c_neg(const Args&, Ctx&, Sample& s) {
  s.sint = s.sint == kMin ? kMax : -s.sint;
  return true;
}
bool c_cpl(const Args&, Ctx&, Sample& s) {
  s.sint = ~s.sint;
  return true;
}
bool c_bool(const Args&, Ctx&, Sample& s) {
  s = Sample::of_bool(s.sint != 0);
  return true;
}
bool c_not(const Args&, Ctx&, Sample& s) {
  s = Sample::of_bool(s.sint == 0);
  return true;
}
bool c_odd(const Args&, Ctx&, Sample& s) {
  s = Sample::of_bool((s.sint & 1) != 0);
  return true;
}
bool c_even(const Args&, Ctx&, Sample& s) {
  s = Sample::of_bool((s.sint & 1) == 0);
  return true;
}

constexpr ConvDef kRows[] = {
    {"add", "S", Type::Sint, Type::Sint, c_binary<sat_add>, "adds VALUE (an integer or a variable), saturating",
     check_operand},
    {"sub", "S", Type::Sint, Type::Sint, c_binary<sat_sub>, "subtracts VALUE (an integer or a variable), saturating",
     check_operand},
    {"mul", "S", Type::Sint, Type::Sint, c_binary<sat_mul>, "multiplies by VALUE (an integer or a variable), saturating",
     check_operand},
    {"div", "S", Type::Sint, Type::Sint, c_binary<div0>,
     "divides by VALUE (an integer or a variable); by 0: the largest integer", check_operand},
    {"mod", "S", Type::Sint, Type::Sint, c_binary<mod0>,
     "the remainder of the division by VALUE (an integer or a variable); by 0: 0", check_operand},
    {"and", "S", Type::Sint, Type::Sint, c_binary<band>, "bitwise AND with VALUE (an integer or a variable)",
     check_operand},
    {"or", "S", Type::Sint, Type::Sint, c_binary<bor>, "bitwise OR with VALUE (an integer or a variable)", check_operand},
    {"xor", "S", Type::Sint, Type::Sint, c_binary<bxor>, "bitwise XOR with VALUE (an integer or a variable)",
     check_operand},
    {"neg", "", Type::Sint, Type::Sint, c_neg, "the opposite of the integer (saturating)"},
    {"cpl", "", Type::Sint, Type::Sint, c_cpl, "the ones' complement of the integer"},
    {"bool", "", Type::Sint, Type::Bool, c_bool, "true when the integer is not 0"},
    {"not", "", Type::Sint, Type::Bool, c_not, "true when the integer is 0"},
    {"odd", "", Type::Sint, Type::Bool, c_odd, "true when the integer is odd"},
    {"even", "", Type::Sint, Type::Bool, c_even, "true when the integer is even"},
};

}  // namespace

std::span<const ConvDef> conv_arith() { return kRows; }

}  // namespace sluice::rules
