// Backend server choice: persistence, load balancing, connection limits and queues; and
// stick tables.
#include <gtest/gtest.h>

#include "backend/backend.h"
#include "backend/stick_table.h"
#include "backend/state.h"

namespace sluice::backend {
namespace {

config::ServerConfig server(const std::string& name, uint32_t maxconn = 0, const std::string& cookie = "",
                            bool backup = false) {
  config::ServerConfig s;
  s.name = name;
  s.maxconn = maxconn;
  s.cookie = cookie;
  s.backup = backup;
  auto& in = reinterpret_cast<sockaddr_in&>(s.addr.sa);
  in.sin_family = AF_INET;
  in.sin_port = htons(1);
  return s;
}

config::ProxyConfig proxy(std::vector<config::ServerConfig> servers) {
  config::ProxyConfig p;
  p.name = "be";
  p.kind = config::ProxyConfig::Kind::Backend;
  p.servers = std::move(servers);
  return p;
}

TEST(BackendQueueTest, PickTakesSlotsUntilMaxconnThenQueues) {
  Backend be(proxy({server("a", 1), server("b", 1)}), 0);
  auto p1 = be.pick({}, {}, {});
  auto p2 = be.pick({}, {}, {});
  ASSERT_EQ(p1.result, PickResult::Server);
  ASSERT_EQ(p2.result, PickResult::Server);
  EXPECT_NE(p1.server, p2.server);
  PendingRequest pending;
  int woken = 0;
  pending.wake = [&] { ++woken; };
  auto p3 = be.pick({}, {}, {}, &pending, 10);
  EXPECT_EQ(p3.result, PickResult::Queued);
  EXPECT_EQ(be.queue_len(), 1u);
  EXPECT_EQ(woken, 0);
  be.release(*p1.server);   // the slot goes straight to the waiting request
  EXPECT_EQ(woken, 1);
  EXPECT_EQ(pending.granted, p1.server);
  EXPECT_EQ(be.queue_len(), 0u);
  EXPECT_EQ(p1.server->active_conns(), 1u);
  EXPECT_FALSE(be.cancel(pending));   // already granted: the caller owns the slot
}

TEST(BackendQueueTest, WithoutPendingAFullBackendHasNoServer) {
  Backend be(proxy({server("a", 1)}), 0);
  ASSERT_EQ(be.pick({}, {}, {}).result, PickResult::Server);
  EXPECT_EQ(be.pick({}, {}, {}).result, PickResult::NoServer);
}

TEST(BackendQueueTest, CancelRemovesAWaitingRequest) {
  Backend be(proxy({server("a", 1)}), 0);
  auto p1 = be.pick({}, {}, {});
  PendingRequest pending;
  pending.wake = [] {};
  ASSERT_EQ(be.pick({}, {}, {}, &pending, 1).result, PickResult::Queued);
  EXPECT_TRUE(be.cancel(pending));
  EXPECT_EQ(be.queue_len(), 0u);
  be.release(*p1.server);
  EXPECT_EQ(pending.granted, nullptr);
}

TEST(BackendQueueTest, OldestRequestFirstAcrossServerAndBackendQueues) {
  Backend be(proxy({server("a", 1, "A")}), 0);
  auto first = be.pick({}, {}, {});
  PendingRequest any, bound;
  std::vector<std::string> order;
  any.wake = [&] { order.push_back("any"); };
  bound.wake = [&] { order.push_back("bound"); };
  ASSERT_EQ(be.pick({}, {}, {}, &any, 5).result, PickResult::Queued);
  ASSERT_EQ(be.pick("A", {}, {}, &bound, 6).result, PickResult::Queued);   // persistent: server queue
  EXPECT_EQ(first.server->queue_len.load(), 1u);
  be.release(*first.server);
  be.release(*any.granted);
  EXPECT_EQ(order, (std::vector<std::string>{"any", "bound"}));
}

TEST(BackendQueueTest, MaxqueueFullPersistentRequestIsBalancedElsewhere) {
  auto a = server("a", 1, "A");
  a.maxqueue = 1;
  Backend be(proxy({a, server("b", 0, "B")}), 0);
  auto p1 = be.pick("A", {}, {});
  ASSERT_EQ(p1.server->name(), "a");
  PendingRequest q1, q2;
  q1.wake = q2.wake = [] {};
  ASSERT_EQ(be.pick("A", {}, {}, &q1, 1).result, PickResult::Queued);
  auto p3 = be.pick("A", {}, {}, &q2, 2);
  ASSERT_EQ(p3.result, PickResult::Server);
  EXPECT_EQ(p3.server->name(), "b");
  EXPECT_TRUE(be.cancel(q1));
}

TEST(BackendQueueTest, DynamicLimitFollowsBackendLoad) {
  auto a = server("a", 100);
  a.minconn = 10;
  Backend be(proxy({a}), 0);
  Server& s = *be.servers()[0];
  EXPECT_EQ(s.conn_limit(0, 1000), 10u);     // idle backend: minconn
  EXPECT_EQ(s.conn_limit(500, 1000), 50u);   // half of fullconn: half of maxconn
  EXPECT_EQ(s.conn_limit(1000, 1000), 100u); // at fullconn: maxconn
  EXPECT_EQ(s.conn_limit(5000, 0), 100u);    // no fullconn: static maxconn
}

TEST(BackendPersistenceTest, BackupSharingCookieServesWhileActiveIsDown) {
  Backend be(proxy({server("webA", 0, "A"), server("bkpA", 0, "A", true), server("webB", 0, "B")}), 0);
  EXPECT_EQ(be.pick("A", {}, {}).server->name(), "webA");
  set_op_state(*be.find_server("webA"), OpState::Down, {});
  auto p = be.pick("A", {}, {});
  EXPECT_EQ(p.server->name(), "bkpA");
  EXPECT_TRUE(p.by_cookie);
  // New clients never reach the backup while an active server is up.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(be.pick({}, {}, {}).server->name(), "webB");
}

TEST(BackendPersistenceTest, DrainedServerKeepsItsCookieClientsOnly) {
  Backend be(proxy({server("a", 0, "A"), server("b", 0, "B")}), 0);
  set_admin_state(*be.find_server("a"), AdminState::Drain, {});
  EXPECT_EQ(be.pick("A", {}, {}).server->name(), "a");
  for (int i = 0; i < 5; ++i) EXPECT_EQ(be.pick({}, {}, {}).server->name(), "b");
  set_admin_state(*be.find_server("a"), AdminState::Maint, {});
  EXPECT_EQ(be.pick("A", {}, {}).server->name(), "b");
}

TEST(BackendPersistenceTest, OptionPersistKeepsSendingToADownServer) {
  auto p = proxy({server("a", 0, "A"), server("b", 0, "B")});
  p.persist = true;
  Backend be(p, 0);
  set_op_state(*be.find_server("a"), OpState::Down, {});
  EXPECT_EQ(be.pick("A", {}, {}).server->name(), "a");
  const lb::Candidate* tried[] = {be.find_server("a")};
  EXPECT_EQ(be.pick("A", {}, tried).server->name(), "b");   // redispatch after a failure
}

TEST(StickTableTest, StoresLooksUpExpiresAndEvictsLeastRecentlyUsed) {
  config::StickTableConfig c;
  c.type = config::StickTableConfig::Type::String;
  c.size = 2;
  c.expire = config::Millis(1000);
  StickTable t("t", c);
  t.store("a", 1, 0);
  t.store("b", 2, 0);
  EXPECT_EQ(t.lookup("a", 10), 1);   // refreshes a: b is now the oldest
  t.store("c", 3, 20);               // evicts b
  EXPECT_FALSE(t.lookup("b", 30));
  EXPECT_EQ(t.lookup("c", 30), 3);
  EXPECT_FALSE(t.lookup("a", 5000)); // expired
  t.store("c", 9, 40);               // an existing entry keeps its server...
  EXPECT_EQ(t.lookup("c", 50), 3);
  t.store("c", 9, 60, true);         // ...unless overwritten (store-response)
  EXPECT_EQ(t.lookup("c", 70), 9);
}

}  // namespace
}  // namespace sluice::backend
