#include "auth/userlist.h"

#include <gtest/gtest.h>

#include "auth/crypt.h"

namespace sluice::auth {
namespace {

using config::UserlistConfig;
using P = UserlistConfig::User::Password;

// Made with Python's crypt.crypt("s3cret", SETTING); libxcrypt verifies them the same way.
constexpr const char* kSha256 = "$5$saltsalt$i1q2ZQzc.tl/BQ6CHiENAcVDvEY6nJ1OWlWXKh94b1.";
constexpr const char* kSha512 =
    "$6$saltsalt$As4wrv0kZlfch1du9WeH7qhskyLriQWySXrZzynnvi46nFnNxjdpl6ksRegrrKexvhIa/Iny8S8uF3fVWTMuC1";
constexpr const char* kBcrypt = "$2b$05$abcdefghijklmnopqrstuuLK7U1u6pVRmL7L1BBM2aS35PSZnDXlK";
constexpr const char* kYescrypt = "$y$j9T$abcdefghijklmnop$tySFNIfWVy.ymkBDHEMW6bAQ07dlkLVGalgni.VV4l8";

TEST(AuthCrypt, VerifiesEachMethod) {
  for (const char* h : {kSha256, kSha512, kBcrypt, kYescrypt}) {
    EXPECT_TRUE(crypt_supported(h)) << h;
    EXPECT_TRUE(crypt_matches("s3cret", h)) << h;
    EXPECT_FALSE(crypt_matches("s3cret ", h)) << h;
    EXPECT_FALSE(crypt_matches("", h)) << h;
    EXPECT_FALSE(crypt_matches(std::string_view("s3cret\0x", 8), h)) << h;
  }
  EXPECT_FALSE(crypt_supported("!locked"));
  EXPECT_FALSE(crypt_supported("$9$unknown$method"));
  EXPECT_FALSE(crypt_supported(""));
  EXPECT_FALSE(crypt_matches("notahash", "notahash"));
  EXPECT_FALSE(crypt_matches("", ""));
}

UserlistConfig manual_l1() {
  UserlistConfig c;
  c.name = "L1";
  c.groups = {{"G1", {"tiger", "scott"}, {}}, {"G2", {"xdb", "scott"}, {}}, {"G3", {}, {}}};
  c.users = {{"tiger", P::Hash, kSha512, {}, {}},
             {"scott", P::Insecure, "elgato", {}, {}},
             {"xdb", P::Insecure, "hello", {"G3"}, {}},
             {"nopw", P::None, "", {}, {}}};
  return c;
}

TEST(AuthUserlist, ChecksPasswords) {
  Userlist ul(manual_l1());
  EXPECT_EQ(ul.name(), "L1");
  EXPECT_TRUE(ul.check("tiger", "s3cret"));
  EXPECT_FALSE(ul.check("tiger", "elgato"));
  EXPECT_TRUE(ul.check("scott", "elgato"));
  EXPECT_FALSE(ul.check("scott", "elgat"));
  EXPECT_FALSE(ul.check("scott", "elgato2"));
  EXPECT_FALSE(ul.check("Scott", "elgato"));   // names are case-sensitive, as in HAProxy
  EXPECT_FALSE(ul.check("nobody", "x"));
  EXPECT_FALSE(ul.check("nopw", ""));
}

TEST(AuthUserlist, GroupsFromBothSides) {
  Userlist ul(manual_l1());
  EXPECT_TRUE(ul.in_group("tiger", "G1"));
  EXPECT_FALSE(ul.in_group("tiger", "G2"));
  EXPECT_TRUE(ul.in_group("scott", "G2"));
  EXPECT_TRUE(ul.in_group("xdb", "G3"));   // from `user xdb ... groups G3`
  EXPECT_FALSE(ul.in_group("xdb", "G9"));
  EXPECT_FALSE(ul.in_group("nobody", "G1"));
  const std::vector<std::string> any{"G9", "G2"};
  EXPECT_TRUE(ul.in_group("xdb", any));
  EXPECT_FALSE(ul.in_group("tiger", any));
  EXPECT_TRUE(ul.has_group("G3"));
  EXPECT_FALSE(ul.has_group("G9"));
}

TEST(AuthUserlist, CachesOnlySuccessfulHashChecks) {
  Userlist ul(manual_l1());
  EXPECT_FALSE(ul.check("tiger", "wrong"));
  EXPECT_EQ(ul.cache_size(), 0u);
  EXPECT_TRUE(ul.check("tiger", "s3cret"));
  EXPECT_EQ(ul.cache_size(), 1u);
  EXPECT_TRUE(ul.check("tiger", "s3cret"));   // served from the cache
  EXPECT_EQ(ul.cache_size(), 1u);
  EXPECT_TRUE(ul.check("scott", "elgato"));   // insecure passwords are not cached
  EXPECT_EQ(ul.cache_size(), 1u);
  EXPECT_FALSE(ul.check("tiger", "wrong"));
}

TEST(AuthUserlist, CheckBasic) {
  Userlist ul(manual_l1());
  // "scott:elgato", "tiger:s3cret", "scott:elgato:x", "scott:nope"
  auto u = check_basic(ul, "Basic c2NvdHQ6ZWxnYXRv");
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(*u, "scott");
  EXPECT_EQ(check_basic(ul, "basic dGlnZXI6czNjcmV0").value_or(""), "tiger");
  EXPECT_FALSE(check_basic(ul, "Basic c2NvdHQ6ZWxnYXRvOng=").has_value());   // password "elgato:x"
  EXPECT_FALSE(check_basic(ul, "Basic c2NvdHQ6bm9wZQ==").has_value());
  EXPECT_FALSE(check_basic(ul, "Bearer c2NvdHQ6ZWxnYXRv").has_value());
  EXPECT_FALSE(check_basic(ul, "Basic c2NvdHQ6ZWxnYXRv ").has_value());
  EXPECT_FALSE(check_basic(ul, "").has_value());
}

}  // namespace
}  // namespace sluice::auth
