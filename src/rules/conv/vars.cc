// Variable converters (HAProxy 2.6 manual 7.3.1): set-var(name[,cond...]) stores the
// sample (keeping its type) and passes it on; unset-var(name) removes the variable and
// passes the sample on. When a condition of set-var does not hold, nothing is stored and
// the expression has no value, as in HAProxy.
#include <fmt/format.h>

#include "rules/domains.h"

namespace sluice::rules {

namespace {

enum Cond : uint16_t {
  kIfExists = 1 << 0, kIfNotExists = 1 << 1, kIfEmpty = 1 << 2, kIfNotEmpty = 1 << 3,
  kIfSet = 1 << 4, kIfNotSet = 1 << 5, kIfGt = 1 << 6, kIfLt = 1 << 7,
};

Result<void> check_set_var(Args& a, CompileCtx&) {
  static constexpr std::pair<std::string_view, uint16_t> kNames[] = {
      {"ifexists", kIfExists}, {"ifnotexists", kIfNotExists}, {"ifempty", kIfEmpty}, {"ifnotempty", kIfNotEmpty},
      {"ifset", kIfSet},       {"ifnotset", kIfNotSet},       {"ifgt", kIfGt},       {"iflt", kIfLt}};
  uint16_t conds = 0;
  for (size_t i = 1; i < a.size(); ++i) {
    if (!a.has(i)) continue;
    uint16_t bit = 0;
    for (auto [n, b] : kNames)
      if (a[i].str == n) bit = b;
    if (bit == 0)
      return fail(fmt::format("unknown condition '{}' (ifexists, ifnotexists, ifempty, ifnotempty, ifset, ifnotset, "
                              "ifgt, iflt)", a[i].str));
    conds |= bit;
  }
  a.state = std::make_shared<uint16_t>(conds);
  return {};
}

bool holds(uint16_t conds, Ctx& c, const VarRef& v, const Sample& s) {
  if (conds == 0) return true;
  Sample old;
  bool set = get_var(c, v, old);
  // proc variables exist from the start, set or not; the others exist while they are set.
  bool exists = set || v.scope == Scope::Proc;
  bool empty = (s.type == Type::Str || s.type == Type::Bin || s.type == Type::Meth) && s.str.empty();
  bool ints = set && old.type == Type::Sint && s.type == Type::Sint;
  if ((conds & kIfExists) && !exists) return false;
  if ((conds & kIfNotExists) && exists) return false;
  if ((conds & kIfEmpty) && !empty) return false;
  if ((conds & kIfNotEmpty) && empty) return false;
  if ((conds & kIfSet) && !set) return false;
  if ((conds & kIfNotSet) && set) return false;
  // ifgt / iflt compare the variable with the input, and only two integers.
  if ((conds & kIfGt) && ints && !(old.sint > s.sint)) return false;
  if ((conds & kIfLt) && ints && !(old.sint < s.sint)) return false;
  return true;
}

bool c_set_var(const Args& a, Ctx& c, Sample& s) {
  if (!holds(a.st<uint16_t>(), c, a[0].var, s)) return false;
  set_var(c, a[0].var, s);
  return true;
}

bool c_unset_var(const Args& a, Ctx& c, Sample&) {
  unset_var(c, a[0].var);
  return true;
}

constexpr ConvDef kRows[] = {
    {"set-var", "Vssss", Type::Any, Type::Any, c_set_var,
     "stores the sample in variable NAME and passes it on, if every [cond] holds (ifexists, ifnotexists, ifempty, "
     "ifnotempty, ifset, ifnotset, ifgt, iflt); otherwise no value",
     check_set_var},
    {"unset-var", "V", Type::Any, Type::Any, c_unset_var, "removes variable NAME and passes the sample on"},
};

}  // namespace

std::span<const ConvDef> conv_vars() { return kRows; }

}  // namespace sluice::rules
