// Every registered fetch against a request (and response): one row per fetch name, and a
// test that fails when a fetch has no row, so a new fetch cannot land untested.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <set>

#include "http/parser.h"
#include "rules/expr.h"

namespace sluice::rules {
namespace {

struct Row {
  const char* expr;
  const char* want;   // the single value printed, "<none>" when there is no value, "*" when any value will do
};

// Fetches whose value depends on the machine or the moment: only "has a value" is checked.
const Row kRows[] = {
    {"method", "POST"},
    {"path", "/a/b.png"},
    {"pathq", "/a/b.png?x=1&y=2;z=3"},
    {"url", "/a/b.png?x=1&y=2;z=3"},
    {"query", "x=1&y=2;z=3"},
    {"base", "www.example.org/a/b.png"},
    {"req.ver", "1.1"},
    {"req_ver", "1.1"},
    {"http_first_req", "1"},
    {"unique-id", "<none>"},   // no unique-id-format: see tests/unit/log/format_engine_test.cc
    {"req.hdr(x-list)", "c"},
    {"hdr(x-list,1)", "a"},
    {"req.fhdr(x-list)", "c"},
    {"req.hdr_cnt(x-list)", "3"},
    {"hdr_cnt(x-list)", "3"},
    {"req.fhdr_cnt(x-list)", "2"},
    {"req.hdr_val(x-n)", "42"},
    {"hdr_val(x-n)", "42"},
    {"req.hdr_ip(x-ip)", "192.0.2.7"},
    {"hdr_ip(x-ip)", "192.0.2.7"},
    {"req.hdr_names(;)", "Host;X-List;X-List;X-N;X-IP;Cookie;Content-Length;Authorization"},
    {"req.cook(sid)", "abc"},
    {"cook(sid)", "abc"},
    {"req.cook_cnt(sid)", "1"},
    {"cook_cnt(sid)", "1"},
    {"req.cook_val(n)", "7"},
    {"cook_val(n)", "7"},
    {"url_param(y)", "2;z=3"},   // only '&' separates unless a delimiter is given
    {"urlp(z,;)", "3"},
    {"urlp_val(x)", "1"},
    {"req.body", "hello"},
    {"req.body_len", "5"},
    {"req.body_size", "5"},
    {"src", "10.1.2.3"},
    {"dst", "127.0.0.1"},
    {"src_port", "4444"},
    {"dst_port", "80"},
    {"so_id", "0"},
    {"so_name", "pub"},
    {"fc_rtt", "<none>"},   // no socket in this test
    {"fc_rttvar", "<none>"},
    {"fc_unacked", "<none>"},
    {"fc_sacked", "<none>"},
    {"fc_retrans", "<none>"},
    {"fc_lost", "<none>"},
    {"fc_reordering", "<none>"},
    {"fc_fackets", "<none>"},
    {"fc_total_retrans", "<none>"},
    {"fe_id", "3"},
    {"fe_name", "www"},
    {"be_id", "<none>"},
    {"be_name", "<none>"},
    {"srv_id", "<none>"},
    {"srv_name", "<none>"},
    {"status", "302"},
    {"res.ver", "1.1"},
    {"resp_ver", "1.1"},
    {"res.hdr(location)", "/x"},
    {"shdr(location)", "/x"},
    {"res.fhdr(cache-control)", "no-cache, private"},
    {"res.hdr_cnt(cache-control)", "2"},
    {"shdr_cnt(cache-control)", "2"},
    {"res.fhdr_cnt(cache-control)", "1"},
    {"res.hdr_val(x-n)", "9"},
    {"shdr_val(x-n)", "9"},
    {"res.hdr_ip(x-ip)", "2001:db8::1"},
    {"shdr_ip(x-ip)", "2001:db8::1"},
    {"res.hdr_names", "Location,Cache-Control,X-N,X-IP,Set-Cookie,Content-Length"},
    {"res.cook(sid)", "new"},
    {"scook(sid)", "new"},
    {"res.cook_cnt(sid)", "1"},
    {"scook_cnt(sid)", "1"},
    {"res.cook_val(sid)", "0"},
    {"scook_val(sid)", "0"},
    {"nbsrv", "<none>"},   // no backend in this test (named backends need a runtime)
    {"be_conn", "<none>"},
    {"be_sess_rate", "<none>"},
    {"queue", "<none>"},
    {"avg_queue", "<none>"},
    {"connslots", "<none>"},
    {"fe_conn", "<none>"},
    {"fe_req_rate", "<none>"},
    {"fe_sess_rate", "<none>"},
    {"env(SLUICE_FETCH_TEST)", "yes"},
    {"date", "*"},
    {"hostname", "*"},
    {"rand(1)", "0"},
    {"uuid", "*"},
    {"var(txn.who,nobody)", "nobody"},
    {"always_true", "1"},
    {"always_false", "0"},
    {"int(-5)", "-5"},
    {"bool(1)", "1"},
    {"str(abc)", "abc"},
    {"meth(GET)", "GET"},
    {"ipv4(192.0.2.1)", "192.0.2.1"},
    {"ipv6(2001:db8::2)", "2001:db8::2"},
    {"bin(4142)", "AB"},
    {"http_auth_type", "Basic"},
    {"http_auth_user", "alice"},
    {"http_auth_pass", "secret"},
};
// Need a runtime to resolve their argument: covered by e2e tests.
const std::set<std::string> kNeedRuntime = {"srv_is_up", "srv_conn", "srv_queue", "http_auth", "http_auth_group"};

struct Fixture {
  std::string req_raw =
      "POST /a/b.png?x=1&y=2;z=3 HTTP/1.1\r\nHost: www.example.org\r\nX-List: a, b\r\nX-List: c\r\nX-N: 42abc\r\n"
      "X-IP: 192.0.2.7\r\nCookie: sid=abc; n=7\r\nContent-Length: 5\r\nAuthorization: Basic YWxpY2U6c2VjcmV0\r\n\r\n";
  std::string rsp_raw =
      "HTTP/1.1 302 Found\r\nLocation: /x\r\nCache-Control: no-cache, private\r\nX-N: 9\r\nX-IP: 2001:db8::1\r\n"
      "Set-Cookie: sid=new; path=/\r\nContent-Length: 0\r\n\r\n";
  http::RequestHead req;
  http::ResponseHead rsp;
  sockaddr_storage src{}, dst{};
  Arena arena;
  VarStore txn;
  Ctx c;
  Fixture() {
    http::HeadScan s1, s2;
    EXPECT_EQ(http::parse_request(req_raw, s1, req, {}).status, http::ParseStatus::Done);
    EXPECT_EQ(http::parse_response(rsp_raw, s2, http::Method::Post, rsp, {}).status, http::ParseStatus::Done);
    auto* a = reinterpret_cast<sockaddr_in*>(&src);
    a->sin_family = AF_INET;
    a->sin_port = htons(4444);
    inet_pton(AF_INET, "10.1.2.3", &a->sin_addr);
    auto* b = reinterpret_cast<sockaddr_in*>(&dst);
    b->sin_family = AF_INET;
    b->sin_port = htons(80);
    inet_pton(AF_INET, "127.0.0.1", &b->sin_addr);
    c.phase = kHttpReq;
    c.method = req.method;
    c.method_name = req.method_name;
    c.src = &src;
    c.dst = &dst;
    c.req = &req;
    c.rsp = &rsp;
    c.req_body = "hello";
    c.fe_name = "www";
    c.so_name = "pub";
    c.fe_id = 3;
    c.txn_vars = &txn;
    c.arena = &arena;
  }
};

TEST(RulesFetchTest, EveryRow) {
  ::setenv("SLUICE_FETCH_TEST", "yes", 1);
  Fixture f;
  for (const auto& r : kRows) {
    CompileCtx cc;
    cc.phases = 0;   // checked below per fetch; here every phase's data is present
    auto e = Expr::compile(r.expr, cc);
    ASSERT_TRUE(e) << r.expr << ": " << e.error().message;
    Sample s;
    bool got = e->value(f.c, s);
    std::string printed;
    if (got) append_sample(s, printed);
    if (std::string_view(r.want) == "<none>") {
      EXPECT_FALSE(got) << r.expr << " gave " << printed;
    } else if (std::string_view(r.want) == "*") {
      EXPECT_TRUE(got && !printed.empty()) << r.expr;
    } else {
      EXPECT_TRUE(got) << r.expr;
      EXPECT_EQ(printed, r.want) << r.expr;
    }
  }
}

TEST(RulesFetchTest, AclFormsSeeEveryOccurrence) {
  Fixture f;
  CompileCtx cc;
  cc.phases = 0;
  auto e = Expr::compile("hdr(x-list)", cc);
  ASSERT_TRUE(e);
  std::vector<std::string> all;
  e->each(f.c, [&](Sample& s) {
    all.emplace_back(s.str);
    return false;
  });
  EXPECT_EQ(all, (std::vector<std::string>{"a", "b", "c"}));
  auto neg = Expr::compile("hdr(x-list,-2)", cc);
  Sample s;
  ASSERT_TRUE(neg && neg->value(f.c, s));
  EXPECT_EQ(s.str, "b");
}

TEST(RulesFetchTest, PhasesAreChecked) {
  CompileCtx cc;
  cc.phases = kConn;
  auto e = Expr::compile("path", cc);
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("not available in tcp-request connection"), std::string::npos) << e.error().message;
  EXPECT_TRUE(Expr::compile("src", cc));
  // As in HAProxy: response rules and log formats do not see the request's head, but the
  // method outlives it; hdr() follows the rule set's direction.
  for (uint16_t ph : {uint16_t(kHttpRes), uint16_t(kAfterRes), uint16_t(kLog)}) {
    cc.phases = ph;
    for (const char* req_only : {"path", "req.hdr(host)", "url_param(a)", "cook(a)", "http_auth_type"})
      EXPECT_FALSE(Expr::compile(req_only, cc)) << req_only << " in " << phase_names(ph);
    EXPECT_TRUE(Expr::compile("method", cc)) << phase_names(ph);
  }
  cc.phases = kLog;
  EXPECT_FALSE(Expr::compile("res.hdr(a)", cc));
  EXPECT_FALSE(Expr::compile("hdr(a)", cc));
  cc.phases = kHttpRes;
  EXPECT_TRUE(Expr::compile("hdr(a)", cc));
}

TEST(RulesFetchTest, HdrFollowsTheRuleSetDirection) {
  Fixture f;
  CompileCtx cc;
  cc.phases = 0;
  auto e = Expr::compile("hdr(x-n)", cc);
  ASSERT_TRUE(e);
  Sample s;
  ASSERT_TRUE(e->value(f.c, s));
  EXPECT_EQ(s.str, "42abc");
  f.c.phase = kHttpRes;
  ASSERT_TRUE(e->value(f.c, s));
  EXPECT_EQ(s.str, "9");
}

TEST(RulesFetchTest, EveryRegisteredFetchHasARow) {
  std::set<std::string> covered(kNeedRuntime);
  for (const auto& r : kRows) {
    std::string_view e = r.expr;
    covered.emplace(e.substr(0, e.find('(')));
  }
  for (const auto& f : fetches()) EXPECT_TRUE(covered.count(std::string(f.name))) << "no test row for fetch " << f.name;
}

}  // namespace
}  // namespace sluice::rules
