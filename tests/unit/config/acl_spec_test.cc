// Which ACLs, sample expressions and rule values the parser accepts: each accepted one is
// evaluated by proxy/ (tests/unit/proxy/acl_test.cc); each refused one is an error with
// file:line, never an ACL that silently never matches.
#include "config/acl_spec.h"

#include <gtest/gtest.h>

#include "unit/config/test_util.h"

namespace sluice::config {
namespace {

using testing::dump;
using testing::has_diag;
using testing::kDefaults;
using testing::load;

LoadResult load_acl(std::string_view acl) {
  return load(std::string(kDefaults) + "frontend f\n  bind :80\n  mode http\n  acl a " + std::string(acl) +
              "\n  http-request deny if a\n  default_backend b\nbackend b\n  server s 127.0.0.1:1\n");
}

TEST(AclSpecTest, Accepted) {
  for (const char* ok : {
           "path /x", "path_beg /a /b", "path_end .png", "path_sub x", "path_dir api", "path_dom x", "path_reg ^/x",
           "path_len gt 10", "url_beg /", "url_len 1:100", "query -m found", "query a=1", "method GET HEAD",
           "req.ver 1.1", "hdr(host) -i a.example", "req.hdr(host) a", "hdr(x,-1) a", "hdr(x,2) a",
           "hdr_beg(host) www.", "hdr_end(host) .org", "hdr_dom(host) example", "hdr_sub(x) y", "hdr_reg(x) ^y",
           "hdr_len(x) 0", "hdr_val(x) gt 10", "hdr_val(x) ge 1 le 5", "req.hdr_val(x) 5:10", "hdr_val(x) :5",
           "hdr_val(x) 5:", "hdr_val(x) -- -5", "hdr(x) -m int gt 10", "hdr(x) -m ip 10.0.0.0/8",
           "hdr_ip(x-forwarded-for) 10.0.0.0/8 ::1", "hdr_cnt(x) gt 1", "req.fhdr(x) a, b", "req.fhdr_cnt(x) 2",
           "req.hdr(x),lower abc", "hdr(x),upper,lower abc", "path,lower -m beg /api", "cook(sid) -m found",
           "req.cook(sid) abc", "cook_beg(sid) a", "src 10.0.0.0/8 192.168.0.0/255.255.0.0 ::1", "src -n 10.0.0.1",
           "src_port 1024:65535", "dst 127.0.0.1", "dst_port 80 443", "dst_port -m found", "always_true",
           "always_false", "path_beg -m end x", "src -u 7 10.0.0.1", "hdr_cnt(x) -m bool"}) {
    auto r = load_acl(ok);
    EXPECT_TRUE(r.ok()) << ok << "\n" << dump(r);
  }
}

TEST(AclSpecTest, PredefinedAcls) {
  for (const char* name : {"TRUE", "FALSE", "HTTP", "HTTP_1.0", "HTTP_1.1", "HTTP_2.0", "HTTP_URL_ABS",
                           "HTTP_URL_SLASH", "HTTP_URL_STAR", "LOCALHOST", "METH_CONNECT", "METH_DELETE", "METH_GET",
                           "METH_HEAD", "METH_OPTIONS", "METH_POST", "METH_PUT", "METH_TRACE"}) {
    auto a = predefined_acl(name);
    ASSERT_TRUE(a) << name;
    EXPECT_TRUE(resolve_acl(*a)) << name;
  }
  // Predefined ACLs sluice does not implement are refused, not silently false.
  for (const char* name : {"HTTP_CONTENT", "REQ_CONTENT", "RDP_COOKIE", "WAIT_END"}) {
    auto r = load(std::string(kDefaults) + "frontend f\n  bind :80\n  mode http\n  http-request deny if " + name +
                  "\n  default_backend b\nbackend b\n  server s 127.0.0.1:1\n");
    EXPECT_TRUE(has_diag(r, std::string("t.cfg:8: no such ACL: '") + name + "'")) << dump(r);
  }
}

TEST(AclSpecTest, NegatedAnonymousAcl) {
  auto r = load(std::string(kDefaults) + "frontend f\n  bind :80\n  mode http\n  http-request deny if !{ path /x }\n"
                "  http-request deny unless !{ path /y } { path /z } !{ src 10.0.0.0/8 }\n"
                "  default_backend b\nbackend b\n  server s 127.0.0.1:1\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  const auto& rules = r.config->find_proxy("f")->rules;
  ASSERT_EQ(rules.size(), 2u);
  ASSERT_TRUE(rules[0].cond);
  EXPECT_TRUE(rules[0].cond->any_of[0][0].negate);
  EXPECT_EQ(rules[0].cond->any_of[0][0].anonymous->fetch, "path");
  const auto& t = rules[1].cond->any_of[0];
  ASSERT_EQ(t.size(), 3u);
  EXPECT_TRUE(t[0].negate);
  EXPECT_FALSE(t[1].negate);
  EXPECT_TRUE(t[2].negate);
}

TEST(AclSpecTest, SampleExpressions) {
  for (const char* ok : {"src", "src_port", "dst", "dst_port", "path", "url", "query", "method", "req.ver", "hdr(host)",
                         "req.hdr(x,-1)", "req.fhdr(x)", "req.cook(s)", "hdr_cnt(x)", "req.hdr_ip(x)", "path,lower"})
    EXPECT_TRUE(parse_sample_expr(ok)) << ok;
  for (const char* bad : {"path_beg", "nbsrv(b)", "src,ipmask(24)", "hdr", "", "req.hdr(x", "uuid"})
    EXPECT_FALSE(parse_sample_expr(bad)) << bad;
  auto f = parse_sample_expr("req.hdr(x-forwarded-for,-2),upper");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->kind, FetchKind::Hdr);
  EXPECT_EQ(f->name, "x-forwarded-for");
  EXPECT_EQ(f->occ, -2);
  EXPECT_EQ(f->converters, std::vector<Converter>{Converter::Upper});
}

}  // namespace
}  // namespace sluice::config
