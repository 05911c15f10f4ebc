#include "rules/ruleset.h"

#include <fmt/format.h>

namespace sluice::rules {

namespace {

// HAProxy 2.6's action names (http-request, http-response, http-after-response, tcp-request,
// tcp-response): one sluice has no row for is "not supported by sluice yet", any other word
// is a typo.
bool haproxy_action(std::string_view name) {
  static constexpr std::string_view k[] = {
      "accept", "add-acl", "add-header", "allow", "attach-srv", "auth", "cache-store", "cache-use", "capture",
      "close", "del-acl", "del-header", "del-map", "deny", "disable-l7-retry", "do-resolve", "early-hint",
      "expect-netscaler-cip", "expect-proxy", "lua", "normalize-uri", "redirect", "reject", "replace-header",
      "replace-path", "replace-pathq", "replace-uri", "replace-value", "return", "sc-inc-gpc", "sc-inc-gpc0",
      "sc-inc-gpc1", "sc-set-gpt", "sc-set-gpt0", "send-spoe-group", "set-bandwidth-limit", "set-dst",
      "set-dst-port", "set-header", "set-log-level", "set-map", "set-mark", "set-method", "set-nice", "set-path",
      "set-pathq", "set-priority-class", "set-priority-offset", "set-query", "set-src", "set-src-port",
      "set-status", "set-timeout", "set-tos", "set-uri", "set-var", "set-var-fmt", "silent-drop", "strict-mode",
      "switch-mode", "tarpit", "track-sc0", "track-sc1", "track-sc2", "unset-var", "use-service",
      "wait-for-body", "wait-for-handshake", "inspect-delay"};
  for (auto n : k)
    if (n == name) return true;
  return name.starts_with("lua.") || name.starts_with("track-sc") || name.starts_with("sc-");
}

}  // namespace

RuleSet RuleSet::compile(const config::ProxyConfig& proxy, std::string_view keyword, uint16_t phase,
                         const Resolver* resolver, std::vector<std::string>& errors) {
  RuleSet out;
  for (const auto& r : proxy.rules) {
    if (r.set != keyword) continue;
    auto err = [&](std::string_view msg) { errors.push_back(fmt::format("{}:{}: {}", r.loc.file, r.loc.line, msg)); };
    CompileCtx cc{phase, &proxy, resolver, r.loc, keyword, nullptr};
    std::string_view word = r.words[0];
    std::string_view name = word, paren;
    if (auto open = word.find('('); open != std::string_view::npos) {
      if (word.back() != ')') {
        err(fmt::format("'{} {}': missing ')'", keyword, word));
        continue;
      }
      name = word.substr(0, open);
      paren = word.substr(open + 1, word.size() - open - 2);
    }
    const ActionDef* def = find_action(name);
    if (def == nullptr) {
      if (haproxy_action(name))
        err(fmt::format("'{} {}' is not supported by sluice yet", keyword, name));
      else
        err(fmt::format("'{} {}': unknown action, not supported by sluice (sluice -dKact lists the actions it runs)", keyword, name));
      continue;
    }
    if ((def->phases & phase) == 0) {
      err(fmt::format("'{} {}': this action is not valid in {} rules (only {})", keyword, name, keyword,
                      phase_names(def->phases)));
      continue;
    }
    if (def->paren != !paren.empty() && !(def->paren && word.find('(') != std::string_view::npos)) {
      err(fmt::format("'{} {}': {}", keyword, word,
                      def->paren ? "expects an argument in parentheses" : "takes no argument in parentheses"));
      continue;
    }
    ActionParse ap{std::span(r.words), paren, cc};
    auto act = def->parse(ap);
    if (!act) {
      err(fmt::format("'{} {}': {}", keyword, name, act.error().message));
      continue;
    }
    Rule rule;
    rule.def = def;
    rule.loc = r.loc;
    rule.action = std::move(*act);
    if (r.cond) {
      auto c = Condition::compile(*r.cond, proxy.acls, cc);
      if (!c) {
        err(c.error().message);
        continue;
      }
      rule.cond = std::move(*c);
    }
    out.rules_.push_back(std::move(rule));
  }
  return out;
}

Verdict RuleSet::run(Ctx& c) const {
  for (const auto& r : rules_) {
    if (r.cond && !r.cond->eval(c)) continue;
    Verdict v = r.action->run(c);
    if (v != Verdict::Continue) return v;
  }
  return Verdict::Continue;
}

ProxyRules ProxyRules::compile(const config::ProxyConfig& proxy, const Resolver* resolver,
                               std::vector<std::string>& errors) {
  ProxyRules p;
  for (const auto& r : proxy.rules) {
    auto err = [&](std::string_view msg) { errors.push_back(fmt::format("{}:{}: {}", r.loc.file, r.loc.line, msg)); };
    bool backend_only = proxy.kind == config::ProxyConfig::Kind::Backend;
    if (backend_only && (r.set == "tcp-request connection" || r.set == "tcp-request session"))
      err(fmt::format("'{}' rules apply to frontends; backend '{}' cannot have them (as in HAProxy)", r.set, proxy.name));
    if (r.set == "tcp-response content")
      err("'tcp-response content' rules are not supported by sluice yet");
  }
  p.tcp_conn = RuleSet::compile(proxy, "tcp-request connection", kConn, resolver, errors);
  p.tcp_sess = RuleSet::compile(proxy, "tcp-request session", kSess, resolver, errors);
  p.tcp_content = RuleSet::compile(proxy, "tcp-request content", kReqContent, resolver, errors);
  p.tcp_res = RuleSet::compile(proxy, "tcp-response content", kResContent, resolver, errors);
  if (proxy.mode == config::Mode::Http) {
    p.http_req = RuleSet::compile(proxy, "http-request", kHttpReq, resolver, errors);
    p.http_res = RuleSet::compile(proxy, "http-response", kHttpRes, resolver, errors);
    p.after_res = RuleSet::compile(proxy, "http-after-response", kAfterRes, resolver, errors);
  }
  return p;
}

}  // namespace sluice::rules
