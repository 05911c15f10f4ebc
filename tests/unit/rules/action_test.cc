// Actions run against a parsed request and response: what each one changes, what it answers,
// and the load errors its parser gives.
#include <gtest/gtest.h>

#include <sstream>

#include "http/parser.h"
#include "rules/expr.h"

namespace sluice::rules {
namespace {

struct Fixture {
  std::string req_raw =
      "GET /a/b?x=1 HTTP/1.1\r\nHost: www.example.org\r\nX-List: a, secret,b\r\nX-Host: app.internal\r\n\r\n";
  std::string rsp_raw = "HTTP/1.1 200 OK\r\nX-Multi: a=1, b=2\r\nContent-Length: 0\r\n\r\n";
  http::RequestHead req;
  http::ResponseHead rsp;
  Arena arena;
  VarStore txn, sess;
  Ctx c;
  config::ProxyConfig proxy;
  std::vector<std::unique_ptr<Action>> kept;
  Fixture() {
    http::HeadScan s1, s2;
    EXPECT_EQ(http::parse_request(req_raw, s1, req, {}).status, http::ParseStatus::Done);
    EXPECT_EQ(http::parse_response(rsp_raw, s2, http::Method::Get, rsp, {}).status, http::ParseStatus::Done);
    c.phase = kHttpReq;
    c.method = req.method;
    c.method_name = req.method_name;
    c.req = &req;
    c.rsp = &rsp;
    c.txn_vars = &txn;
    c.sess_vars = &sess;
    c.arena = &arena;
    proxy.name = "fe";
  }
  // Compiles "action args..." (words split on blanks) for `phase`.
  Result<std::unique_ptr<Action>> compile(const std::string& text, uint16_t phase = kHttpReq) {
    std::vector<std::string> words;
    std::istringstream in(text);
    for (std::string w; in >> w;) words.push_back(w);
    std::string_view w0 = words[0], name = w0, paren;
    if (auto open = w0.find('('); open != std::string_view::npos) {
      name = w0.substr(0, open);
      paren = w0.substr(open + 1, w0.size() - open - 2);
    }
    const ActionDef* def = find_action(name);
    if (def == nullptr) return fail("no such action");
    if ((def->phases & phase) == 0) return fail("not valid in this phase");
    CompileCtx cc{phase, &proxy, nullptr, {}, "http-request", nullptr};
    ActionParse ap{std::span(words), paren, cc};
    return def->parse(ap);
  }
  Verdict run(const std::string& text, uint16_t phase = kHttpReq) {
    auto a = compile(text, phase);
    EXPECT_TRUE(a) << text << ": " << (a ? "" : a.error().message);
    if (!a) return Verdict::Continue;
    c.phase = phase;
    c.reply = {};
    kept.push_back(std::move(*a));   // the reply may point into the action
    return kept.back()->run(c);
  }
  std::string header(std::string_view name, bool response = false) {
    auto& hs = response ? rsp.headers : req.headers;
    for (auto& h : hs)
      if (h.name == name) return std::string(h.value);
    return "<none>";
  }
  std::string var(const char* name) {
    auto v = parse_var_name(name);
    Sample s;
    if (!get_var(c, *v, s)) return "<unset>";
    std::string out;
    append_sample(s, out);
    return out;
  }
  std::string reply_header(std::string_view name) {
    for (auto& [n, v] : c.reply.headers)
      if (n == name) return std::string(v);
    return "<none>";
  }
};

std::string error_of(Fixture& f, const std::string& text, uint16_t phase = kHttpReq) {
  auto a = f.compile(text, phase);
  return a ? "<compiled>" : a.error().message;
}

TEST(RulesActionTest, SetVarAndConditions) {
  Fixture f;
  f.run("set-var(txn.p) path");
  EXPECT_EQ(f.var("txn.p"), "/a/b");
  f.run("set-var-fmt(txn.f) %[method]-%[path]");
  EXPECT_EQ(f.var("txn.f"), "GET-/a/b");
  f.run("set-var(txn.p,ifnotexists) str(other)");
  EXPECT_EQ(f.var("txn.p"), "/a/b");
  f.run("set-var(txn.p,ifexists) str(other)");
  EXPECT_EQ(f.var("txn.p"), "other");
  f.run("set-var-fmt(txn.e,ifnotempty) %[req.hdr(x-none)]");
  EXPECT_EQ(f.var("txn.e"), "<unset>");
  f.run("set-var(txn.n) int(5)");
  f.run("set-var(txn.n,ifgt) int(9)");
  EXPECT_EQ(f.var("txn.n"), "5");
  f.run("set-var(txn.n,iflt) int(9)");
  EXPECT_EQ(f.var("txn.n"), "9");
  f.run("unset-var(txn.n)");
  EXPECT_EQ(f.var("txn.n"), "<unset>");
  f.run("set-var(sess.s) int(1)", kConn);
  EXPECT_EQ(f.var("sess.s"), "1");
}

TEST(RulesActionTest, SetVarLoadErrors) {
  Fixture f;
  EXPECT_NE(error_of(f, "set-var(txn.x,ifmaybe) str(a)").find("unknown condition 'ifmaybe'"), std::string::npos);
  EXPECT_NE(error_of(f, "set-var(x) str(a)").find("expected SCOPE.NAME"), std::string::npos);
  EXPECT_NE(error_of(f, "set-var(txn.x)").find("expects a sample expression"), std::string::npos);
  EXPECT_NE(error_of(f, "set-var(txn.x) nosuchfetch").find("unknown fetch method"), std::string::npos);
  EXPECT_NE(error_of(f, "set-var(txn.x) int(1)", kConn).find("before any transaction exists"), std::string::npos);
  EXPECT_NE(error_of(f, "unset-var(txn.x) extra").find("unexpected 'extra'"), std::string::npos);
}

TEST(RulesActionTest, ReturnAndDenyReplies) {
  Fixture f;
  ASSERT_EQ(f.run("return status 201 content-type text/plain lf-string p=%[path] hdr X-A v%[query]"),
            Verdict::Answered);
  EXPECT_EQ(f.c.reply.kind, Reply::Kind::Full);
  EXPECT_EQ(f.c.reply.status, 201);
  EXPECT_EQ(f.c.reply.body, "p=/a/b");
  EXPECT_EQ(f.c.reply.content_type, "text/plain");
  EXPECT_EQ(f.reply_header("X-A"), "vx=1");
  f.run("return");
  EXPECT_EQ(f.c.reply.kind, Reply::Kind::Full);
  EXPECT_EQ(f.c.reply.status, 200);
  EXPECT_TRUE(f.c.reply.body.empty());
  f.run("deny");
  EXPECT_EQ(f.c.reply.kind, Reply::Kind::Error);
  EXPECT_EQ(f.c.reply.status, 403);
  f.run("deny", kHttpRes);
  EXPECT_EQ(f.c.reply.status, 502);
  f.run("deny deny_status 429 content-type text/plain string slow");
  EXPECT_EQ(f.c.reply.kind, Reply::Kind::Full);
  EXPECT_EQ(f.c.reply.status, 429);
  EXPECT_EQ(f.c.reply.body, "slow");
  f.run("tarpit");
  EXPECT_TRUE(f.c.reply.tarpit);
  EXPECT_EQ(f.c.reply.status, 500);
  EXPECT_EQ(f.c.reply.kind, Reply::Kind::Error);
}

TEST(RulesActionTest, ReplyLoadErrors) {
  Fixture f;
  EXPECT_NE(error_of(f, "return string x").find("a content type must be defined"), std::string::npos);
  EXPECT_NE(error_of(f, "return string x file y").find("'file' argument, 'string' already defined"), std::string::npos);
  EXPECT_NE(error_of(f, "return status 99").find("invalid status code"), std::string::npos);
  EXPECT_NE(error_of(f, "return status 204 content-type t string x").find("cannot have a body"), std::string::npos);
  EXPECT_NE(error_of(f, "return errorfiles x").find("unknown http-errors section 'x'"), std::string::npos);
  EXPECT_NE(error_of(f, "return frobnicate").find("argument 'frobnicate' is not supported by sluice"),
            std::string::npos);
  EXPECT_NE(error_of(f, "deny deny_status 299").find("no default error page"), std::string::npos);
  EXPECT_NE(error_of(f, "return file /nonexistent/x").find("cannot open"), std::string::npos);
  EXPECT_NE(error_of(f, "deny hdr X y").find("'hdr' cannot be used with the error pages"), std::string::npos);
  EXPECT_EQ(error_of(f, "tarpit", kHttpRes), "not valid in this phase");
}

TEST(RulesActionTest, Redirects) {
  Fixture f;
  f.run("redirect location /n%[path] code 301");
  EXPECT_EQ(f.c.reply.status, 301);
  EXPECT_EQ(f.reply_header("location"), "/n/a/b");
  EXPECT_EQ(f.reply_header("cache-control"), "<none>");
  f.run("redirect prefix /p drop-query append-slash set-cookie A=1");
  EXPECT_EQ(f.c.reply.status, 302);
  EXPECT_EQ(f.reply_header("location"), "/p/a/b/");
  EXPECT_EQ(f.reply_header("cache-control"), "no-cache");
  EXPECT_EQ(f.reply_header("set-cookie"), "A=1; path=/;");
  f.run("redirect scheme https code 307 clear-cookie B");
  EXPECT_EQ(f.reply_header("location"), "https://www.example.org/a/b?x=1");
  EXPECT_EQ(f.reply_header("set-cookie"), "B; path=/; Max-Age=0;");
  // An empty location redirects nowhere: the rule does nothing.
  EXPECT_EQ(f.run("redirect location %[req.hdr(x-none)]"), Verdict::Continue);
  EXPECT_NE(error_of(f, "redirect location /x code 300").find("301, 302, 303, 307 or 308"), std::string::npos);
  EXPECT_NE(error_of(f, "redirect to /x").find("'location', 'prefix' or 'scheme'"), std::string::npos);
  EXPECT_NE(error_of(f, "redirect location /x keep-query").find("'keep-query' is not supported"), std::string::npos);
  EXPECT_NE(error_of(f, "redirect prefix /x", kHttpRes).find("use 'location'"), std::string::npos);
}

TEST(RulesActionTest, Auth) {
  Fixture f;
  f.run("auth realm Secret");
  EXPECT_EQ(f.c.reply.status, 401);
  EXPECT_EQ(f.reply_header("www-authenticate"), "Basic realm=\"Secret\"");
  f.run("auth");
  EXPECT_EQ(f.reply_header("www-authenticate"), "Basic realm=\"fe\"");
  EXPECT_NE(error_of(f, "auth realm").find("expects [realm <realm>]"), std::string::npos);
}

TEST(RulesActionTest, ReplaceHeaderAndValue) {
  Fixture f;
  f.run("replace-header X-Host ^(.*)\\.internal$ \\1.example");
  EXPECT_EQ(f.header("X-Host"), "app.example");
  f.run("replace-value X-List ^secret$ <%[method]>");
  EXPECT_EQ(f.header("X-List"), "a,<GET>,b");
  f.run("replace-value X-Multi ^b=(.*)$ B=\\1", kHttpRes);
  EXPECT_EQ(f.header("X-Multi", true), "a=1,B=2");
  f.run("replace-header X-Host nomatch x");
  EXPECT_EQ(f.header("X-Host"), "app.example");
  EXPECT_NE(error_of(f, "replace-header X-Host (").find("regex"), std::string::npos) << error_of(f, "replace-header X-Host (");
  EXPECT_NE(error_of(f, "replace-header Content-Length a b").find("frames the message"), std::string::npos);
  EXPECT_NE(error_of(f, "replace-value X a").find("expects <name> <regex> <replace-fmt>"), std::string::npos);
}

struct TargetRow {
  const char* rule;
  const char* target;   // the new request target
  const char* path;     // RequestHead::path after it
};

TEST(RulesActionTest, TargetRewrites) {
  const TargetRow rows[] = {
      {"set-path /n%[path]", "/n/a/b?x=1", "/n/a/b?x=1"},
      {"set-pathq /only", "/only", "/only"},
      {"set-query y=2", "/a/b?y=2", "/a/b?y=2"},
      {"set-uri http://h/z?q", "http://h/z?q", "/z?q"},
      {"replace-path ^/a/(.*) /\\1/a", "/b/a?x=1", "/b/a?x=1"},
      {"replace-pathq ^(.*)\\?x=1$ \\1?x=2", "/a/b?x=2", "/a/b?x=2"},
      {"replace-uri ^/a(.*) /c\\1", "/c/b?x=1", "/c/b?x=1"},
  };
  for (const auto& r : rows) {
    Fixture f;
    EXPECT_EQ(f.run(r.rule), Verdict::Continue) << r.rule;
    EXPECT_EQ(f.req.target, r.target) << r.rule;
    EXPECT_EQ(f.req.path, r.path) << r.rule;
  }
  Fixture f;
  f.run("set-method PUT");
  EXPECT_EQ(f.req.method_name, "PUT");
  EXPECT_EQ(f.req.method, http::Method::Put);
}

// A space, CR, LF or NUL would change the request line: the rewrite fails (500).
TEST(RulesActionTest, BadTargetFailsTheRewrite) {
  Fixture f;
  f.req.headers.push_back({"X-P", "/a b"});
  ASSERT_EQ(f.run("set-path %[req.hdr(x-p)]"), Verdict::Answered);
  EXPECT_EQ(f.c.reply.status, 500);
  EXPECT_EQ(f.req.target, "/a/b?x=1");   // untouched
  f.req.headers.back().value = "CONNECT";
  EXPECT_EQ(f.run("set-method %[req.hdr(x-p)]"), Verdict::Answered);
  EXPECT_EQ(error_of(f, "set-path"), "expects <fmt>");
  EXPECT_EQ(error_of(f, "replace-path x"), "expects <regex> <replace-fmt>");
  EXPECT_EQ(error_of(f, "set-path /x", kHttpRes), "not valid in this phase");
}

}  // namespace
}  // namespace sluice::rules
