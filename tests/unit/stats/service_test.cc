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
  EXPECT_FALSE(base64_decode("a*b").has_value());
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
