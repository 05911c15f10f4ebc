// The rule engine end to end below the proxy: configuration text -> compiled rule sets and
// conditions -> run on a parsed request. Errors carry file:line and say "not supported by
// sluice" for what sluice does not implement.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include "config/loader.h"
#include "http/parser.h"
#include "unit/rules/txn.h"
#include "proxy/runtime.h"
#include "rules/ruleset.h"

namespace sluice::rules {
namespace {

constexpr const char* kHead = "defaults\n  mode http\n  timeout connect 1s\n  timeout client 1s\n  timeout server 1s\n";

config::Config parse(std::string_view text) {
  config::LoadOptions o;
  o.resolve = false;
  auto r = config::load_string(text, "t.cfg", o);
  EXPECT_TRUE(r.ok());
  return r.ok() ? *r.config : config::Config{};
}

std::string build_error(std::string_view body) {
  auto cfg = parse(std::string(kHead) + std::string(body));
  auto rt = proxy::Runtime::build(cfg);
  return rt ? std::string() : rt.error().message;
}

using test_support::Txn;

RuleSet http_request_rules(std::string_view section, std::vector<std::string>& errors) {
  static std::vector<config::Config> keep;   // rule sets refer to their configuration
  keep.push_back(parse(std::string(kHead) + std::string(section)));
  const auto* p = keep.back().find_proxy("f");
  EXPECT_NE(p, nullptr);
  return RuleSet::compile(*p, "http-request", kHttpReq, nullptr, errors);
}

TEST(RulesEngineTest, HeaderEditsApplyInRuleOrder) {
  std::vector<std::string> errors;
  auto set = http_request_rules("frontend f\n  bind :80\n  http-request set-header X-A a\n  http-request del-header X-A\n"
                                "  http-request add-header X-B 1\n  http-request add-header X-B 2\n"
                                "  http-request set-header X-C %[hdr(x-b)]\n",
                                errors);
  ASSERT_TRUE(errors.empty()) << errors[0];
  Txn t("GET / HTTP/1.1\r\nHost: h\r\nX-A: old\r\n\r\n");
  EXPECT_EQ(set.run(t.ctx), Verdict::Continue);
  EXPECT_EQ(t.count("x-a"), 0);   // set then del: nothing (HAProxy sends nothing either)
  EXPECT_EQ(t.count("x-b"), 2);
  int c = t.req.find("x-c");
  ASSERT_GE(c, 0);
  EXPECT_EQ(t.req.headers[static_cast<size_t>(c)].value, "2");   // the last occurrence
}

TEST(RulesEngineTest, ConditionsAndVerdicts) {
  std::vector<std::string> errors;
  auto set = http_request_rules("frontend f\n  bind :80\n  acl api path_beg /api\n  acl api path /v2\n"
                                "  acl local src 10.0.0.0/8\n"
                                "  http-request deny deny_status 429 if api local !{ hdr(x-ok) -m found }\n"
                                "  http-request allow if { method POST } || { hdr(x-ok) yes }\n"
                                "  http-request deny\n",
                                errors);
  ASSERT_TRUE(errors.empty()) << errors[0];
  Txn a("GET /api/x HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(set.run(a.ctx), Verdict::Answered);
  EXPECT_EQ(a.ctx.reply.status, 429);
  Txn b("GET /v2 HTTP/1.1\r\nHost: h\r\nX-Ok: yes\r\n\r\n");
  EXPECT_EQ(set.run(b.ctx), Verdict::Stop);   // allow by the second term of the OR
  Txn c("GET /other HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(set.run(c.ctx), Verdict::Answered);
  EXPECT_EQ(c.ctx.reply.status, 403);
}

TEST(RulesEngineTest, ErrorsCarryFileLineAndSayNotSupported) {
  std::string m = build_error("frontend f\n  bind :80\n  acl x nosuchfetch(a) b\n  http-request deny if x\n"
                              "  http-request frobnicate\n  default_backend b\nbackend b\n  server s 127.0.0.1:1\n");
  EXPECT_NE(m.find("t.cfg:9: "), std::string::npos) << m;
  EXPECT_NE(m.find("unknown fetch method 'nosuchfetch'"), std::string::npos) << m;
  EXPECT_NE(m.find("t.cfg:10: 'http-request frobnicate': unknown action, not supported by sluice"),
            std::string::npos) << m;
  m = build_error("frontend f\n  bind :80\n  http-request set-header Content-Length 5\n  default_backend b\n"
                  "backend b\n  server s 127.0.0.1:1\n");
  EXPECT_NE(m.find("not supported by sluice"), std::string::npos) << m;
  m = build_error("frontend f\n  bind :80\n  http-request allow if { path,nosuchconv x }\n  default_backend b\n"
                  "backend b\n  server s 127.0.0.1:1\n");
  EXPECT_NE(m.find("unknown converter 'nosuchconv'"), std::string::npos) << m;
}

TEST(RulesEngineTest, CastsFollowHaproxy) {
  Arena a;
  Sample s = Sample::of_str("12abc");
  ASSERT_TRUE(cast(s, Type::Sint, a));
  EXPECT_EQ(s.sint, 12);
  s = Sample::of_str("abc");
  ASSERT_TRUE(cast(s, Type::Sint, a));   // no digits: 0, as HAProxy 2.6
  EXPECT_EQ(s.sint, 0);
  s = Sample::of_str("");
  EXPECT_FALSE(cast(s, Type::Sint, a));   // only an empty string has no value
  s = Sample::of_str("99999999999999999999");
  ASSERT_TRUE(cast(s, Type::Sint, a));
  EXPECT_EQ(s.sint, INT64_MAX);
  s = Sample::of_str("-99999999999999999999");
  ASSERT_TRUE(cast(s, Type::Sint, a));
  EXPECT_EQ(s.sint, INT64_MIN);
  s = Sample::of_str("-9223372036854775808");
  ASSERT_TRUE(cast(s, Type::Sint, a));
  EXPECT_EQ(s.sint, INT64_MIN);
  s = Sample::of_str("192.0.2.1");
  ASSERT_TRUE(cast(s, Type::Ipv6, a));
  ASSERT_TRUE(cast(s, Type::Ipv4, a));   // v4-mapped back to v4
  ASSERT_TRUE(cast(s, Type::Str, a));
  EXPECT_EQ(s.str, "192.0.2.1");
  s = Sample::of_int(-7);
  ASSERT_TRUE(cast(s, Type::Str, a));
  EXPECT_EQ(s.str, "-7");
  EXPECT_FALSE(can_cast(Type::Meth, Type::Sint));
  EXPECT_TRUE(can_cast(Type::Str, Type::Ipv4));
}

TEST(RulesEngineTest, VariablesByScope) {
  auto v = parse_var_name("txn.user");
  ASSERT_TRUE(v);
  EXPECT_FALSE(parse_var_name("bogus.x"));
  EXPECT_FALSE(parse_var_name("txn.a b"));
  Txn t("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  Sample out;
  EXPECT_FALSE(get_var(t.ctx, *v, out));
  set_var(t.ctx, *v, Sample::of_str("alice"));
  ASSERT_TRUE(get_var(t.ctx, *v, out));
  EXPECT_EQ(out.str, "alice");
  unset_var(t.ctx, *v);
  EXPECT_FALSE(get_var(t.ctx, *v, out));
}

}  // namespace
}  // namespace sluice::rules
