#include "lb/least_conn.h"

#include <gtest/gtest.h>

#include "unit/lb/fake_server.h"

namespace sluice::lb {
namespace {

using testing::FakeServer;
using testing::FakeServerSet;
using testing::pick_names;

void set_conns(Algorithm& algo, FakeServer& s, uint32_t conns) {
  s.conns_ = conns;
  algo.on_server_changed(s);
}

TEST(LbLeastConn, PrefersFewerConnections) {
  FakeServerSet servers{{"a", 1}, {"b", 1}, {"c", 1}};
  LeastConn lc(servers);
  set_conns(lc, servers["a"], 5);
  set_conns(lc, servers["b"], 2);
  set_conns(lc, servers["c"], 7);
  EXPECT_EQ(lc.pick({})->name(), "b");
  set_conns(lc, servers["b"], 9);
  EXPECT_EQ(lc.pick({})->name(), "a");
}

TEST(LbLeastConn, LoadIsRelativeToWeight) {
  FakeServerSet servers{{"a", 4}, {"b", 1}};
  LeastConn lc(servers);
  set_conns(lc, servers["a"], 6);  // (6+1)/4 = 1.75
  set_conns(lc, servers["b"], 1);  // (1+1)/1 = 2
  EXPECT_EQ(lc.pick({})->name(), "a");
}

TEST(LbLeastConn, TiesRotateRoundRobin) {
  FakeServerSet servers{{"a", 1}, {"b", 1}, {"c", 1}};
  LeastConn lc(servers);
  EXPECT_EQ(pick_names(lc, 6), "abcabc");  // conns never change: pure rotation
}

TEST(LbLeastConn, ConnectionsFollowWeights) {
  FakeServerSet servers{{"a", 3}, {"b", 1}};
  LeastConn lc(servers);
  for (int i = 0; i < 40; ++i) {  // long-lived connections pile up
    auto& s = static_cast<FakeServer&>(*lc.pick({}));
    set_conns(lc, s, s.conns_ + 1);
  }
  EXPECT_EQ(servers["a"].conns_, 30u);
  EXPECT_EQ(servers["b"].conns_, 10u);
}

TEST(LbLeastConn, SkipsTriedDrainedAndDown) {
  FakeServerSet servers{{"a", 1}, {"b", 1}, {"c", 0}, {"d", 1}};
  LeastConn lc(servers);
  set_conns(lc, servers["b"], 3);
  set_conns(lc, servers["d"], 4);
  const Candidate* tried[] = {&servers["a"]};
  EXPECT_EQ(lc.pick({.tried = tried})->name(), "b");
  servers["a"].usable_ = false;
  lc.on_server_changed(servers["a"]);
  EXPECT_EQ(pick_names(lc, 3), "bbb");
  servers["b"].weight_ = 0;
  servers["d"].usable_ = false;
  lc.on_server_changed(servers["b"]);
  lc.on_server_changed(servers["d"]);
  EXPECT_EQ(lc.pick({}), nullptr);
}

TEST(LbLeastConn, StaleHeadIsRecheckedBeforeReturn) {
  FakeServerSet servers{{"a", 1}, {"b", 1}};
  LeastConn lc(servers);
  servers["a"].conns_ = 10;  // no notification
  EXPECT_EQ(lc.pick({})->name(), "b");
  servers["b"].weight_ = 0;  // drained without notification
  EXPECT_EQ(lc.pick({})->name(), "a");
}

TEST(LbLeastConn, SetServersAddsAndRemoves) {
  FakeServerSet servers{{"a", 1}, {"b", 1}};
  LeastConn lc(servers);
  set_conns(lc, servers["a"], 2);
  set_conns(lc, servers["b"], 2);
  servers.add("c", 1);
  lc.set_servers(servers);
  EXPECT_EQ(lc.pick({})->name(), "c");  // the new, idle server
  servers.remove("c");
  lc.set_servers(servers);
  const std::string seq = pick_names(lc, 4);
  EXPECT_EQ(seq.find('c'), std::string::npos);
}

}  // namespace
}  // namespace sluice::lb
