#include <gtest/gtest.h>

#include "admin/commands.h"
#include "admin/parse.h"
#include "config/loader.h"

namespace sluice::admin {
namespace {

std::vector<Words> tok(std::string_view s) {
  auto r = tokenize(s);
  EXPECT_TRUE(r.has_value()) << s;
  return r ? *r : std::vector<Words>{};
}

TEST(AdminTokenizer, SplitsWordsAndCommands) {
  EXPECT_EQ(tok("set server APP1/SRV1 state drain"),
            (std::vector<Words>{{"set", "server", "APP1/SRV1", "state", "drain"}}));
  EXPECT_EQ(tok("  show info ;show stat;; \t"), (std::vector<Words>{{"show", "info"}, {"show", "stat"}}));
  EXPECT_TRUE(tok("").empty());
  EXPECT_TRUE(tok(" ; ; ").empty());
}

TEST(AdminTokenizer, QuotesAndEscapes) {
  EXPECT_EQ(tok(R"(a "b c;d" 'e\f' g\;h i\ j)"),
            (std::vector<Words>{{"a", "b c;d", "e\\f", "g;h", "i j"}}));
  EXPECT_EQ(tok(R"(x "")"), (std::vector<Words>{{"x", ""}}));
  EXPECT_FALSE(tokenize("a \"b").has_value());
  EXPECT_FALSE(tokenize("a 'b").has_value());
  EXPECT_FALSE(tokenize("a \\").has_value());
}

TEST(AdminLevels, OrderingAsHaproxy) {
  EXPECT_TRUE(allowed(Level::Admin, Level::Operator));
  EXPECT_TRUE(allowed(Level::Operator, Level::User));
  EXPECT_FALSE(allowed(Level::User, Level::Operator));
  EXPECT_FALSE(allowed(Level::Operator, Level::Admin));
  auto need = [](Words w) { return find_command(w)->level; };
  EXPECT_EQ(need({"set", "server", "a/b", "state", "drain"}), Level::Admin);
  EXPECT_EQ(need({"set", "weight", "a/b", "0"}), Level::Admin);
  EXPECT_EQ(need({"show", "sess"}), Level::Operator);
  EXPECT_EQ(need({"clear", "counters"}), Level::Operator);
  EXPECT_EQ(need({"get", "weight", "a/b"}), Level::User);
  EXPECT_EQ(need({"show", "stat"}), Level::User);
  EXPECT_EQ(find_command({"nope"}), nullptr);
  EXPECT_EQ(find_command({"show"}), nullptr);
}

TEST(AdminParse, WeightsAndDelays) {
  EXPECT_EQ(*parse_weight("0", 10), 0u);
  EXPECT_EQ(*parse_weight("256", 10), 256u);
  EXPECT_EQ(*parse_weight("50%", 10), 5u);
  EXPECT_EQ(parse_weight("257", 1).error().message, "Absolute weight can only be between 0 and 256 inclusive.");
  EXPECT_FALSE(parse_weight("x", 1).has_value());
  EXPECT_FALSE(parse_weight("-1", 1).has_value());
  EXPECT_EQ(*parse_delay_ms("5s"), 5000u);
  EXPECT_EQ(*parse_delay_ms("250"), 250u);
  EXPECT_EQ(*parse_delay_ms("1m"), 60000u);
  EXPECT_FALSE(parse_delay_ms("5x").has_value());
  EXPECT_FALSE(parse_delay_ms("").has_value());
  EXPECT_EQ(split_server("B/S")->second, "S");
  EXPECT_FALSE(split_server("BS"));
  EXPECT_FALSE(split_server("B/"));
  EXPECT_FALSE(split_server("a/b/c"));
}

TEST(AdminHelp, UnknownCommandSuggestsSameVerb) {
  auto t = unknown_command_text({"set", "bogus"}, Level::Admin);
  EXPECT_TRUE(t.starts_with("Unknown command, but maybe one of the following ones is a better match:\n"));
  EXPECT_NE(t.find("set server"), std::string::npos);
  EXPECT_EQ(help_text(Level::User).find("set server"), std::string::npos);
}

class AdminFormats : public ::testing::Test {
 protected:
  void SetUp() override {
    config::LoadOptions o;
    o.resolve = false;
    auto r = config::load_string(
        "defaults\n mode http\n timeout connect 1s\n timeout client 1s\n timeout server 1s\n"
        "frontend fe\n bind 127.0.0.1:1\n default_backend APP1\n"
        "backend APP1\n cookie S insert\n server SRV1 127.0.0.1:8001 cookie a weight 10\n"
        " server SRV2 127.0.0.2:8002 disabled\n",
        "t.cfg", o);
    ASSERT_TRUE(r.ok());
    auto rt = proxy::Runtime::build(*r.config);
    ASSERT_TRUE(rt.has_value()) << rt.error().message;
    rt_ = std::move(*rt);
  }
  std::unique_ptr<proxy::Runtime> rt_;
};

TEST_F(AdminFormats, ServersStateVersion1) {
  auto s = show_servers_state(*rt_, "");
  auto lines = std::vector<std::string>();
  for (size_t p = 0, q; (q = s.find('\n', p)) != std::string::npos; p = q + 1) lines.push_back(s.substr(p, q - p));
  ASSERT_EQ(lines.size(), 4u) << s;
  EXPECT_EQ(lines[0], "1");
  EXPECT_TRUE(lines[1].starts_with("# be_id be_name srv_id srv_name srv_addr srv_op_state "));
  EXPECT_NE(lines[2].find(" APP1 1 SRV1 127.0.0.1 2 0 10 10 "), std::string::npos) << lines[2];
  EXPECT_NE(lines[2].find(" - 8001 - 0 0 - - 0"), std::string::npos) << lines[2];
  EXPECT_NE(lines[3].find(" APP1 2 SRV2 127.0.0.2 2 1 1 1 "), std::string::npos) << lines[3];
  EXPECT_EQ(show_servers_state(*rt_, "APP1"), s);
}

TEST_F(AdminFormats, StatCsvColumnsAndRows) {
  auto csv = show_stat_csv(*rt_, Level::Admin);
  EXPECT_TRUE(csv.starts_with("# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,"));
  EXPECT_NE(csv.find("\nfe,FRONTEND,"), std::string::npos);
  EXPECT_NE(csv.find("\nAPP1,SRV1,"), std::string::npos);
  EXPECT_NE(csv.find(",MAINT,"), std::string::npos);
  EXPECT_NE(csv.find("\nAPP1,BACKEND,"), std::string::npos);
  EXPECT_NE(csv.find("127.0.0.1:8001"), std::string::npos);
  EXPECT_EQ(show_stat_csv(*rt_, Level::User).find("127.0.0.1:8001"), std::string::npos);
  // every row has as many fields as the header
  size_t cols = std::count(csv.begin(), csv.begin() + csv.find('\n'), ',');
  for (size_t p = csv.find('\n') + 1, q; (q = csv.find('\n', p)) != std::string::npos; p = q + 1)
    EXPECT_EQ(static_cast<size_t>(std::count(csv.begin() + p, csv.begin() + q, ',')), cols);
  EXPECT_TRUE(show_stat_json(*rt_, Level::Admin).starts_with("[["));
  EXPECT_NE(show_info(*rt_).find("Name: sluice\n"), std::string::npos);
}

}  // namespace
}  // namespace sluice::admin
