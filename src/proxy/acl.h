// ACLs and conditions, compiled once from the configuration and evaluated per request.
// What an ACL may fetch and how it may match is decided by config::resolve_acl
// (config/acl_spec.h, the one list): anything it accepts is evaluated here, exactly.
#pragma once

#include <sys/socket.h>

#include <memory>
#include <string>
#include <vector>

#include "config/model.h"
#include "core/result.h"
#include "http/message.h"
#include "proxy/sample.h"

namespace sluice::proxy {

class CompiledAcl;

class Condition {
 public:
  Condition();
  Condition(Condition&&) noexcept;
  Condition& operator=(Condition&&) noexcept;
  ~Condition();
  // Compiles `cond` against the proxy's named ACLs.
  static Result<Condition> compile(const config::Condition& cond, const std::vector<config::Acl>& acls);
  bool eval(const AclContext& ctx) const;
  // True when evaluating needs HTTP request data.
  bool needs_http() const { return needs_http_; }

 private:
  struct Term {
    bool negate;
    std::vector<const CompiledAcl*> acls;   // OR-ed (same-name ACLs)
  };
  bool unless_ = false;
  bool needs_http_ = false;
  std::vector<std::vector<Term>> any_of_;
  std::vector<std::unique_ptr<CompiledAcl>> owned_;
};

}  // namespace sluice::proxy
