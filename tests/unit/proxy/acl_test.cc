// ACL evaluation: for each accepted form, what HAProxy 2.6 answers for the same request
// (checked against /usr/sbin/haproxy with the same ACLs; see tests/e2e/test_acl_strict.py).
#include "proxy/acl.h"

#include <gtest/gtest.h>

#include <sstream>

#include "config/parse_internal.h"
#include "net/cidr.h"

namespace sluice::proxy {
namespace {

struct Req {
  std::string method = "GET", target = "/";
  std::vector<std::pair<std::string, std::string>> headers{};
  int minor = 1;
};

struct Env {
  http::RequestHead head;
  sockaddr_storage src{}, dst{};
  explicit Env(const Req& r, const char* src_ip = "10.1.2.3", uint16_t sport = 40000, const char* dst_ip = "127.0.0.1",
               uint16_t dport = 8080)
      : req_(r) {
    head.method_name = req_.method;
    head.target = req_.target;
    head.path = req_.target;
    head.version_minor = static_cast<uint8_t>(req_.minor);
    for (const auto& [n, v] : req_.headers) head.headers.push_back({n, v});
    src = addr(src_ip, sport);
    dst = addr(dst_ip, dport);
  }
  AclContext ctx() const { return {&src, &dst, &head}; }
  static sockaddr_storage addr(const char* ip, uint16_t port) {
    auto a = net::parse_ip(ip);
    EXPECT_TRUE(a) << ip;
    if (a->ss_family == AF_INET) reinterpret_cast<sockaddr_in&>(*a).sin_port = htons(port);
    else reinterpret_cast<sockaddr_in6&>(*a).sin6_port = htons(port);
    return *a;
  }

 private:
  Req req_;
};

std::vector<std::string> words(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// `acl_text` as written after `acl NAME`, evaluated as `if { acl_text }`.
bool matches(std::string_view acl_text, const Env& env) {
  auto w = words(acl_text);
  auto a = config::detail::parse_acl(w, false, {"t.cfg", 1});
  EXPECT_TRUE(a) << acl_text << ": " << a.error().message;
  if (!a) return false;
  config::Condition c;
  c.any_of = {{config::CondTerm{false, "", *a}}};
  auto cond = Condition::compile(c, {});
  EXPECT_TRUE(cond) << acl_text;
  return cond && cond->eval(env.ctx());
}

struct Row {
  const char* acl;
  Req req;
  bool expect;
};

void run(std::initializer_list<Row> rows) {
  for (const Row& r : rows) {
    Env env(r.req);
    EXPECT_EQ(matches(r.acl, env), r.expect) << r.acl << " on " << r.req.target;
  }
}

using H = std::vector<std::pair<std::string, std::string>>;

TEST(AclEvalTest, HeaderValuesAreSplitOnCommas) {
  run({
      {"hdr(x) b", {.headers = H{{"X", "a, b"}}}, true},          // hdr() splits
      {"req.fhdr(x) b", {.headers = H{{"X", "a, b"}}}, false},    // fhdr() does not
      {"req.fhdr(x) a, b", {.headers = H{{"X", "a, b"}}}, false},  // two patterns "a," and "b"
      {"req.fhdr(x) b", {.headers = H{{"X", "a"}, {"X", "b"}}}, true},
      {"hdr(x) b", {.headers = H{{"X", "  a  ,  b  "}}}, true},   // values are trimmed
      {"hdr(x) c", {.headers = H{{"X", "a,\"b,c\""}}}, false},    // commas inside quotes don't split
      {"hdr(x) \"b,c\"", {.headers = H{{"X", "a,\"b,c\""}}}, true},
      {"hdr_cnt(x) eq 3", {.headers = H{{"X", "a,,\"b,c\""}}}, true},   // empty values count
      {"req.fhdr_cnt(x) eq 2", {.headers = H{{"X", "a,b"}, {"x", "c"}}}, true},
      {"hdr_cnt(x) eq 0", {}, true},
      {"hdr_beg(x) www.", {.headers = H{{"X", "a, www.b"}}}, true},
      {"hdr_sub(host) -i EXAMPLE", {.headers = H{{"Host", "www.example.com"}}}, true},
  });
}

TEST(AclEvalTest, Occurrences) {
  run({
      {"hdr(x,-1) b", {.headers = H{{"X", "a, b"}}}, true},
      {"hdr(x,-1) a", {.headers = H{{"X", "a, b"}}}, false},
      {"hdr(x,1) a", {.headers = H{{"X", "a, b"}}}, true},
      {"hdr(x,2) -m len 0", {.headers = H{{"X", "a,,b"}}}, true},
      {"hdr(x,-2) b", {.headers = H{{"X", "a"}, {"X", "b, c"}}}, true},
      {"hdr(x,5) -m found", {.headers = H{{"X", "a, b"}}}, false},
      {"req.fhdr(x,-1) a, b", {.headers = H{{"X", "z"}, {"X", "a, b"}}}, false},
      {"req.fhdr(x,1) -m sub ,", {.headers = H{{"X", "a, b"}, {"X", "c"}}}, true},
  });
}

TEST(AclEvalTest, IntegersAndCasts) {
  run({
      {"hdr_val(x) gt 10", {.headers = H{{"X", "11"}}}, true},
      {"hdr_val(x) gt 10", {.headers = H{{"X", "10"}}}, false},
      {"hdr_val(x) ge 10", {.headers = H{{"X", "10"}}}, true},
      {"hdr_val(x) lt 5", {.headers = H{{"X", "abc"}}}, true},    // not a number: 0, as HAProxy
      {"hdr_val(x) lt 5", {.headers = H{{"X", "-20"}}}, true},
      {"hdr_val(x) le 5", {}, false},                               // no header: no value
      {"hdr_val(x) eq 12", {.headers = H{{"X", "12x"}}}, true},
      {"hdr_val(x) 5:10", {.headers = H{{"X", "7"}}}, true},
      {"hdr_val(x) 5:10", {.headers = H{{"X", "11"}}}, false},
      {"hdr_val(x) :5", {.headers = H{{"X", "-3"}}}, true},
      {"hdr_val(x) 5:", {.headers = H{{"X", "99"}}}, true},
      {"hdr_val(x) -- -20", {.headers = H{{"X", "-20"}}}, true},
      {"hdr(x) -m int gt 10", {.headers = H{{"X", "11"}, {"X", "3"}}}, true},   // every value tried
      {"hdr(x) -m int gt 10", {.headers = H{{"X", "abc"}}}, false},
      {"hdr(x) -m int eq 0", {.headers = H{{"X", ""}}}, false},     // empty string: no integer
      {"hdr_len(x) 0", {.headers = H{{"X", ""}}}, true},
      {"path_len gt 3", {.target = "/abcd"}, true},
      {"path_len gt 3", {.target = "/ab?query"}, false},
      {"hdr_cnt(x) gt 1", {.headers = H{{"X", "a, b"}}}, true},
      {"hdr_cnt(x) -m bool", {.headers = H{{"X", "a"}}}, true},
      {"hdr_cnt(x) -m bool", {}, false},
      {"dst_port 8080", {}, true},
      {"dst_port 80 443", {}, false},
      {"dst_port 8000:8999", {}, true},
      {"src_port gt 1023", {}, true},
  });
}

TEST(AclEvalTest, Addresses) {
  run({
      {"src 10.0.0.0/8", {}, true},
      {"src 10.0.0.0/255.0.0.0", {}, true},
      {"src 192.168.0.0/16 ::1", {}, false},
      {"dst 127.0.0.1", {}, true},
      {"hdr(x) -m ip 10.0.0.0/8", {.headers = H{{"X", "10.1.2.3"}}}, true},
      {"hdr(x) -m ip 10.0.0.0/8", {.headers = H{{"X", "::ffff:10.1.1.1"}}}, true},
      {"hdr(x) -m ip 10.0.0.0/8", {.headers = H{{"X", "11.1.1.1"}}}, false},
      {"hdr(x) -m ip 10.0.0.0/8", {.headers = H{{"X", "garbage"}}}, false},
      {"hdr_ip(x-forwarded-for) 192.168.0.0/16", {.headers = H{{"X-Forwarded-For", "1.1.1.1, 192.168.3.4"}}}, true},
      {"hdr_ip(x-forwarded-for,1) 192.168.0.0/16", {.headers = H{{"X-Forwarded-For", "1.1.1.1, 192.168.3.4"}}}, false},
  });
  Env v6(Req{}, "::ffff:10.9.9.9");
  EXPECT_TRUE(matches("src 10.0.0.0/8", v6));
}

TEST(AclEvalTest, ConvertersAndStrings) {
  run({
      {"req.hdr(x),lower c", {.headers = H{{"X", "C"}}}, true},
      {"req.hdr(x) c", {.headers = H{{"X", "C"}}}, false},
      {"path,upper -m beg /API", {.target = "/api/v1"}, true},
      {"hdr(x),upper,lower abc", {.headers = H{{"X", "AbC"}}}, true},
      {"query -m found", {.target = "/x"}, false},
      {"query -m found", {.target = "/x?"}, true},
      {"query -m len 0", {.target = "/x?"}, true},
      {"query a=1", {.target = "/x?a=1"}, true},
      {"path /x", {.target = "/x?a=1"}, true},
      {"url /x?a=1", {.target = "/x?a=1"}, true},
      {"path_dir api", {.target = "/v1/api/x"}, true},
      {"path_end .png", {.target = "/a.png"}, true},
      {"method POST", {.method = "POST"}, true},
      {"method -i post", {.method = "POST"}, false},   // methods are case-sensitive, -i or not
      {"req.ver 1.0", {.minor = 0}, true},
      {"cook(sid) abc", {.headers = H{{"Cookie", "a=1; sid=abc"}}}, true},
      {"cook(sid) abc", {.headers = H{{"Cookie", "a=1"}, {"Cookie", "sid=abc"}}}, true},
      {"cook_beg(sid) ab", {.headers = H{{"Cookie", "sid=abc"}}}, true},
      {"always_true", {}, true},
      {"always_false", {}, false},
      {"path_beg -m end x", {.target = "/ax"}, true},   // -m overrides the keyword's match
  });
}

TEST(AclEvalTest, TcpContextHasNoHttpValues) {
  Env env(Req{.headers = H{{"X", "1"}}});
  AclContext tcp{&env.src, &env.dst, nullptr};
  auto w = words("hdr_cnt(x) eq 0");
  auto a = config::detail::parse_acl(w, false, {"t.cfg", 1});
  ASSERT_TRUE(a);
  config::Condition c;
  c.any_of = {{config::CondTerm{false, "", *a}}};
  auto cond = Condition::compile(c, {});
  ASSERT_TRUE(cond);
  EXPECT_FALSE(cond->eval(tcp));
  EXPECT_TRUE(cond->needs_http());
}

TEST(AclEvalTest, PredefinedAndNegation) {
  Env env(Req{.method = "HEAD"}, "127.0.0.5");
  auto eval = [&](std::vector<config::CondTerm> terms) {
    config::Condition c;
    c.any_of = {std::move(terms)};
    auto cond = Condition::compile(c, {});
    EXPECT_TRUE(cond);
    return cond && cond->eval(env.ctx());
  };
  EXPECT_TRUE(eval({{false, "LOCALHOST", std::nullopt}}));
  EXPECT_TRUE(eval({{false, "METH_GET", std::nullopt}}));   // GET covers HEAD
  EXPECT_FALSE(eval({{false, "METH_POST", std::nullopt}}));
  EXPECT_TRUE(eval({{false, "HTTP_1.1", std::nullopt}}));
  EXPECT_TRUE(eval({{false, "HTTP", std::nullopt}}));
  EXPECT_TRUE(eval({{false, "HTTP_URL_SLASH", std::nullopt}}));
  EXPECT_FALSE(eval({{true, "TRUE", std::nullopt}}));
  auto w = words("path /x");
  auto a = config::detail::parse_acl(w, false, {"t.cfg", 1});
  ASSERT_TRUE(a);
  EXPECT_TRUE(eval({{true, "", *a}}));   // !{ path /x } on "/"
}

TEST(SampleTest, RenderFormat) {
  Env env(Req{.target = "/p?q=1", .headers = H{{"X", "a, b"}, {"Host", "h"}}}, "10.1.2.3", 40000);
  auto parts = config::parse_sample_format("%[src]:%[src_port] %[dst]:%[dst_port] %[hdr(x)] %[req.fhdr(x)] "
                                           "%[path] %[query] %[method] %[url] [%[hdr(none)]] %[hdr(host),upper]");
  ASSERT_TRUE(parts) << parts.error().message;
  // hdr() in a sample is its last value (HAProxy's rule for sample expressions).
  EXPECT_EQ(render_format(*parts, env.ctx()), "10.1.2.3:40000 127.0.0.1:8080 b a, b /p q=1 GET /p?q=1 [] H");
  Env v6(Req{}, "2001:db8::1");
  auto src = config::parse_sample_format("%[src]");
  EXPECT_EQ(render_format(*src, v6.ctx()), "2001:db8::1");
}

}  // namespace
}  // namespace sluice::proxy
