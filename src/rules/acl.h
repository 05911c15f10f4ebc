// ACLs and conditions on the rules engine. An ACL is an expression (a fetch with its
// converters, or an ACL keyword: `path_beg` = `path` + `-m beg`) and a pattern set; a
// condition is an OR of ANDs of possibly negated ACLs, as HAProxy evaluates them. Both
// compile once at load; evaluating parses nothing.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/model.h"
#include "rules/expr.h"

namespace sluice::rules {

class CompiledAcl;

class Condition {
 public:
  Condition();
  Condition(Condition&&) noexcept;
  Condition& operator=(Condition&&) noexcept;
  ~Condition();
  // Compiles `cond` against the section's named ACLs (several ACLs of one name are OR-ed;
  // predefined ACLs such as TRUE or METH_GET come last).
  static Result<Condition> compile(const config::Condition& cond, const std::vector<config::Acl>& acls,
                                   CompileCtx& cc);
  bool eval(Ctx& c) const;
  // The phases every ACL of the condition can run in.
  uint16_t phases() const { return phases_; }
  bool needs_http() const { return (phases_ & (kConn | kSess)) == 0; }

 private:
  struct Term {
    bool negate;
    std::vector<const CompiledAcl*> acls;
  };
  bool unless_ = false;
  uint16_t phases_ = kAnyPhase;
  std::vector<std::vector<Term>> any_of_;
  std::vector<std::unique_ptr<CompiledAcl>> owned_;
};

// One ACL alone (unit tests, `-dK`).
Result<std::unique_ptr<CompiledAcl>> compile_acl(const config::Acl& a, CompileCtx& cc);
bool eval_acl(const CompiledAcl& a, Ctx& c);

// HAProxy's predefined ACLs sluice implements (TRUE, LOCALHOST, METH_GET, HTTP_1.1, ...).
std::optional<config::Acl> predefined_acl(std::string_view name);

}  // namespace sluice::rules
