#include "app/server_state.h"

#include <gtest/gtest.h>

namespace sluice::app {
namespace {

constexpr char kDump[] =
    "1\n"
    "# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight "
    "srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state "
    "srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl "
    "srv_check_port srv_check_addr srv_agent_addr srv_agent_port\n"
    "2 be 1 s1 127.0.0.1 2 8 1 1 0 1 0 2 0 0 0 0 - 8080 - 0 0 - - 0\n"
    "2 be 2 s2 10.0.0.2 0 0 7 1 12 6 1 0 6 0 0 0 - 9090 - 0 0 - - 0\n"
    "garbage line\n";

TEST(ServerStateTest, ParsesHaproxyVersion1Dump) {
  size_t skipped = 0;
  auto lines = parse_server_state(kDump, &skipped);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(skipped, 1u);
  EXPECT_EQ(lines[0].backend, "be");
  EXPECT_EQ(lines[0].server, "s1");
  EXPECT_EQ(lines[0].admin, 8);
  EXPECT_EQ(lines[0].op, 2);
  EXPECT_EQ(lines[1].addr, "10.0.0.2");
  EXPECT_EQ(lines[1].op, 0);
  EXPECT_EQ(lines[1].uweight, 7u);
  EXPECT_EQ(lines[1].port, 9090);
}

TEST(ServerStateTest, DownServerWithChecksStartsFullyDown) {
  config::Config cfg;
  config::ProxyConfig p;
  p.name = "be";
  p.kind = config::ProxyConfig::Kind::Backend;
  config::ServerConfig s1, s2;
  s1.name = "s1";
  s1.check = true;
  s2.name = "s2";
  s2.check = true;
  p.servers = {s1, s2};
  cfg.proxies.push_back(p);
  apply_state_to_config(cfg, parse_server_state(kDump));
  EXPECT_EQ(cfg.proxies[0].servers[0].init_state, config::InitState::Up);
  EXPECT_EQ(cfg.proxies[0].servers[1].init_state, config::InitState::FullyDown);
}

TEST(ServerStateTest, EmptyAndVersionOnlyTextsGiveNothing) {
  EXPECT_TRUE(parse_server_state("").empty());
  EXPECT_TRUE(parse_server_state("1\n# header\n").empty());
}

}  // namespace
}  // namespace sluice::app
