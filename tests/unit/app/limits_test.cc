// The descriptor budget (app/limits.h) and identity resolution (app/privileges.h), and the
// `user`/`group`/`ulimit-n` keywords they read.
#include "app/limits.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include "app/privileges.h"
#include "unit/config/test_util.h"

namespace sluice::app {
namespace {
using config::testing::dump;
using config::testing::has_diag;

config::Config load_ok(const std::string& global) {
  auto r = config::testing::load("global\n" + global +
                                 "defaults\n  mode http\nfrontend f\n  bind 127.0.0.1:1\n  bind 127.0.0.1:2\n"
                                 "  default_backend b\nbackend b\n  server s1 127.0.0.1:3 check\n"
                                 "  server s2 127.0.0.1:4\n");
  EXPECT_TRUE(r.ok()) << dump(r);
  return r.config ? *r.config : config::Config{};
}

TEST(FdLimitsTest, ReserveCountsListenersChecksLogsAndThreads) {
  auto one = load_ok("");
  auto more = load_ok("  nbthread 4\n  stats socket /tmp/x.sock\n  log 127.0.0.1:514 local0\n");
  // 4 threads (3 more, 3 each), one stats socket, one log target.
  EXPECT_EQ(reserved_fds(more), reserved_fds(one) + 9 + 1 + 1);
}

TEST(FdLimitsTest, AutomaticMaxconnIsHalfOfWhatTheReserveLeaves) {
  auto cfg = load_ok("");
  uint64_t r = reserved_fds(cfg);
  auto p = plan_fds(cfg, 1024, 4096);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->maxconn, (4096 - r) / 2);   // the soft limit goes up to the hard one
  EXPECT_EQ(p->nofile, 4096u);
  EXPECT_FALSE(p->above_hard);
  EXPECT_LE(p->maxsock, 4096u);
  auto same = plan_fds(cfg, 1024, 1024);
  ASSERT_TRUE(same);
  EXPECT_EQ(same->maxconn, (1024 - r) / 2);
  // An unlimited soft limit does not make an absurd maxconn.
  auto inf = plan_fds(cfg, UINT64_MAX, UINT64_MAX);
  ASSERT_TRUE(inf);
  EXPECT_LE(inf->maxconn, 1u << 20);
  // Too few descriptors for even one connection: a startup error.
  auto low = plan_fds(cfg, r, r);
  ASSERT_FALSE(low);
  EXPECT_NE(low.error().message.find("too low"), std::string::npos) << low.error().message;
}

TEST(FdLimitsTest, ExplicitMaxconnRaisesTheLimit) {
  auto cfg = load_ok("  maxconn 3000\n");
  uint64_t r = reserved_fds(cfg);
  auto p = plan_fds(cfg, 1024, 4096);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->maxconn, 3000u);
  EXPECT_EQ(p->maxsock, 6000 + r);
  EXPECT_EQ(p->nofile, 6000 + r);
  EXPECT_TRUE(p->above_hard);   // apply_fd_limits needs root for it
  auto enough = plan_fds(cfg, 100000, 100000);
  ASSERT_TRUE(enough);
  EXPECT_EQ(enough->nofile, 100000u);   // never lowered
  EXPECT_FALSE(enough->above_hard);
}

TEST(FdLimitsTest, UlimitNWins) {
  auto cfg = load_ok("  ulimit-n 5000\n");
  auto p = plan_fds(cfg, 1024, 1024);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->nofile, 5000u);
  EXPECT_EQ(p->maxconn, (5000 - reserved_fds(cfg)) / 2);
  auto short_cfg = load_ok("  ulimit-n 100\n  maxconn 1000\n");
  auto s = plan_fds(short_cfg, 1024, 1024);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->nofile, 100u);
  EXPECT_EQ(s->maxconn, 1000u);
  ASSERT_EQ(s->warnings.size(), 1u);
  EXPECT_NE(s->warnings[0].find("ulimit-n 100 is lower than"), std::string::npos) << s->warnings[0];
  EXPECT_FALSE(load_ok("  ulimit-n 0\n").global.ulimit_n);   // 0: computed, as haproxy
}

TEST(PrivilegesTest, UserAndGroupNamesResolveAtParseTime) {
  auto cfg = load_ok("  user nobody\n  group nogroup\n");
  EXPECT_EQ(cfg.global.uid, 65534u);
  EXPECT_EQ(cfg.global.gid, 65534u);
  EXPECT_EQ(load_ok("  user nobody\n  uid 42\n").global.uid, 42u);   // the last one wins
  auto bad = config::testing::load("global\n  user no-such-user-x\n  group no-such-group-x\n");
  EXPECT_TRUE(has_diag(bad, "t.cfg:2: 'user': unknown user 'no-such-user-x'")) << dump(bad);
  EXPECT_TRUE(has_diag(bad, "t.cfg:3: 'group': unknown group 'no-such-group-x'")) << dump(bad);
}

TEST(PrivilegesTest, ResolveIdentity) {
  config::GlobalConfig g;
  auto none = resolve_identity(g);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  g.uid = 65534;   // nobody: its primary group comes along
  auto id = resolve_identity(g);
  if (::geteuid() == 0) {
    ASSERT_TRUE(id) << id.error().message;
    EXPECT_EQ(id->gid, 65534u);
  } else {
    ASSERT_FALSE(id);
    EXPECT_NE(id.error().message.find("not root"), std::string::npos) << id.error().message;
  }
  g.uid = 0x7ffffff0;   // no passwd entry, no group given
  auto orphan = resolve_identity(g);
  ASSERT_FALSE(orphan);
  EXPECT_NE(orphan.error().message.find("set 'group' or 'gid'"), std::string::npos) << orphan.error().message;
  config::GlobalConfig j;
  j.chroot = "/nonexistent/jail";
  auto jail = resolve_identity(j);
  ASSERT_FALSE(jail);
  EXPECT_EQ(jail.error().message, "chroot '/nonexistent/jail': No such file or directory");
}

}  // namespace
}  // namespace sluice::app
