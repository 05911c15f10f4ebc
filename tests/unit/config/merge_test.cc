// `defaults` inheritance: unnamed, named, `from`, `no option`, and section structure.
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "unit/config/test_util.h"

namespace sluice::config {
namespace {
using namespace testing;

TEST(ConfigMergeTest, LastUnnamedDefaultsApplies) {
  auto r = load("defaults\n  mode http\n  timeout connect 1s\n  timeout client 1s\n  timeout server 1s\n"
                "backend a\n  server s 127.0.0.1:1\n"
                "defaults\n  mode tcp\n  timeout connect 2s\n  timeout client 1s\n  timeout server 1s\n"
                "backend b\n  server s 127.0.0.1:1\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_EQ(r.config->find_proxy("a")->mode, Mode::Http);
  EXPECT_EQ(r.config->find_proxy("a")->timeouts.connect, Millis(1000));
  EXPECT_EQ(r.config->find_proxy("b")->mode, Mode::Tcp);
  EXPECT_EQ(r.config->find_proxy("b")->timeouts.connect, Millis(2000));
}

TEST(ConfigMergeTest, NewDefaultsSectionStartsFromScratch) {
  auto r = load("defaults\n  option redispatch\n  retries 9\ndefaults\n  timeout connect 1s\n  timeout client 1s\n"
                "  timeout server 1s\nbackend b\n  server s 127.0.0.1:1\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_FALSE(r.config->find_proxy("b")->redispatch.has_value());
  EXPECT_EQ(r.config->find_proxy("b")->retries, 3u);
}

TEST(ConfigMergeTest, NamedDefaultsAndFrom) {
  auto r = load("defaults base\n  mode http\n  timeout connect 1s\n  timeout client 1s\n  timeout server 1s\n"
                "defaults tcpish from base\n  mode tcp\n"
                "backend a from base\n  server s 127.0.0.1:1\n"
                "backend b\n  server s 127.0.0.1:1\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  const auto* a = r.config->find_proxy("a");
  EXPECT_EQ(a->mode, Mode::Http);
  EXPECT_EQ(a->from, "base");
  const auto* b = r.config->find_proxy("b");   // last defaults = tcpish, which inherits base
  EXPECT_EQ(b->mode, Mode::Tcp);
  EXPECT_EQ(b->timeouts.connect, Millis(1000));
  EXPECT_EQ(b->from, "tcpish");
}

TEST(ConfigMergeTest, UnknownFromIsAnError) {
  auto r = load("defaults base\n  mode http\nbackend a from bsae\n  server s 127.0.0.1:1\n");
  EXPECT_TRUE(has_diag(r, "t.cfg:3: no 'defaults' section named 'bsae' before this point (did you mean 'base'?)")) << dump(r);
}

TEST(ConfigMergeTest, NoOptionClearsInheritedOption) {
  auto r = load(std::string(kDefaults) + "  option httpclose\n  option forwardfor\n  option httplog\n  option persist\n"
                "backend b\n  mode http\n  no option httpclose\n  no option forwardfor\n  no option httplog\n"
                "  no option persist\n  server s 127.0.0.1:1\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  const auto* b = r.config->find_proxy("b");
  EXPECT_FALSE(b->http_conn_mode.has_value());
  EXPECT_FALSE(b->forwardfor.enabled);
  EXPECT_FALSE(b->httplog);
  EXPECT_EQ(b->persist, false);
}

TEST(ConfigMergeTest, DefaultServerInheritedFromDefaults) {
  auto r = load(std::string(kDefaults) + "  default-server inter 7s rise 5\nbackend b\n  default-server fall 9\n"
                "  server s 127.0.0.1:1\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  const auto& s = r.config->find_proxy("b")->servers[0];
  EXPECT_EQ(s.inter, Millis(7000));
  EXPECT_EQ(s.rise, 5u);
  EXPECT_EQ(s.fall, 9u);
}

TEST(ConfigMergeTest, DefaultsRejectsProxyOnlyKeywords) {
  auto r = load("defaults\n  server s 127.0.0.1:1\n  bind :80\n  acl a path /\n");
  EXPECT_TRUE(has_diag(r, "t.cfg:2: 'server' is not allowed in a 'defaults' section")) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:3: 'bind' is not allowed in a 'defaults' section")) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:4: 'acl' is not allowed in a 'defaults' section")) << dump(r);
}

TEST(ConfigMergeTest, CapabilityMismatchWarnsOrFails) {
  auto r = load(std::string(kDefaults) + "frontend f\n  bind :80\n  balance leastconn\n  server s 127.0.0.1:1\n"
                "  default_backend b\nbackend b\n  bind :81\n  server s 127.0.0.1:1\n");
  EXPECT_TRUE(has_diag(r, "t.cfg:7: warning: 'balance' ignored because frontend 'f' has no backend capability", true)) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:8: 'server' is not allowed in a 'frontend' section")) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:11: 'bind' is not allowed in a 'backend' section")) << dump(r);
}

TEST(ConfigMergeTest, UnsupportedSectionsAreReportedOnce) {
  auto r = load("peers p\n  peer a 127.0.0.1:1\nresolvers dns\n"
                "program p\nmailers m\ncache c\n");
  for (const char* s : {"peers", "resolvers", "program", "mailers", "cache"})
    EXPECT_TRUE(has_diag(r, fmt::format("section '{}' is not supported by sluice yet", s))) << s << dump(r);
  EXPECT_EQ(error_count(r), 5) << dump(r);
}

TEST(ConfigMergeTest, KeywordOutOfSection) {
  auto r = load("mode http\nfrontedn f\n");
  EXPECT_TRUE(has_diag(r, "t.cfg:1: unknown keyword 'mode' out of section")) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:2: unknown keyword 'frontedn' out of section (did you mean 'frontend'?)")) << dump(r);
}

TEST(ConfigMergeTest, FilesAndDirectoriesInOrder) {
  namespace fs = std::filesystem;
  fs::path dir = fs::path(::testing::TempDir()) / "sluice_cfg_dir";
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "10-defaults.cfg") << kDefaults;
  std::ofstream(dir / "20-backend.cfg") << "backend b\n  server s 127.0.0.1:1\n";
  std::ofstream(dir / "README.txt") << "not a config\n";
  fs::path global = fs::path(::testing::TempDir()) / "sluice_global.cfg";
  std::ofstream(global) << "global\n  maxconn 7\n";
  auto r = load_files({global.string(), dir.string()}, opts());
  ASSERT_TRUE(r.ok()) << dump(r);
  ASSERT_EQ(r.config->files.size(), 3u);
  EXPECT_EQ(r.config->files[1], (dir / "10-defaults.cfg").string());
  EXPECT_EQ(r.config->global.maxconn, 7u);
  EXPECT_EQ(r.config->find_proxy("b")->timeouts.connect, Millis(5000));   // defaults carry across files
  auto missing = load_files({"/nonexistent/sluice.cfg"}, opts());
  EXPECT_FALSE(missing.ok());
  EXPECT_TRUE(has_diag(missing, "cannot open configuration file '/nonexistent/sluice.cfg'")) << dump(missing);
  fs::remove_all(dir);
  fs::remove(global);
}

TEST(ConfigMergeTest, EnvironmentInConfig) {
  auto r = load(std::string(kDefaults) + "backend b\n  server s \"${BACKEND_ADDR}\" weight \"$W\"\n",
                {{"BACKEND_ADDR", "127.0.0.1:8081"}, {"W", "17"}});
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_EQ(r.config->find_proxy("b")->servers[0].addr.port, 8081);
  EXPECT_EQ(r.config->find_proxy("b")->servers[0].weight, 17u);
}

}  // namespace
}  // namespace sluice::config
