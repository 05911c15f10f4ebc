// Runtime: userlists by name for the rule engine, and the error page an answer uses
// (backend's, then frontend's, then built-in, as HAProxy picks them).
#include <gtest/gtest.h>

#include "config/loader.h"
#include "http/errors.h"
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

TEST(RuntimeUserlistTest, FindByNameAndCheckBasic) {
  auto cfg = parse(std::string("userlist admins\n  group ops users scott\n  user scott insecure-password elgato\n") +
                   kHead + "frontend f\n  bind :80\n");
  auto rt = Runtime::build(cfg);
  ASSERT_TRUE(rt) << rt.error().message;
  const auth::Userlist* ul = (*rt)->find_userlist("admins");
  ASSERT_NE(ul, nullptr);
  EXPECT_EQ((*rt)->find_userlist("nope"), nullptr);
  auto user = auth::check_basic(*ul, "Basic c2NvdHQ6ZWxnYXRv");   // scott:elgato
  ASSERT_TRUE(user.has_value());
  EXPECT_TRUE(ul->in_group(*user, "ops"));
}

TEST(RuntimeErrorPageTest, BackendThenFrontendThenBuiltIn) {
  auto cfg = parse(std::string(kHead) + "frontend f\n  bind :80\n  errorloc 503 /fe\n  errorloc 403 /fe403\n"
                   "  default_backend b\nbackend b\n  errorloc 503 /be\nbackend plain\n");
  auto rt = Runtime::build(cfg);
  ASSERT_TRUE(rt) << rt.error().message;
  const Frontend* fe = (*rt)->find_frontend("f");
  const backend::Backend* b = (*rt)->find_backend("b");
  const backend::Backend* plain = (*rt)->find_backend("plain");
  ASSERT_TRUE(fe && b && plain);
  auto has_location = [](std::optional<std::string_view> p, std::string_view loc) {
    return p && p->find("location: " + std::string(loc) + "\r\n") != std::string_view::npos;
  };
  EXPECT_TRUE(has_location((*rt)->error_page(*fe, b, 503), "/be"));
  EXPECT_TRUE(has_location((*rt)->error_page(*fe, plain, 503), "/fe"));
  EXPECT_TRUE(has_location((*rt)->error_page(*fe, nullptr, 503), "/fe"));
  EXPECT_TRUE(has_location((*rt)->error_page(*fe, b, 403), "/fe403"));
  EXPECT_EQ((*rt)->error_page(*fe, b, 404), http::canned_response(404));
  EXPECT_FALSE((*rt)->error_page(*fe, b, 418).has_value());
}

}  // namespace
}  // namespace sluice::proxy
