// A compiled rule set (http-request, http-response, tcp-request content, ...): rules in
// configuration order, each an optional condition and an action. Running it is the loop
// "for each rule: if the condition holds, run the action", driven by the action's verdict.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "config/model.h"
#include "rules/acl.h"

namespace sluice::rules {

struct Rule {
  std::optional<Condition> cond;
  std::unique_ptr<Action> action;
  const ActionDef* def = nullptr;
  config::SourceLoc loc;
};

class RuleSet {
 public:
  // Compiles the rules of `proxy` whose set is `keyword`; every error goes to `errors` with
  // file:line, so that one run reports them all.
  static RuleSet compile(const config::ProxyConfig& proxy, std::string_view keyword, uint16_t phase,
                         const Resolver* resolver, std::vector<std::string>& errors);
  Verdict run(Ctx& c) const;
  bool empty() const { return rules_.empty(); }
  size_t size() const { return rules_.size(); }

 private:
  std::vector<Rule> rules_;
};

// The rule sets of one proxy section.
struct ProxyRules {
  RuleSet tcp_conn, tcp_sess, tcp_content, tcp_res, http_req, http_res, after_res;
  static ProxyRules compile(const config::ProxyConfig& proxy, const Resolver* resolver,
                            std::vector<std::string>& errors);
};

}  // namespace sluice::rules
