#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "http/cookie.h"

namespace sluice::http {
namespace {

std::vector<std::string> pairs(std::string_view v) {
  std::vector<std::string> out;
  CookieIterator it(v);
  CookiePair p;
  while (it.next(p)) out.push_back(std::string(p.name) + "|" + std::string(p.value));
  return out;
}

struct IterCase {
  const char* name;
  std::string_view input;
  std::vector<std::string> want;
};

class HttpCookieIterTest : public ::testing::TestWithParam<IterCase> {};

TEST_P(HttpCookieIterTest, Pairs) { EXPECT_EQ(pairs(GetParam().input), GetParam().want); }

INSTANTIATE_TEST_SUITE_P(
    Http, HttpCookieIterTest,
    ::testing::Values(IterCase{"Rfc", "a=1; b=2", {"a|1", "b|2"}},
                      IterCase{"NoSpace", "a=1;b=2", {"a|1", "b|2"}},
                      IterCase{"ExtraSpaces", "  a = 1 ;\tb=2  ; ", {"a|1", "b|2"}},
                      IterCase{"EmptyElements", ";;a=1;;", {"a|1"}},
                      IterCase{"EmptyValue", "a=; b=2", {"a|", "b|2"}},
                      IterCase{"NoEquals", "flag; b=2", {"flag|", "b|2"}},
                      IterCase{"EqualsInValue", "a=x=y", {"a|x=y"}},
                      IterCase{"Quoted", "a=\"q v\"", {"a|\"q v\""}},
                      IterCase{"Empty", "", {}}),
    [](const ::testing::TestParamInfo<IterCase>& i) { return std::string(i.param.name); });

TEST(HttpCookie, FindCookie) {
  EXPECT_EQ(find_cookie("a=1; SRV=s2; b=3", "SRV"), "s2");
  EXPECT_EQ(find_cookie("a=1; SRV=s2; SRV=s3", "SRV"), "s2");
  EXPECT_EQ(find_cookie("a=1; srv=s2", "SRV"), std::nullopt);  // names are case-sensitive
  EXPECT_EQ(find_cookie("XSRV=1", "SRV"), std::nullopt);
  EXPECT_EQ(find_cookie("SRV=", "SRV"), "");
  EXPECT_EQ(find_cookie("", "SRV"), std::nullopt);
}

TEST(HttpCookie, RemoveCookie) {
  EXPECT_EQ(remove_cookie("a=1; SRV=s2; b=3", "SRV"), "a=1; b=3");
  EXPECT_EQ(remove_cookie("SRV=s2;a=1", "SRV"), "a=1");
  EXPECT_EQ(remove_cookie("a=1;  SRV=s2", "SRV"), "a=1");
  EXPECT_EQ(remove_cookie("SRV=1; SRV=2", "SRV"), "");
  EXPECT_EQ(remove_cookie("SRV=1", "SRV"), "");
  EXPECT_EQ(remove_cookie("a=1;b=2", "SRV"), "a=1; b=2");
  EXPECT_EQ(remove_cookie("a = 1 ; flag", "SRV"), "a = 1; flag");
}

TEST(HttpCookie, ParseSetCookie) {
  const std::string_view hv = "SRV = s1 ; Path=/; HttpOnly";
  const auto sc = parse_set_cookie(hv);
  ASSERT_TRUE(sc.has_value());
  EXPECT_EQ(sc->name, "SRV");
  EXPECT_EQ(sc->value, "s1");
  EXPECT_EQ(hv.substr(sc->value_pos, sc->value_len), "s1");
  const std::string rewritten =
      std::string(hv.substr(0, sc->value_pos)) + "s9~" + std::string(hv.substr(sc->value_pos));
  EXPECT_EQ(rewritten, "SRV = s9~s1 ; Path=/; HttpOnly");

  const auto empty = parse_set_cookie("JSESSIONID=; Max-Age=0");
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(empty->value, "");
  EXPECT_EQ(empty->value_pos, 11u);
  EXPECT_EQ(empty->value_len, 0u);

  const auto plain = parse_set_cookie("id=abc");
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(plain->value_pos, 3u);
  EXPECT_EQ(plain->value_len, 3u);

  EXPECT_FALSE(parse_set_cookie("novalue; a=b").has_value());
  EXPECT_FALSE(parse_set_cookie("=v").has_value());
  EXPECT_FALSE(parse_set_cookie("").has_value());
}

}  // namespace
}  // namespace sluice::http
