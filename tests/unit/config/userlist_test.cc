// userlist sections: the model and HAProxy 2.6's diagnostics (measured with `haproxy -c`).
#include "unit/config/test_util.h"

namespace sluice::config {
namespace {

using namespace testing;
using P = UserlistConfig::User::Password;

TEST(ConfigUserlistTest, ManualExampleBothForms) {
  auto r = load("userlist L1\n  group G1 users tiger,scott\n  group G2 users xdb,scott\n"
                "  user tiger password $6$k6y3o.eP$JlKBx9za9667qe4xHSwRv6J.C0/D7cV91\n"
                "  user scott insecure-password elgato\n  user xdb insecure-password hello\n"
                "userlist L2\n  group G1\n  group G2\n"
                "  user scott insecure-password elgato groups G1,G2\n  user xdb insecure-password hello groups G2\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  const auto* l1 = r.config->find_userlist("L1");
  ASSERT_NE(l1, nullptr);
  ASSERT_EQ(l1->groups.size(), 2u);
  EXPECT_EQ(l1->groups[0].users, (std::vector<std::string>{"tiger", "scott"}));
  ASSERT_EQ(l1->users.size(), 3u);
  EXPECT_EQ(l1->users[0].kind, P::Hash);
  // `$` outside double quotes is literal in a userlist, as in HAProxy: hashes are kept whole.
  EXPECT_EQ(l1->users[0].password, "$6$k6y3o.eP$JlKBx9za9667qe4xHSwRv6J.C0/D7cV91");
  EXPECT_EQ(l1->users[1].kind, P::Insecure);
  EXPECT_EQ(l1->users[1].password, "elgato");
  const auto* l2 = r.config->find_userlist("L2");
  ASSERT_NE(l2, nullptr);
  EXPECT_EQ(l2->users[0].groups, (std::vector<std::string>{"G1", "G2"}));
  EXPECT_EQ(r.config->find_userlist("L3"), nullptr);
}

TEST(ConfigUserlistTest, DollarIsLiteralOutsideDoubleQuotes) {
  auto r = load("userlist L\n  user a insecure-password $HOME$x\n  user b insecure-password \"${PW}\"\n"
                "  user c insecure-password '$PW'\n", {{"PW", "from-env"}, {"HOME", "/root"}});
  ASSERT_TRUE(r.ok()) << dump(r);
  const auto& u = r.config->userlists[0].users;
  EXPECT_EQ(u[0].password, "$HOME$x");
  EXPECT_EQ(u[1].password, "from-env");
  EXPECT_EQ(u[2].password, "$PW");
  // The next section's header line is lexed as anywhere else.
  r = load("userlist L\n  user a insecure-password x\nfrontend \"${FE}\"\n  mode http\n", {{"FE", "web"}});
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_NE(r.config->find_proxy("web"), nullptr);
}

TEST(ConfigUserlistTest, DuplicatesAreWarnedAndIgnored) {
  auto r = load("userlist L1\n  group G1\n  group G1 users a\n  user a insecure-password x\n"
                "  user a insecure-password y\nuserlist L1\n  user b insecure-password z\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:3: warning: ignoring duplicated group 'G1' in userlist 'L1'", true)) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:5: warning: ignoring duplicated user 'a' in userlist 'L1'", true)) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:6: warning: ignoring duplicated userlist 'L1'", true)) << dump(r);
  ASSERT_EQ(r.config->userlists.size(), 1u);
  const auto& ul = r.config->userlists[0];
  EXPECT_TRUE(ul.groups[0].users.empty());   // the second G1 line was dropped
  ASSERT_EQ(ul.users.size(), 2u);
  EXPECT_EQ(ul.users[0].password, "x");
}

TEST(ConfigUserlistTest, UnknownReferencesAreErrors) {
  auto r = load("userlist L\n  group G1 users nobody\n  user bob insecure-password x groups G3\n");
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(has_diag(r, "t.cfg:2: userlist 'L': no such user 'nobody' specified in group 'G1'")) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:3: userlist 'L': no such group 'G3' specified in user 'bob'")) << dump(r);
}

TEST(ConfigUserlistTest, SyntaxErrors) {
  auto r = load("userlist\nuserlist L\n  group G foo\n  user a insecure-password x bogus y\n  user\n  group\n"
                "  foo bar\n  user b insecure-password\n  user c insecure-password a password b\n");
  EXPECT_TRUE(has_diag(r, "t.cfg:1: 'userlist' expects <name> as arguments")) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:3: 'group' only supports 'users' option")) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:4: 'user' only supports 'password', 'insecure-password' and 'groups' options"))
      << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:5: 'user' expects <name> as arguments")) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:6: 'group' expects <name> as arguments")) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:7: unknown keyword 'foo' in 'userlist' section")) << dump(r);
  // sluice is stricter than HAProxy on these two (see docs/compatibility.md).
  EXPECT_TRUE(has_diag(r, "t.cfg:8: 'user b': 'insecure-password' expects a value")) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:9: 'user c': give one of 'password' and 'insecure-password', once")) << dump(r);
  EXPECT_EQ(error_count(r), 8) << dump(r);
}

TEST(ConfigUserlistTest, UnusablePasswordsAreWarned) {
  auto r = load("userlist L\n  user a\n  user b password !locked\n  user c password $5$salt$"
                "Gcm6FsVtF/Qa77ZKD.iwsJlCVPY0XSMgLJL0Hnww/c1\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:2: warning: user 'a' in userlist 'L' has no password", true)) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:3: warning: user 'b' in userlist 'L': the password is not a crypt(3) hash", true))
      << dump(r);
  EXPECT_FALSE(has_diag(r, "t.cfg:4:", true)) << dump(r);
}

}  // namespace
}  // namespace sluice::config
