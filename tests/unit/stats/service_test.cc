// Stats service helpers: form and Basic-auth decoding, the page's escaping and markup
// contract (data-col / data-server attributes used by scripts and the browser test).
#include <gtest/gtest.h>

#include "stats/page.h"
#include "stats/service.h"

namespace sluice::stats {
namespace {

TEST(StatsServiceTest, FormDecoding) {
  auto f = parse_form("s=web+1&s=a%2Fb&action=drain&b=%233&empty=&flag");
  ASSERT_EQ(f.size(), 6u);
  EXPECT_EQ(f[0], (std::pair<std::string, std::string>{"s", "web 1"}));
  EXPECT_EQ(f[1].second, "a/b");
  EXPECT_EQ(f[3].second, "#3");
  EXPECT_EQ(f[4].second, "");
  EXPECT_EQ(f[5].first, "flag");
  EXPECT_EQ(url_decode("%zz%4"), "%zz%4");   // malformed escapes stay as they are
}

TEST(StatsServiceTest, Base64) {
  EXPECT_EQ(base64_decode("YWRtaW46czNjcmV0"), "admin:s3cret");
  EXPECT_EQ(base64_decode("YQ=="), "a");
  EXPECT_EQ(base64_decode("YWI="), "ab");
  EXPECT_EQ(base64_decode(""), "");
  EXPECT_EQ(base64_decode("+/+/"), "\xfb\xff\xbf");
  EXPECT_FALSE(base64_decode("a*b").has_value());
}

TEST(StatsServiceTest, Base64IsStrict) {
  for (std::string_view bad : {"YQ", "YQ=", "YWI", "Y===", "====", "YQ==YQ==", "YQ=a", "YR==", "YWJ=",
                               "YWRt aW46", " YWRtaW46", "YWRtaW46\r\n", "YWRt\naW46", "YW-_"}) {
    EXPECT_FALSE(base64_decode(bad).has_value()) << bad;
  }
  EXPECT_FALSE(base64_decode(std::string_view("YWRtaW46czNjcmV0\0\0\0\0", 20)).has_value());
}

TEST(StatsServiceTest, BasicCredentials) {
  EXPECT_EQ(basic_credentials("Basic YWRtaW46czNjcmV0"), "admin:s3cret");
  EXPECT_EQ(basic_credentials("bAsIc YWRtaW46czNjcmV0"), "admin:s3cret");   // scheme: any case
  EXPECT_EQ(basic_credentials("Basic   YWRtaW46czNjcmV0"), "admin:s3cret");  // 1*SP
  EXPECT_EQ(basic_credentials("Basic YWRtaW46"), "admin:");                  // empty password
  EXPECT_EQ(basic_credentials("Basic OnB3"), ":pw");                         // empty user-id
  EXPECT_EQ(basic_credentials("Basic YTpiOmM="), "a:b:c");                   // ':' in the password
  for (std::string_view bad : {
           "Basic", "Basic ", "BasicYWRtaW46czNjcmV0", "Basic\tYWRtaW46czNjcmV0",
           "Bearer YWRtaW46czNjcmV0", "Basix YWRtaW46czNjcmV0", "Basic YWRtaW46czNjcmV0 ",
           "Basic YWRtaW46czNjcmV0,", "Basic YWRtaW46czNjcmV0 junk", "Basic YWRtaW4=",   // no ':'
           "Basic YWRtaW46czNjcmV0=", "Basic YTpiCg==",   // "a:b\n": a control character
           "Basic YWRtaW46czNjcmV0===", "Digest username=admin"}) {
    EXPECT_FALSE(basic_credentials(bad).has_value()) << bad;
  }
}

TEST(StatsServiceTest, CredentialsMatchWholeValuesOnly) {
  std::vector<std::string> allowed{"admin:s3cret", "ops:pa:ss"};
  EXPECT_TRUE(credentials_match("admin:s3cret", allowed));
  EXPECT_TRUE(credentials_match("ops:pa:ss", allowed));
  for (std::string_view bad : {"admin:s3cre", "admin:s3cret2", "admin:", "", "admin:S3cret", "ops:pa"})
    EXPECT_FALSE(credentials_match(bad, allowed)) << bad;
  EXPECT_FALSE(credentials_match("admin:s3cret", {}));
}

TEST(StatsPageTest, EscapesNamesAndMarksCells) {
  StatRow fe{'F', 1, 0, {{"pxname", "w<b>"}, {"svname", "FRONTEND"}, {"status", "OPEN"}, {"scur", "3"}}};
  StatRow srv{'S', 2, 1, {{"pxname", "app"}, {"svname", "s\"1"}, {"status", "DRAIN"}, {"weight", "1"},
                          {"check_status", "L4OK"}, {"check_duration", "0"}}};
  StatRow be{'B', 2, 0, {{"pxname", "app"}, {"svname", "BACKEND"}, {"status", "UP"}}};
  PageOptions o;
  o.uri = "/stats";
  o.admin = true;
  o.version = "9.9";
  std::string html = render_page({fe, srv, be}, o);
  EXPECT_NE(html.find("w&lt;b&gt;"), std::string::npos);
  EXPECT_EQ(html.find("w<b>"), std::string::npos);
  EXPECT_NE(html.find("data-server=\"s&quot;1\""), std::string::npos);
  EXPECT_NE(html.find("<td data-col=\"scur\">3</td>"), std::string::npos);
  EXPECT_NE(html.find("class=\"st DRAIN\""), std::string::npos);
  EXPECT_NE(html.find("name=\"action\" value=\"drain\""), std::string::npos);
  EXPECT_NE(html.find("9.9"), std::string::npos);
  o.admin = false;
  o.hide_version = true;
  html = render_page({fe, srv, be}, o);
  EXPECT_EQ(html.find("value=\"drain\""), std::string::npos);
  EXPECT_EQ(html.find("9.9"), std::string::npos);
}

}  // namespace
}  // namespace sluice::stats
