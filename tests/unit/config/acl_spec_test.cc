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

TEST(AclSpecTest, RefusedWithFileAndLine) {
  struct Row { const char* acl; const char* message; };
  for (const Row& r : {
           Row{"nbsrv(b) lt 1", "fetch method 'nbsrv' is unknown or not supported by sluice yet"},
           Row{"base_beg /x", "fetch method 'base_beg' is unknown or not supported by sluice yet"},
           Row{"url_param(a) b", "fetch method 'url_param' is unknown or not supported by sluice yet"},
           Row{"req.hdr(x),foo a", "converter 'foo' in 'req.hdr(x),foo' is not supported by sluice yet"},
           Row{"req.hdr(x),lower(1) a", "converter 'lower' in 'req.hdr(x),lower(1)' is not supported by sluice yet"},
           Row{"hdr_val(x),lower 1", "converter 'lower' on fetch 'hdr_val' is not supported by sluice yet"},
           Row{"src,lower 1.2.3.4", "converter 'lower' on fetch 'src' is not supported by sluice yet"},
           Row{"hdr(x) -m bin 41", "match method '-m bin' is unknown or not supported by sluice yet"},
           Row{"hdr(x) -m bool", "match method '-m bool' on fetch 'hdr(x)' is not supported by sluice yet"},
           Row{"dst_port -m str 80", "match method '-m str' on fetch 'dst_port' is not supported by sluice yet"},
           Row{"src -m beg 10.", "match method '-m beg' on fetch 'src' is not supported by sluice yet"},
           Row{"hdr -m found", "fetch 'hdr' without a name argument is not supported by sluice yet"},
           Row{"hdr(x,foo) a", "fetch 'hdr': occurrence 'foo' is not a number"},
           Row{"hdr(x,) a", "fetch 'hdr': occurrence '' is not a number"},
           Row{"hdr_cnt(x,1) 1", "fetch 'hdr_cnt' takes one argument"},
           Row{"path(x) /", "fetch 'path' takes no argument"},
           Row{"hdr(x a", "missing closing ')'"},
           Row{"src 10.0.0.0/l6", "'10.0.0.0/l6' is not a valid IPv4 or IPv6 network"},
           Row{"src 10.0.0.0/", "'10.0.0.0/' is not a valid IPv4 or IPv6 network"},
           Row{"src 10.0.0.0/33", "'10.0.0.0/33' is not a valid IPv4 or IPv6 network"},
           Row{"src 10/8", "'10/8' is not a valid IPv4 or IPv6 network"},
           Row{"hdr(x) -m ip 1.2.3.4/x", "'1.2.3.4/x' is not a valid IPv4 or IPv6 network"},
           Row{"dst_port 80x", "'80x' is neither a number nor a supported operator"},
           Row{"dst_port 0x50", "'0x50' is neither a number nor a supported operator"},
           Row{"hdr_val(x) gt x", "'x' is not a number"},
           Row{"hdr_val(x) gt", "operator 'gt' expects a number after it"},
           Row{"hdr_val(x) 10:5", "'10:5' is not a valid number range"},
           Row{"hdr(x) -m int 1.2", "'1.2' is neither a number nor a supported operator"},
           Row{"src -M /tmp/x.map", "ACL flag '-M' is not supported by sluice yet"},
       }) {
    auto res = load_acl(r.acl);
    EXPECT_FALSE(res.ok()) << r.acl;
    EXPECT_TRUE(has_diag(res, std::string("t.cfg:8: ") + r.message)) << r.acl << "\n" << dump(res);
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
  const auto& rules = r.config->find_proxy("f")->http_rules;
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

TEST(AclSpecTest, HeaderValueFormats) {
  auto parts = parse_sample_format("ip=%[src]:%[src_port] 100%%");
  ASSERT_TRUE(parts);
  ASSERT_EQ(parts->size(), 5u);
  EXPECT_EQ((*parts)[0].text, "ip=");
  EXPECT_EQ((*parts)[1].fetch->kind, FetchKind::Src);
  EXPECT_EQ((*parts)[4].text, " 100%");
  auto r = load(std::string(kDefaults) +
                "frontend f\n  bind :80\n  mode http\n  http-request set-header X-Real-IP %[src]\n"
                "  http-request add-header X-A %[nbsrv(b)]\n  http-request set-header X-B %ci\n"
                "  http-request set-header X-C %[src\n  http-request del-header X-D -m beg\n"
                "  http-request del-header X-E -m reg\n  http-request del-header X-F -m dom\n"
                "  default_backend b\nbackend b\n  server s 127.0.0.1:1\n");
  EXPECT_TRUE(has_diag(r, "t.cfg:9: '%[nbsrv(b)]': fetch method 'nbsrv' is unknown or not supported by sluice yet"))
      << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:10: '%ci' in a header value is not supported by sluice yet: only %[fetch] expressions are"))
      << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:11: missing ']'")) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:13: del-header -m reg is not supported by sluice yet")) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:14: del-header -m dom is not supported by sluice yet")) << dump(r);
  EXPECT_EQ(testing::error_count(r), 5) << dump(r);
}

}  // namespace
}  // namespace sluice::config
