// ACLs matched through compiled pattern sets (rules/pattern.h) and references shared with
// the runtime API (rules/pattern_ref.h), map converters, and the map/ACL actions.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "config/loader.h"
#include "http/parser.h"
#include "unit/rules/txn.h"
#include "proxy/runtime.h"
#include "rules/acl.h"
#include "rules/expr.h"
#include "rules/pattern_ref.h"
#include "rules/ruleset.h"

namespace sluice::rules {
namespace {

class RefsResolver : public Resolver {
 public:
  PatternRefs* patterns() const override { return &refs; }
  mutable PatternRefs refs;
};

// A scratch directory with the test's files; relative names resolve from it (the process'
// working directory, as HAProxy's default-path current).
class AclMapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("sluice_aclmap_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    old_ = std::filesystem::current_path();
    std::filesystem::current_path(dir_);
  }
  void TearDown() override {
    std::filesystem::current_path(old_);
    std::filesystem::remove_all(dir_);
  }
  static void write(const std::string& name, std::string_view text) { std::ofstream(name) << text; }

  std::filesystem::path dir_, old_;
};

constexpr const char* kHead = "defaults\n  mode http\n  timeout connect 1s\n  timeout client 1s\n  timeout server 1s\n";

using test_support::Txn;

Txn get(std::string_view path, std::string_view headers = "", const char* ip = "10.1.2.3") {
  return Txn(fmt::format("GET {} HTTP/1.1\r\nHost: h\r\n{}\r\n", path, headers), ip);
}

config::Acl acl(std::string fetch, std::vector<std::string> flags, std::vector<std::string> patterns, int line = 3) {
  config::Acl a;
  a.name = "a";
  a.fetch = std::move(fetch);
  a.flags = std::move(flags);
  a.patterns = std::move(patterns);
  a.loc = {"t.cfg", line};
  return a;
}

// One named ACL behind a condition `if a` (the condition owns what it compiled).
struct Compiled {
  std::vector<config::Acl> acls;   // inline patterns' reference is keyed on the declaration
  std::optional<Condition> cond;
  bool operator()(Txn&& t) const { return cond->eval(t.ctx); }
};

Result<Condition> compile_cond(const RefsResolver& res, const std::vector<config::Acl>& acls) {
  CompileCtx cc{kHttpReq, nullptr, &res, {"t.cfg", 3}, "acl", nullptr};
  config::Condition c;
  c.any_of = {{config::CondTerm{false, "a", std::nullopt}}};
  return Condition::compile(c, acls, cc);
}

Compiled compile(const RefsResolver& res, config::Acl a) {
  Compiled c{{std::move(a)}, std::nullopt};
  auto r = compile_cond(res, c.acls);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
  if (r) c.cond = std::move(*r);
  return c;
}

std::string compile_error(const RefsResolver& res, config::Acl a) {
  std::vector<config::Acl> acls{std::move(a)};
  auto r = compile_cond(res, acls);
  return r ? std::string() : r.error().message;
}

TEST_F(AclMapTest, EveryMatchMethod) {
  RefsResolver res;
  struct Case {
    config::Acl a;
    std::string path, headers;
    bool want;
  };
  const std::vector<Case> cases = {
      {acl("path", {}, {"/a", "/b"}), "/b", "", true},
      {acl("path", {}, {"/a"}), "/A", "", false},
      {acl("path", {"-i"}, {"/a"}), "/A", "", true},
      {acl("path_beg", {}, {"/api"}), "/api/v1", "", true},
      {acl("path_beg", {}, {"/api"}), "/ap", "", false},
      {acl("path_end", {}, {".jpg"}), "/x.jpg", "", true},
      {acl("path_sub", {}, {"adm"}), "/x/admin", "", true},
      {acl("path_dir", {}, {"img"}), "/a/img/b.png", "", true},
      {acl("path_dir", {}, {"img"}), "/a/imgs/b.png", "", false},
      {acl("hdr_dom(x-h)", {}, {"example.com"}), "/", "X-H: www.example.com:80\r\n", true},
      {acl("hdr_dom(x-h)", {}, {"example.com"}), "/", "X-H: www.example.org\r\n", false},
      {acl("path_reg", {}, {"^/[0-9]+$"}), "/123", "", true},
      {acl("path_reg", {"-i"}, {"^/ABC$"}), "/abc", "", true},
      {acl("path_len", {}, {"gt", "3"}), "/abcd", "", true},
      {acl("path_len", {}, {"gt", "3"}), "/ab", "", false},
      {acl("path", {"-m", "len"}, {"2:3"}), "/ab", "", true},
      {acl("hdr(x-n)", {"-m", "int"}, {"ge", "10", "lt", "3"}), "/", "X-N: 2\r\n", true},
      {acl("hdr(x-n)", {"-m", "int"}, {"ge", "10", "lt", "3"}), "/", "X-N: 5\r\n", false},
      {acl("hdr(x-n)", {"-m", "int"}, {"ge", "10", "lt", "3"}), "/", "X-N: 10\r\n", true},
      {acl("src", {}, {"10.0.0.0/8"}), "/", "", true},
      {acl("src", {}, {"192.168.0.0/16", "::1"}), "/", "", false},
      {acl("hdr(x-ip)", {"-m", "ip"}, {"2001:db8::/32"}), "/", "X-IP: 2001:db8::7\r\n", true},
      {acl("hdr(x-b)", {"-m", "bin"}, {"414243"}), "/", "X-B: ABC\r\n", true},
      {acl("hdr(x-b)", {"-m", "bin"}, {"414243"}), "/", "X-B: abc\r\n", false},
      {acl("hdr(x-f)", {"-m", "found"}, {}), "/", "X-F: \r\n", true},
      {acl("hdr(x-f)", {"-m", "found"}, {}), "/", "", false},
      {acl("hdr(x-t)", {"-m", "bool"}, {}), "/", "X-T: 1\r\n", true},
      {acl("hdr(x-t)", {"-m", "bool"}, {}), "/", "X-T: 0\r\n", false},
      {acl("hdr(x-d)", {"-m", "beg"}, {"-x"}), "/", "X-D: -xy\r\n", true},   // `--` was eaten by the parser
      {acl("path", {"-n", "-i", "-m", "str"}, {"/Q"}), "/q", "", true},
  };
  for (const auto& c : cases) {
    auto m = compile(res, c.a);
    ASSERT_TRUE(m.cond.has_value()) << c.a.fetch;
    EXPECT_EQ(m(get(c.path, c.headers)), c.want) << c.a.fetch << " " << c.path << " " << c.headers;
  }
  // IPv6 clients meet IPv4 networks through their mapped form.
  auto v4 = compile(res, acl("src", {}, {"10.0.0.0/8"}));
  EXPECT_TRUE(v4(get("/", "", "::ffff:10.9.9.9")));
  EXPECT_FALSE(v4(get("/", "", "2001:db8::1")));
}

TEST_F(AclMapTest, ErrorsKeepTheirMessages) {
  RefsResolver res;
  EXPECT_NE(compile_error(res, acl("src", {}, {"10.0.0.0/l6"})).find("'10.0.0.0/l6' is not a valid IPv4 or IPv6"),
            std::string::npos);
  EXPECT_NE(compile_error(res, acl("path_reg", {}, {"^(a|b+$"}))
                .find("invalid regex '^(a|b+$': missing closing parenthesis at offset 7"),
            std::string::npos);
  EXPECT_NE(compile_error(res, acl("path", {"-m", "nope"}, {"x"})).find("unknown match method '-m nope'"),
            std::string::npos);
  EXPECT_NE(compile_error(res, acl("path", {"-f", "missing.lst"}, {})).find("failed to open pattern file <missing.lst>"),
            std::string::npos);
  EXPECT_NE(compile_error(res, acl("hdr(x)", {"-m", "bin"}, {"4"})).find("an even number of hex digit"),
            std::string::npos);
  write("bad.lst", "10.0.0.1\nnot-an-ip\n");
  auto m = compile_error(res, acl("src", {"-f", "bad.lst"}, {}));
  EXPECT_NE(m.find("file 'bad.lst' line 2: 'not-an-ip'"), std::string::npos) << m;
}

TEST_F(AclMapTest, FilesAreSharedReferencesTheRuntimeApiChanges) {
  write("paths.lst", "# comment\n/a\n  /b\n");
  RefsResolver res;
  auto m = compile(res, acl("path", {"-f", "paths.lst"}, {"/inline"}));
  auto n = compile(res, acl("path_beg", {"-f", "paths.lst"}, {}, 5));
  EXPECT_TRUE(m(get("/a")));
  EXPECT_TRUE(m(get("/b")));
  EXPECT_TRUE(m(get("/inline")));
  EXPECT_FALSE(m(get("/c")));
  EXPECT_TRUE(n(get("/a/x")));

  PatternRef* ref = res.refs.find("paths.lst");
  ASSERT_NE(ref, nullptr);
  EXPECT_TRUE(ref->used_as(PatternRef::Use::Acl));
  EXPECT_NE(ref->description().find("used by acl at file 't.cfg' line 3, by acl at file 't.cfg' line 5"),
            std::string::npos) << ref->description();
  ASSERT_TRUE(ref->add("/c", std::nullopt, std::nullopt));
  EXPECT_TRUE(m(get("/c")));
  EXPECT_TRUE(n(get("/c/d")));
  ASSERT_TRUE(ref->del_key("/a"));
  EXPECT_FALSE(m(get("/a")));
  // prepare / add @gen / commit: nothing changes before the commit.
  uint32_t g = ref->prepare();
  ASSERT_TRUE(ref->add("/new", std::nullopt, g));
  EXPECT_FALSE(m(get("/new")));
  EXPECT_TRUE(m(get("/b")));
  ASSERT_TRUE(ref->commit(g));
  EXPECT_TRUE(m(get("/new")));
  EXPECT_FALSE(m(get("/b")));
  ref->clear(std::nullopt);
  EXPECT_FALSE(m(get("/new")));
  EXPECT_TRUE(m(get("/inline")));   // the inline patterns are a reference of their own

  // `show acl` lists the inline patterns as `acl 'path' file 't.cfg' line 3`, `-u` names it.
  auto u = compile(res, acl("path", {"-u", "42"}, {"/u"}, 7));
  PatternRef* inl = res.refs.find("#42");
  ASSERT_NE(inl, nullptr);
  EXPECT_EQ(inl->description(), "acl 'path' file 't.cfg' line 7");
  ASSERT_TRUE(inl->add("/v", std::nullopt, std::nullopt));
  EXPECT_TRUE(u(get("/v")));
  // A runtime change the ACL's method refuses changes nothing.
  auto ip = compile(res, acl("src", {"-u", "43"}, {"10.0.0.0/8"}, 8));
  EXPECT_FALSE(res.refs.find("#43")->add("bogus", std::nullopt, std::nullopt));
  EXPECT_TRUE(ip(get("/")));
}

TEST_F(AclMapTest, MapFilesLoadAsAclPatternsWithM) {
  write("hosts.map", "a.example  one\nb.example two words\n");
  RefsResolver res;
  auto m = compile(res, acl("hdr(x-h)", {"-M", "-f", "hosts.map"}, {}));
  EXPECT_TRUE(m(get("/", "X-H: b.example\r\n")));
  EXPECT_FALSE(m(get("/", "X-H: two\r\n")));
}

// ---- map converters ----------------------------------------------------------------------

std::string eval(const RefsResolver& res, const std::string& expr, Txn t = get("/")) {
  CompileCtx cc{kHttpReq, nullptr, &res, {"t.cfg", 9}, "test", nullptr};
  auto e = Expr::compile(expr, cc);
  if (!e) return "ERR " + e.error().message;
  Sample s;
  if (!e->value(t.ctx, s)) return "<none>";
  std::string out = std::string(to_string(s.type)) + ":";
  append_sample(s, out);
  return out;
}

TEST_F(AclMapTest, EveryMapConverter) {
  write("s.map", "www.example.com web\n/api api\nexample.org org\n");
  write("p.map", "/static stat\n/static/img img\n.png png\nadmin adm\n");
  write("r.map", "^/u/([0-9]+)/(.*)$ user=\\1;rest=\\2;\\x41\n^/x 7\n");
  write("i.map", "10:19 ten\n20 twenty\n");
  write("n.map", "10.0.0.0/8 10.0.0.1\n10.1.0.0/16 10.1.0.1\n2001:db8::/32 2001:db8::1\n");
  write("vi.map", "a 5\nb -3\n");
  write("va.map", "c 192.0.2.9\n");
  RefsResolver res;
  struct Case {
    std::string expr, want;
  };
  const std::vector<Case> cases = {
      {"str(www.example.com),map(s.map)", "str:web"},
      {"str(nope),map(s.map)", "<none>"},
      {"str(nope),map(s.map,dflt)", "str:dflt"},
      {"str(/api),map_str(s.map)", "str:api"},
      {"str(/static/img/a.png),map_beg(p.map)", "str:img"},   // longest prefix
      {"str(/static/css),map_beg(p.map)", "str:stat"},
      {"str(/x/admin/y),map_sub(p.map)", "str:adm"},
      {"str(/a/api/b),map_dir(s.map)", "str:api"},
      {"str(shop.example.org),map_dom(s.map)", "str:org"},
      {"str(/i/a.png),map_end(p.map)", "str:png"},
      {"str(/u/42/profile),map_reg(r.map)", "str:user=\\1;rest=\\2;\\x41"},
      {"str(/u/42/profile),map_regm(r.map)", "str:user=42;rest=profile;A"},
      {"str(/xyz),map_regm(r.map)", "str:7"},
      {"int(15),map_int(i.map)", "str:ten"},
      {"int(20),map_int(i.map)", "str:twenty"},
      {"int(21),map_int(i.map,none)", "str:none"},
      {"src,map_ip(n.map)", "str:10.1.0.1"},
      {"str(a),map_str_int(vi.map)", "sint:5"},
      {"str(b),map_str_int(vi.map)", "sint:-3"},
      {"str(zz),map_str_int(vi.map,9)", "sint:9"},
      {"str(c),map_str_ip(va.map)", "ipv4:192.0.2.9"},
      {"str(zz),map_str_ip(va.map,2001:db8::5)", "ipv6:2001:db8::5"},
      {"str(/static/x),map_beg_int(p.map,1)", "ERR"},   // 'stat' is not an integer
      {"int(12),map_int_int(i.map,4)", "ERR"},
      {"str(10.1.2.3),map_ip_ip(n.map)", "ipv4:10.1.0.1"},
      {"str(2001:db8::8),map_ip_ip(n.map)", "ipv6:2001:db8::1"},
      {"str(11.0.0.1),map_ip_ip(n.map,127.0.0.1)", "ipv4:127.0.0.1"},
      {"str(10.2.3.4),map_ip(n.map)", "str:10.0.0.1"},
      {"str(nope),map_str_ip(va.map,notanip)", "ERR"},
      {"str(x),map(missing.map)", "ERR"},
  };
  for (const auto& c : cases) {
    std::string got = eval(res, c.expr);
    if (c.want == "ERR") EXPECT_TRUE(got.starts_with("ERR")) << c.expr << " -> " << got;
    else EXPECT_EQ(got, c.want) << c.expr;
  }
}

TEST_F(AclMapTest, OutputFormsOfEveryMatch) {
  write("k.map", "key 12\n/p 13\n");
  write("ki.map", "5 12\n");
  write("kn.map", "10.0.0.0/8 12\n");
  write("ka.map", "key 192.0.2.1\n/p 192.0.2.2\n");
  write("kia.map", "5 192.0.2.3\n");
  write("kna.map", "10.0.0.0/8 192.0.2.4\n");
  RefsResolver res;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"str(key),map_str_int(k.map)", "sint:12"},     {"str(/p/q),map_beg_int(k.map)", "sint:13"},
      {"str(akeyb),map_sub_int(k.map)", "sint:12"},   {"str(/x/key),map_dir_int(k.map)", "sint:12"},
      {"str(a.key),map_dom_int(k.map)", "sint:12"},   {"str(xkey),map_end_int(k.map)", "sint:12"},
      {"str(kkey),map_reg_int(k.map)", "sint:12"},    {"int(5),map_int_int(ki.map)", "sint:12"},
      {"str(10.9.9.9),map_ip_int(kn.map)", "sint:12"},
      {"str(key),map_str_ip(ka.map)", "ipv4:192.0.2.1"},  {"str(/p/q),map_beg_ip(ka.map)", "ipv4:192.0.2.2"},
      {"str(akeyb),map_sub_ip(ka.map)", "ipv4:192.0.2.1"}, {"str(/x/key),map_dir_ip(ka.map)", "ipv4:192.0.2.1"},
      {"str(a.key),map_dom_ip(ka.map)", "ipv4:192.0.2.1"}, {"str(xkey),map_end_ip(ka.map)", "ipv4:192.0.2.1"},
      {"str(kkey),map_reg_ip(ka.map)", "ipv4:192.0.2.1"},  {"int(5),map_int_ip(kia.map)", "ipv4:192.0.2.3"},
      {"str(10.9.9.9),map_ip_ip(kna.map)", "ipv4:192.0.2.4"},
  };
  for (const auto& [expr, want] : cases) EXPECT_EQ(eval(res, expr), want) << expr;
  // Every map_* row is covered by one of the tests above.
  for (const auto& c : converters()) {
    if (!c.name.starts_with("map")) continue;
    bool seen = false;
    for (const auto& [expr, want] : cases) seen |= expr.find("," + std::string(c.name) + "(") != std::string::npos;
    for (std::string_view n : {"map", "map_str", "map_beg", "map_sub", "map_dir", "map_dom", "map_end", "map_reg",
                               "map_regm", "map_int", "map_ip"})
      seen |= c.name == n;
    EXPECT_TRUE(seen) << c.name;
  }
}

TEST_F(AclMapTest, RuntimeChangesReachTheNextLookup) {
  write("h.map", "a.example be1\n");
  write("hi.map", "");
  RefsResolver res;
  EXPECT_EQ(eval(res, "str(a.example),map_str(h.map,def)"), "str:be1");
  PatternRef* ref = res.refs.find("h.map");
  ASSERT_NE(ref, nullptr);
  EXPECT_TRUE(ref->used_as(PatternRef::Use::Map));
  CompileCtx cc{kHttpReq, nullptr, &res, {"t.cfg", 9}, "test", nullptr};
  auto e = Expr::compile("str(a.example),map_str(h.map,def)", cc);
  auto ei = Expr::compile("str(b.example),map_str_int(hi.map,0)", cc);
  ASSERT_TRUE(e && ei) << (e ? ei.error().message : e.error().message);
  PatternRef* iref = res.refs.find("hi.map");
  ASSERT_NE(iref, nullptr);
  auto value = [](const Expr& x) {
    Txn t = get("/");
    Sample s;
    std::string out;
    if (x.value(t.ctx, s)) append_sample(s, out);
    return out;
  };
  ASSERT_TRUE(ref->set_key("a.example", "be2"));
  EXPECT_EQ(value(*e), "be2");
  // An integer user refuses a value it cannot parse: nothing changes for anybody.
  EXPECT_EQ(value(*ei), "0");
  EXPECT_FALSE(iref->add("b.example", std::string("notanint"), std::nullopt));
  EXPECT_EQ(value(*ei), "0");
  ASSERT_TRUE(iref->add("b.example", std::string("7"), std::nullopt));
  EXPECT_EQ(value(*ei), "7");
  ASSERT_TRUE(ref->del_key("a.example"));
  EXPECT_EQ(value(*e), "def");
}

TEST_F(AclMapTest, UnreadableFilesAreStartupErrorsWithFileLine) {
  config::LoadOptions o;
  o.resolve = false;
  auto body = [](std::string_view rule) {
    return fmt::format("{}frontend f\n  bind :80\n  {}\n  default_backend b\nbackend b\n  server s 127.0.0.1:1\n",
                       kHead, rule);
  };
  for (auto [rule, want] : std::vector<std::pair<std::string, std::string>>{
           {"http-request set-header X %[req.hdr(host),map(nope.map)]",
            "t.cfg:8: 'http-request set-header': converter 'map': failed to open pattern file <nope.map>"},
           {"http-request deny if { src -f nope.lst }", "t.cfg:8: ACL 'src': failed to open pattern file <nope.lst>"},
       }) {
    auto cfg = config::load_string(body(rule), "t.cfg", o);
    ASSERT_TRUE(cfg.ok());
    auto rt = proxy::Runtime::build(*cfg.config);
    ASSERT_FALSE(rt) << rule;
    EXPECT_NE(rt.error().message.find(want), std::string::npos) << rt.error().message;
  }
}

TEST_F(AclMapTest, ActionChangesAskForOneReclaimAtATime) {
  PatternRefs refs;
  std::vector<uint64_t> asked;
  refs.set_reclaim_hook([&](uint64_t epoch) { asked.push_back(epoch); });
  auto ref = refs.load_text("x.lst", "a\n", false);
  ASSERT_TRUE(ref);
  ASSERT_TRUE((*ref)->attach({MatchKind::Str, false, ValueKind::None, true}));
  refs.request_reclaim();
  EXPECT_TRUE(asked.empty());   // nothing retired yet
  ASSERT_TRUE((*ref)->add("b", std::nullopt, std::nullopt));
  refs.request_reclaim();
  ASSERT_TRUE((*ref)->add("c", std::nullopt, std::nullopt));
  refs.request_reclaim();       // one round trip under way: not a second one
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_EQ(refs.retired(), 2u);
  refs.reclaim_done(asked[0]);
  EXPECT_EQ(refs.retired(), 1u);   // the set retired after the request stays
  refs.request_reclaim();
  ASSERT_EQ(asked.size(), 2u);
  refs.reclaim_done(asked[1]);
  EXPECT_EQ(refs.retired(), 0u);
}

// ---- actions -----------------------------------------------------------------------------

TEST_F(AclMapTest, MapAndAclActions) {
  write("m.map", "");
  write("a.lst", "");
  static std::vector<config::Config> keep;
  config::LoadOptions o;
  o.resolve = false;
  auto cfg = config::load_string(std::string(kHead) +
                                     "frontend f\n  bind :80\n"
                                     "  acl blocked src -f a.lst\n"
                                     "  http-request deny if blocked\n"
                                     "  http-request set-map(m.map) %[hdr(x-k)] %[hdr(x-v)] if { hdr(x-v) -m found }\n"
                                     "  http-request del-map(m.map) %[hdr(x-k)] if { hdr(x-del) -m found }\n"
                                     "  http-request add-acl(a.lst) %[src] if { hdr(x-block) -m found }\n"
                                     "  http-request del-acl(a.lst) %[hdr(x-unblock)] if { hdr(x-unblock) -m found }\n"
                                     "  http-request set-header X-Got %[hdr(x-k),map(m.map,none)]\n"
                                     "  http-request set-map(unused.map) a b\n",
                                 "t.cfg", o);
  ASSERT_TRUE(cfg.ok());
  keep.push_back(*cfg.config);
  RefsResolver res;
  std::vector<std::string> errors;
  auto set = RuleSet::compile(*keep.back().find_proxy("f"), "http-request", kHttpReq, &res, errors);
  ASSERT_TRUE(errors.empty()) << errors[0];
  auto header = [](Txn& t) {
    int i = t.req.find("x-got");
    return i < 0 ? std::string() : std::string(t.req.headers[static_cast<size_t>(i)].value);
  };
  Txn a = get("/", "X-K: k1\r\nX-V: v1\r\n");
  EXPECT_EQ(set.run(a.ctx), Verdict::Continue);
  EXPECT_EQ(header(a), "v1");   // the map changed before the next rule looked
  Txn b = get("/", "X-K: k1\r\nX-V: v2\r\n");
  set.run(b.ctx);
  EXPECT_EQ(header(b), "v2");
  EXPECT_EQ(res.refs.find("m.map")->entries().size(), 1u);   // set, not added twice
  Txn c = get("/", "X-K: k1\r\nX-Del: 1\r\n");
  set.run(c.ctx);
  EXPECT_EQ(header(c), "none");
  Txn d = get("/", "X-Block: 1\r\n");
  EXPECT_EQ(set.run(d.ctx), Verdict::Continue);   // added after the deny rule ran
  Txn e = get("/");
  EXPECT_EQ(set.run(e.ctx), Verdict::Answered);
  Txn f = get("/", "X-Block: 1\r\n", "10.9.9.9");
  set.run(f.ctx);
  EXPECT_EQ(res.refs.find("a.lst")->entries().size(), 2u);
  Txn g = get("/", "X-Unblock: 10.1.2.3\r\n", "10.7.7.7");
  set.run(g.ctx);
  Txn h = get("/");
  EXPECT_EQ(set.run(h.ctx), Verdict::Continue);

  // Valid in http-response rules as well; not in http-after-response (as HAProxy 2.6).
  auto bad = config::load_string(std::string(kHead) + "frontend f\n  bind :80\n  http-response set-map(m.map) a %[res.hdr(x)]\n"
                                 "  http-after-response set-map(m.map) a b\n",
                                 "t.cfg", o);
  ASSERT_TRUE(bad.ok());
  keep.push_back(*bad.config);
  errors.clear();
  RuleSet::compile(*keep.back().find_proxy("f"), "http-after-response", kAfterRes, &res, errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("t.cfg:9: 'http-after-response set-map'"), std::string::npos) << errors[0];
  errors.clear();
  auto rsp = RuleSet::compile(*keep.back().find_proxy("f"), "http-response", kHttpRes, &res, errors);
  EXPECT_TRUE(errors.empty()) << errors[0];
  errors.clear();
  auto noarg = config::load_string(std::string(kHead) + "frontend f\n  bind :80\n  http-request set-map(m.map) a\n",
                                   "t.cfg", o);
  keep.push_back(*noarg.config);
  RuleSet::compile(*keep.back().find_proxy("f"), "http-request", kHttpReq, &res, errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("expects <key format> <value format>"), std::string::npos) << errors[0];
}

}  // namespace
}  // namespace sluice::rules
