// Runtime: the compile step reports every error with file:line; balancing keys for
// `balance uri` and `balance url_param`.
#include <gtest/gtest.h>

#include "config/loader.h"
#include "proxy/runtime.h"

namespace sluice::proxy {
namespace {

config::Config parse(std::string_view text) {
  config::LoadOptions o;
  o.resolve = false;
  auto r = config::load_string(text, "t.cfg", o);
  EXPECT_TRUE(r.ok());
  return r.ok() ? *r.config : config::Config{};
}

constexpr const char* kHead = "defaults\n  mode http\n  timeout connect 1s\n  timeout client 1s\n  timeout server 1s\n";

// What only the compile step can find (unknown fetches, missing stick tables' fetches,
// unknown user names) comes out together, each line with its file:line.
TEST(RuntimeCompileTest, ReportsEveryErrorWithFileAndLine) {
  auto cfg = parse(std::string(kHead) +
                   "listen web\n  bind :80\n  acl up path_reg ^(a\n  http-request deny if up\n"
                   "  stick-table type string size 1k\n  stick on req.nosuchfetch\n"
                   "  bind /tmp/sluice-test.sock user no-such-user-sluice\n  server s 127.0.0.1:1\n");
  auto rt = Runtime::build(cfg);
  ASSERT_FALSE(rt);
  const std::string& m = rt.error().message;
  EXPECT_NE(m.find("t.cfg:9: "), std::string::npos) << m;
  EXPECT_NE(m.find("t.cfg:12: bind: unknown user 'no-such-user-sluice'"), std::string::npos) << m;
  EXPECT_NE(m.find("t.cfg:6: proxy 'web': "), std::string::npos) << m;   // the stick rules
  for (size_t pos = 0; pos < m.size();) {
    size_t nl = m.find('\n', pos);
    EXPECT_EQ(m.compare(pos, 6, "t.cfg:"), 0) << m;
    pos = nl == std::string::npos ? m.size() : nl + 1;
  }
}

TEST(RuntimeCompileTest, StatsSocketChecks) {
  auto cfg = parse("global\n  stats socket ipv4@127.0.0.1:9999 mode 600\n  stats socket /tmp/x.sock group no-such-group-sl\n");
  auto rt = Runtime::build(cfg);
  ASSERT_FALSE(rt);
  EXPECT_NE(rt.error().message.find("t.cfg:2: stats socket: 'mode', 'uid'"), std::string::npos) << rt.error().message;
  EXPECT_NE(rt.error().message.find("t.cfg:3: stats socket: unknown group 'no-such-group-sl'"), std::string::npos);
}

TEST(RuntimeCompileTest, ValidConfigBuilds) {
  auto cfg = parse(std::string(kHead) + "listen web\n  bind :80\n  acl api path_beg /api\n"
                   "  http-request deny if api\n  server s 127.0.0.1:1\n");
  ASSERT_TRUE(Runtime::build(cfg));
}

TEST(BalanceKeyTest, UriPartsAsHaproxyHashesThem) {
  config::ProxyConfig p;
  EXPECT_EQ(uri_hash_input("/a/b/c?x=1", p), "/a/b/c");
  p.uri_whole = true;
  EXPECT_EQ(uri_hash_input("/a/b/c?x=1", p), "/a/b/c?x=1");
  p.uri_whole = false;
  p.uri_depth = 2;
  EXPECT_EQ(uri_hash_input("/a/b/c?x=1", p), "/a/b");
  EXPECT_EQ(uri_hash_input("/a", p), "/a");
  p.uri_depth = 0;
  p.uri_len = 4;
  EXPECT_EQ(uri_hash_input("/abcdef", p), "/abc");
}

TEST(BalanceKeyTest, UrlParamValue) {
  EXPECT_EQ(url_param_value("/p?uid=42&x=1", "uid"), "42");
  EXPECT_EQ(url_param_value("/p?x=1&uid=7", "uid"), "7");
  EXPECT_EQ(url_param_value("/p?uid=", "uid"), "");
  EXPECT_FALSE(url_param_value("/p?uidx=1&x=uid", "uid"));
  EXPECT_FALSE(url_param_value("/p/uid=1", "uid"));
  EXPECT_FALSE(url_param_value("/p?uid", "uid"));
}

}  // namespace
}  // namespace sluice::proxy
