// Cross-section validation: every error carries file:line, all errors are collected.
#include "unit/config/test_util.h"

namespace sluice::config {
namespace {
using namespace testing;

TEST(ConfigValidationTest, CollectsAllErrorsInFileOrder) {
  auto r = load(std::string(kDefaults) + "frontend f\n  bind :80\n  mdoe http\n  default_backend nope\n"
                "backend b\n  server s 127.0.0.1:1 weight 300\n  server s 127.0.0.1:2\n  retries x\n");
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(r.config.has_value());
  EXPECT_EQ(error_count(r), 4) << dump(r);
  int last = 0;
  for (const auto& d : r.diagnostics) {
    EXPECT_GE(d.loc.line, last) << dump(r);
    last = d.loc.line;
  }
  EXPECT_TRUE(has_diag(r, "t.cfg:7: unknown keyword 'mdoe' in 'frontend' section (did you mean 'mode'?)")) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:10: server 's': 'weight': 300 is out of range (maximum 256)")) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:8: default_backend: unknown backend 'nope'")) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:12: 'retries': 'x' is not a valid number")) << dump(r);
}

TEST(ConfigValidationTest, UnknownBackendWithSuggestion) {
  auto r = load(std::string(kDefaults) + "frontend f\n  bind :80\n  use_backend apii if TRUE\n  default_backend web\n"
                "backend api\n  server s 127.0.0.1:1\nfrontend web\n  bind :81\n  default_backend api\n");
  EXPECT_TRUE(has_diag(r, "t.cfg:7: use_backend: unknown backend 'apii' (did you mean 'api'?)")) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:8: default_backend: unknown backend 'web'")) << dump(r);
}

// sluice does not evaluate `%[...]` in backend names: refused at load, not at the first start.
TEST(ConfigValidationTest, DynamicNamesOnlyInUseBackend) {
  // use_backend's log-format form is compiled by the runtime; default_backend has none.
  auto r = load(std::string(kDefaults) + "frontend f\n  bind :80\n  mode http\n  use_backend be_%[req.hdr(host)]\n"
                "  default_backend b_%[src]\nbackend b\n  server s 127.0.0.1:1\n");
  EXPECT_FALSE(has_diag(r, "t.cfg:8:")) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:9: default_backend: 'default_backend' with a dynamic name ('b_%[src]') is not "
                          "supported by sluice yet")) << dump(r);
}

TEST(ConfigValidationTest, GlobalStateFileNeeded) {
  auto r = load(std::string(kDefaults) + "backend b\n  load-server-state-from-file global\n  server s 127.0.0.1:1\n");
  EXPECT_TRUE(has_diag(r, "t.cfg:5: backend 'b': 'load-server-state-from-file global' needs a global "
                          "'server-state-file'")) << dump(r);
}

TEST(ConfigValidationTest, DuplicateProxyNames) {
  auto r = load(std::string(kDefaults) + "backend b\n  server s 127.0.0.1:1\nlisten b\n  bind :80\n"
                "  server s 127.0.0.1:1\nfrontend b\n  bind :81\n  default_backend b\n");
  EXPECT_TRUE(has_diag(r, "t.cfg:7: proxy 'b' has the same name as another backend declared at t.cfg:5")) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:10: frontend 'b' has the same name as another frontend declared at t.cfg:7")) << dump(r);
}

TEST(ConfigValidationTest, FrontendAndBackendMayShareAName) {
  auto r = load(std::string(kDefaults) + "frontend app\n  bind :80\n  default_backend app\nbackend app\n"
                "  server s 127.0.0.1:1\n");
  EXPECT_TRUE(r.ok()) << dump(r);
}

TEST(ConfigValidationTest, DuplicateServerNames) {
  auto r = load(std::string(kDefaults) + "backend b\n  server s 127.0.0.1:1\n  server s 127.0.0.1:2\n");
  EXPECT_TRUE(has_diag(r, "t.cfg:7: backend 'b': another server named 's' was already defined at line 6")) << dump(r);
}

TEST(ConfigValidationTest, TcpModeHttpFeaturesWarnLikeHaproxy) {
  auto r = load(std::string(kDefaults) + "frontend f\n  bind :80\n  mode tcp\n  option httplog\n  option forwardfor\n"
                "  http-request deny\n  default_backend b\nbackend b\n  mode tcp\n  cookie S insert\n  balance uri\n"
                "  server s 127.0.0.1:1\n");
  EXPECT_TRUE(r.ok()) << dump(r);
  EXPECT_TRUE(has_diag(r, "'option httplog' not usable with frontend 'f' (needs 'mode http')", true)) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:10: warning: 'http-request' rules ignored for frontend 'f'", true)) << dump(r);
  EXPECT_TRUE(has_diag(r, "'option forwardfor' ignored for frontend 'f'", true)) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:14: warning: cookie will be ignored for backend 'b' (needs 'mode http')", true)) << dump(r);
  EXPECT_TRUE(has_diag(r, "layer 7 hash not possible for backend 'b'", true)) << dump(r);
}

TEST(ConfigValidationTest, FrontendWithoutBindWarns) {
  auto r = load(std::string(kDefaults) + "frontend f\n  default_backend b\nbackend b\n  server s 127.0.0.1:1\n");
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(has_diag(r, "t.cfg:5: warning: frontend 'f' has no 'bind' directive", true)) << dump(r);
}

TEST(ConfigValidationTest, BackendWithoutServersWarns503) {
  auto r = load(std::string(kDefaults) + "backend empty\nbackend disp\n  dispatch 127.0.0.1:80\n");
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(has_diag(r, "t.cfg:5: warning: backend 'empty' has no server and no 'dispatch': requests will get 503", true)) << dump(r);
  EXPECT_FALSE(has_diag(r, "backend 'disp' has no server", true)) << dump(r);
}

TEST(ConfigValidationTest, StickWithoutTable) {
  auto r = load(std::string(kDefaults) + "backend b\n  stick on src\n  stick match src table other\n"
                "  server s 127.0.0.1:1\nbackend other\n  server s 127.0.0.1:1\n");
  EXPECT_TRUE(has_diag(r, "t.cfg:6: backend 'b': unable to find stick-table 'b'")) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:7: backend 'b': unable to find stick-table 'other'")) << dump(r);
}

TEST(ConfigValidationTest, StickOnAnotherProxysTable) {
  auto r = load(std::string(kDefaults) + "backend b\n  stick on src table t\n  server s 127.0.0.1:1\n"
                "backend t\n  stick-table type ip size 1k\n");
  EXPECT_TRUE(r.ok()) << dump(r);
}

TEST(ConfigValidationTest, MissingTimeoutsWarn) {
  auto r = load("frontend f\n  bind :80\n  default_backend b\nbackend b\n  server s 127.0.0.1:1\n");
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(has_diag(r, "t.cfg:1: warning: missing 'timeout client' for frontend 'f'", true)) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:4: warning: missing 'timeout connect' or 'timeout server' for backend 'b'", true)) << dump(r);
}

TEST(ConfigValidationTest, UnknownKeywordSuggestionsAndHints) {
  auto r = load(std::string(kDefaults) + "backend b\n  balanse roundrobin\n  compression algo gzip\n"
                "  slowstart 10s\n  xyzzy\n  server s 127.0.0.1:1\n");
  EXPECT_TRUE(has_diag(r, "t.cfg:6: unknown keyword 'balanse' in 'backend' section (did you mean 'balance'?)")) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:7: 'compression' is not supported by sluice yet")) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:8: unknown keyword 'slowstart' in 'backend' section ('slowstart' is a server keyword")) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:9: unknown keyword 'xyzzy' in 'backend' section")) << dump(r);
}

TEST(ConfigValidationTest, WrongArgumentCounts) {
  auto r = load(std::string(kDefaults) + "backend b\n  mode\n  retries 1 2\n  dispatch\n  hash-type\n"
                "  server s 127.0.0.1:1\n");
  EXPECT_TRUE(has_diag(r, "t.cfg:6: 'mode' expects http or tcp")) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:7: 'retries' expects a number")) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:8: 'dispatch' expects <address>:<port>")) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:9: 'hash-type' expects map-based or consistent")) << dump(r);
}

TEST(ConfigValidationTest, DispatchNeedsPort) {
  auto r = load(std::string(kDefaults) + "backend b\n  dispatch 127.0.0.1\n");
  EXPECT_TRUE(has_diag(r, "t.cfg:6: dispatch: missing port in '127.0.0.1'")) << dump(r);
}

TEST(ConfigValidationTest, LexerErrorsCarryLocation) {
  auto r = load("global\n  description \"unterminated\n");
  EXPECT_TRUE(has_diag(r, "t.cfg:2: unmatched double quote")) << dump(r);
}

TEST(ConfigValidationTest, ProxyWithoutName) {
  auto r = load("backend\n");
  EXPECT_TRUE(has_diag(r, "t.cfg:1: 'backend' expects a name")) << dump(r);
}

TEST(ConfigValidationTest, FindProxy) {
  auto r = load(std::string(kDefaults) + "backend a\n  server s 127.0.0.1:1\n");
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r.config->find_proxy("a"), nullptr);
  EXPECT_EQ(r.config->find_proxy("zz"), nullptr);
}

}  // namespace
}  // namespace sluice::config
