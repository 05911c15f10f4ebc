// Keywords HAProxy removed are errors at their line that name the replacement.
#include <gtest/gtest.h>

#include "config/removed_keywords.h"
#include "test_util.h"

namespace sluice::config {
namespace {

using testing::dump;
using testing::has_diag;
using testing::kDefaults;
using testing::load;

struct Case {
  const char* line;
  const char* replacement;
};

TEST(ConfigRemovedKeywordsTest, EachNamesItsReplacement) {
  const Case cases[] = {
      {"reqadd X-Foo:\\ bar", "'http-request add-header'"},
      {"reqrep ^(.*)\\ /old(.*) \\1\\ /new\\2", "'http-request replace-uri'"},
      {"reqirep ^Host:\\ a Host:\\ b", "'(?i)'"},
      {"reqdel ^X-Foo:.*", "'http-request del-header'"},
      {"reqidel ^x-foo:.*", "'http-request del-header'"},
      {"reqdeny ^GET", "'http-request deny'"},
      {"reqideny ^get", "'http-request deny'"},
      {"reqallow ^GET", "'http-request allow'"},
      {"reqiallow ^get", "'http-request allow'"},
      {"reqtarpit ^GET", "'http-request tarpit'"},
      {"reqitarpit ^get", "'http-request tarpit'"},
      {"reqpass ^GET", "'unless'"},
      {"reqipass ^get", "'unless'"},
      {"reqsetbe ^Host:\\ a b2", "'use_backend"},
      {"reqisetbe ^host:\\ a b2", "'use_backend"},
      {"rspadd X-Foo:\\ bar", "'http-response add-header'"},
      {"rsprep ^Location:\\ a b", "'http-response replace-header'"},
      {"rspirep ^location:\\ a b", "'http-response replace-header'"},
      {"rspdel ^Server:.*", "'http-response del-header'"},
      {"rspidel ^server:.*", "'http-response del-header'"},
      {"rspdeny ^Server:.*", "'http-response deny'"},
      {"rspideny ^server:.*", "'http-response deny'"},
      {"block if TRUE", "'http-request deny'"},
      {"appsession JSESSIONID len 52 timeout 3h", "'cookie <name> prefix'"},
      {"grace 10s", "'global' section"},
      {"option http-tunnel", "remove the line"},
      {"option http_proxy", "'http-request set-dst'"},
      {"no option http_proxy", "'http-request set-dst'"},
  };
  for (const auto& c : cases) {
    for (const char* section : {"listen l\n  bind :8080\n", "backend b\n", "defaults\n"}) {
      auto r = load(std::string(kDefaults) + section + "  " + c.line + "\n");
      EXPECT_FALSE(r.ok()) << c.line;
      std::string kw(c.line);
      kw = kw.substr(0, kw.find(' '));
      if (kw == "option" || kw == "no") kw = std::string(c.line).substr(kw == "no" ? 3 : 0);
      std::string line = std::string(section).find("bind") != std::string::npos ? "7" : "6";
      EXPECT_TRUE(has_diag(r, "t.cfg:" + line + ": '")) << c.line << "\n" << dump(r);
      EXPECT_TRUE(has_diag(r, "is not supported by sluice: HAProxy removed it")) << dump(r);
      EXPECT_TRUE(has_diag(r, c.replacement)) << c.line << "\n" << dump(r);
    }
  }
}

TEST(ConfigRemovedKeywordsTest, LookupOnly) {
  std::vector<std::string> w{"reqadd", "X:\\ y"};
  auto m = removed_keyword_error(w);
  ASSERT_TRUE(m);
  EXPECT_EQ(*m, "'reqadd' is not supported by sluice: HAProxy removed it in 2.1; use 'http-request add-header' instead");
  EXPECT_FALSE(removed_keyword_error(std::vector<std::string>{"http-request", "add-header", "X", "y"}));
  EXPECT_FALSE(removed_keyword_error(std::vector<std::string>{"option", "httpclose"}));
  EXPECT_FALSE(removed_keyword_error(std::vector<std::string>{"option"}));
  EXPECT_FALSE(removed_keyword_error(std::vector<std::string>{}));
}

// 1.x forms sluice still implements are not in the table: they load (with a warning) as before.
TEST(ConfigRemovedKeywordsTest, AcceptedOldFormsStay) {
  for (const char* line : {"redispatch", "option forceclose", "contimeout 5s"}) {
    auto r = load(std::string(kDefaults) + "backend b\n  " + line + "\n");
    EXPECT_TRUE(r.ok()) << line << "\n" << dump(r);
  }
}

}  // namespace
}  // namespace sluice::config
