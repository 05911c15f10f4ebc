// Actions valid in every rule set: set-var, set-var-fmt, unset-var.
#include <fmt/format.h>

#include "rules/domains.h"
#include "rules/expr.h"

namespace sluice::rules {

namespace {

constexpr uint16_t kVarSets = kConn | kSess | kReqContent | kHttpReq | kResContent | kHttpRes | kAfterRes;

// set-var(NAME,cond...) conditions (HAProxy 2.6's set-var converter list), all must hold.
enum Cond : uint8_t {
  kIfExists = 1 << 0, kIfNotExists = 1 << 1, kIfEmpty = 1 << 2, kIfNotEmpty = 1 << 3,
  kIfSet = 1 << 4, kIfNotSet = 1 << 5, kIfGt = 1 << 6, kIfLt = 1 << 7,
};

Result<uint8_t> parse_cond(std::string_view w) {
  static constexpr std::pair<std::string_view, uint8_t> k[] = {
      {"ifexists", kIfExists}, {"ifnotexists", kIfNotExists}, {"ifempty", kIfEmpty}, {"ifnotempty", kIfNotEmpty},
      {"ifset", kIfSet}, {"ifnotset", kIfNotSet}, {"ifgt", kIfGt}, {"iflt", kIfLt}};
  for (auto [n, b] : k)
    if (n == w) return b;
  return fail(fmt::format("unknown condition '{}' (ifexists, ifnotexists, ifempty, ifnotempty, ifset, ifnotset, "
                          "ifgt, iflt)", w));
}

bool empty_sample(const Sample& s) {
  return (s.type == Type::Str || s.type == Type::Bin) && s.str.empty();
}

// Every condition of `conds` holds for setting `v` to `in`.
bool conds_hold(Ctx& c, const VarRef& v, uint8_t conds, const Sample& in) {
  if (conds == 0) return true;
  Sample old;
  bool set = get_var(c, v, old);
  // A proc variable exists from the configuration on (HAProxy creates it while parsing).
  bool exists = set || v.scope == Scope::Proc;
  if ((conds & kIfExists) && !exists) return false;
  if ((conds & kIfNotExists) && exists) return false;
  if ((conds & kIfSet) && !set) return false;
  if ((conds & kIfNotSet) && set) return false;
  if ((conds & kIfEmpty) && !empty_sample(in)) return false;
  if ((conds & kIfNotEmpty) && empty_sample(in)) return false;
  // ifgt/iflt compare two integers; anything else counts as true.
  bool ints = set && old.type == Type::Sint && in.type == Type::Sint;
  if ((conds & kIfGt) && ints && !(old.sint > in.sint)) return false;
  if ((conds & kIfLt) && ints && !(old.sint < in.sint)) return false;
  return true;
}

// txn, req and res variables live in a transaction, which tcp-request connection and session
// rules run before: HAProxy accepts such a rule and never sets anything.
Result<VarRef> parse_var_for(std::string_view name, const CompileCtx& cc) {
  auto v = parse_var_name(name);
  if (!v) return unexpected(v.error());
  if (v->scope == Scope::Check)
    return fail(fmt::format("variable '{}': the check scope only exists in health checks", name));
  if ((v->scope == Scope::Txn || v->scope == Scope::Req || v->scope == Scope::Res) && (cc.phases & (kConn | kSess)) != 0)
    return fail(fmt::format("variable '{}': {} rules run before any transaction exists, so a {} variable would never "
                            "be set (use sess.*)", name, cc.what, to_string(v->scope)));
  return v;
}

class SetVar final : public Action {
 public:
  SetVar(VarRef v, uint8_t conds, std::optional<Expr> expr, std::optional<Format> fmt)
      : var_(std::move(v)), conds_(conds), expr_(std::move(expr)), fmt_(std::move(fmt)) {}
  Verdict run(Ctx& c) const override {
    Sample s;
    if (expr_) {
      if (!expr_->value(c, s)) return Verdict::Continue;   // no value: the variable is left as it is
    } else {
      s = Sample::of_str(fmt_->render(c));
    }
    if (conds_hold(c, var_, conds_, s)) set_var(c, var_, s);
    return Verdict::Continue;
  }

 private:
  VarRef var_;
  uint8_t conds_;
  std::optional<Expr> expr_;
  std::optional<Format> fmt_;
};

Result<std::unique_ptr<Action>> parse_set_var(ActionParse& p) {
  bool is_fmt = p.words[0].starts_with("set-var-fmt");
  if (p.words.size() != 2)
    return fail(is_fmt ? "expects a log-format string (quote it if it has spaces)" : "expects a sample expression");
  std::string_view paren = p.paren;
  std::string_view name = paren.substr(0, paren.find(','));
  auto v = parse_var_for(name, p.cc);
  if (!v) return unexpected(v.error());
  uint8_t conds = 0;
  size_t n = 0;
  for (size_t pos = name.size(); pos < paren.size();) {
    size_t next = paren.find(',', pos + 1);
    std::string_view w = paren.substr(pos + 1, next == std::string_view::npos ? std::string_view::npos : next - pos - 1);
    auto b = parse_cond(w);
    if (!b) return unexpected(b.error());
    conds |= *b;
    if (++n > 4) return fail("at most 4 conditions");
    pos = next == std::string_view::npos ? paren.size() : next;
  }
  std::optional<Expr> expr;
  std::optional<Format> fmt;
  if (is_fmt) {
    auto f = Format::compile(p.words[1], p.cc);
    if (!f) return unexpected(f.error());
    fmt = std::move(*f);
  } else {
    auto e = Expr::compile(p.words[1], p.cc);
    if (!e) return unexpected(e.error());
    expr = std::move(*e);
  }
  return std::unique_ptr<Action>(new SetVar(std::move(*v), conds, std::move(expr), std::move(fmt)));
}

class UnsetVar final : public Action {
 public:
  explicit UnsetVar(VarRef v) : var_(std::move(v)) {}
  Verdict run(Ctx& c) const override {
    unset_var(c, var_);
    return Verdict::Continue;
  }

 private:
  VarRef var_;
};

Result<std::unique_ptr<Action>> parse_unset_var(ActionParse& p) {
  if (p.words.size() != 1) return fail(fmt::format("unexpected '{}'", p.words[1]));
  auto v = parse_var_for(p.paren, p.cc);
  if (!v) return unexpected(v.error());
  return std::unique_ptr<Action>(new UnsetVar(std::move(*v)));
}

constexpr ActionDef kActions[] = {
    {"set-var", kVarSets, parse_set_var,
     "set variable NAME (scope.name[,ifexists|ifnotexists|ifempty|ifnotempty|ifset|ifnotset|ifgt|iflt]) to EXPR",
     true},
    {"set-var-fmt", kVarSets, parse_set_var, "set variable NAME[,cond...] to the string the log-format FMT renders",
     true},
    {"unset-var", kVarSets, parse_unset_var, "forget variable NAME", true},
};

}  // namespace

std::span<const ActionDef> action_common() { return kActions; }

}  // namespace sluice::rules
