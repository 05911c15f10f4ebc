#include "admin/maps.h"

#include <gtest/gtest.h>

namespace sluice::admin {
namespace {

// Parses and runs one line as the CLI would; the answers are HAProxy 2.6's (measured).
std::string run(rules::PatternRefs& refs, std::string_view line) {
  auto words = tokenize(line);
  EXPECT_TRUE(words.has_value() && words->size() == 1) << line;
  auto c = parse_map_command((*words)[0]);
  if (!c) return c.error().message;
  return run_map_command(refs, *c);
}

class AdminMaps : public ::testing::Test {
 protected:
  void SetUp() override {
    map_ = *refs_.load_text("/m.map", "/a x\n/a/b y\n/dup one\n/dup two\nkeyonly\n", true);
    map_->add_user(rules::PatternRef::Use::Map, "map at file 'h.cfg' line 12");
    ASSERT_TRUE(map_->attach({.kind = rules::MatchKind::Beg, .values = rules::ValueKind::Str}).has_value());
    ASSERT_TRUE(map_->attach({.kind = rules::MatchKind::Str, .values = rules::ValueKind::Str}).has_value());
    acl_ = *refs_.add_inline("acl 'path_beg' file 'h.cfg' line 11", {"/x", "/y"});
    ASSERT_TRUE(acl_->attach({.kind = rules::MatchKind::Beg}).has_value());
  }
  rules::PatternRefs refs_;
  rules::PatternRef* map_ = nullptr;
  rules::PatternRef* acl_ = nullptr;
};

TEST_F(AdminMaps, ShowListsAndEntries) {
  EXPECT_EQ(run(refs_, "show map"),
            "# id (file) description\n"
            "0 (/m.map) pattern loaded from file '/m.map' used by map at file 'h.cfg' line 12. "
            "curr_ver=0 next_ver=0 entry_cnt=5\n");
  EXPECT_EQ(run(refs_, "show acl"),
            "# id (file) description\n"
            "1 () acl 'path_beg' file 'h.cfg' line 11. curr_ver=0 next_ver=0 entry_cnt=2\n");
  EXPECT_EQ(run(refs_, "show map /m.map"), "0x1 /a x\n0x2 /a/b y\n0x3 /dup one\n0x4 /dup two\n0x5 keyonly \n");
  EXPECT_EQ(run(refs_, "show map #0"), run(refs_, "show map /m.map"));
  EXPECT_EQ(run(refs_, "show acl #1"), "0x1 /x\n0x2 /y\n");
  EXPECT_EQ(run(refs_, "show map #99"), "Unknown map identifier. Please use #<id> or <file>.\n");
  EXPECT_EQ(run(refs_, "show map #1"), "Unknown map identifier. Please use #<id> or <file>.\n");   // an ACL
  EXPECT_EQ(run(refs_, "show acl /m.map"), "Unknown ACL identifier. Please use #<id> or <file>.\n");
}

TEST_F(AdminMaps, GetReportsEachUser) {
  EXPECT_EQ(run(refs_, "get map /m.map /a/b/zz"),
            "type=beg, case=sensitive, found=yes, idx=tree, key=\"/a/b\", value=\"y\", type=\"str\"\n"
            "type=str, case=sensitive, found=no\n");
  EXPECT_EQ(run(refs_, "get acl #1 /x/1"), "type=beg, case=sensitive, match=yes, idx=tree, pattern=\"/x\"\n");
  EXPECT_EQ(run(refs_, "get map /m.map"), "Missing map identifier and/or key.\n");
}

TEST_F(AdminMaps, AddDelSetClear) {
  EXPECT_EQ(run(refs_, "add map /m.map /new newval"), "");
  EXPECT_EQ(run(refs_, "get map /m.map /new"),
            "type=beg, case=sensitive, found=yes, idx=tree, key=\"/new\", value=\"newval\", type=\"str\"\n"
            "type=str, case=sensitive, found=yes, idx=tree, key=\"/new\", value=\"newval\", type=\"str\"\n");
  EXPECT_EQ(run(refs_, "add map /m.map"),
            "'add map' with a payload is not supported by sluice: give the key and value on the command line\n");
  EXPECT_EQ(run(refs_, "add map /m.map a"),
            "'add map' expects three parameters (map identifier, key and value) or one parameter (map "
            "identifier) and a payload\n");
  EXPECT_EQ(run(refs_, "add map /nosuch.map a b"), "Unknown map identifier. Please use #<id> or <file>.\n");
  EXPECT_EQ(run(refs_, "add acl #1 /z"), "");
  EXPECT_EQ(run(refs_, "show acl #1"), "0x1 /x\n0x2 /y\n0x3 /z\n");
  EXPECT_EQ(run(refs_, "set map /m.map /dup three"), "");
  EXPECT_EQ(run(refs_, "set map /m.map /nokey v"), "entry not found.\n");
  EXPECT_EQ(run(refs_, "set map /m.map #0x1 X"), "");
  EXPECT_EQ(run(refs_, "set map /m.map"), "'set map' expects three parameters: map identifier, key and value.\n");
  EXPECT_EQ(run(refs_, "del map /m.map /dup"), "");
  EXPECT_EQ(run(refs_, "del map /m.map /dup"), "Key not found.\n");
  EXPECT_EQ(run(refs_, "del map /m.map #0x2"), "");
  EXPECT_EQ(run(refs_, "del map /m.map"), "This command expects two parameters: map identifier and key.\n");
  EXPECT_EQ(run(refs_, "show map /m.map"), "0x1 /a X\n0x5 keyonly \n0x6 /new newval\n");
  EXPECT_EQ(run(refs_, "clear map"), "Missing map identifier.\n");
  EXPECT_EQ(run(refs_, "clear map /m.map"), "");
  EXPECT_EQ(run(refs_, "show map /m.map"), "");
}

TEST_F(AdminMaps, PrepareCommit) {
  EXPECT_EQ(run(refs_, "prepare map /m.map"), "New version created: 1\n");
  EXPECT_EQ(run(refs_, "prepare map /m.map"), "New version created: 2\n");
  EXPECT_EQ(run(refs_, "prepare map"), "Unknown map identifier. Please use #<id> or <file>.\n");
  EXPECT_EQ(run(refs_, "add map @2 /m.map /v2 two"), "");
  EXPECT_EQ(run(refs_, "add map @9 /m.map a b"), "Version number in the future, please use 'prepare map' before.\n");
  EXPECT_EQ(run(refs_, "show map @2 /m.map"), "0x6 /v2 two\n");
  EXPECT_EQ(run(refs_, "show map @5 /m.map"), "");
  EXPECT_EQ(run(refs_, "get map /m.map /v2"),
            "type=beg, case=sensitive, found=no\ntype=str, case=sensitive, found=no\n");
  EXPECT_EQ(run(refs_, "commit map /m.map"), "Missing version number.\n");
  EXPECT_EQ(run(refs_, "commit map @x /m.map"), "Version number out of range.\n");
  EXPECT_EQ(run(refs_, "commit map @2 /m.map"), "");
  EXPECT_EQ(run(refs_, "commit map @1 /m.map"), "Version number out of range.\n");
  EXPECT_EQ(run(refs_, "show map /m.map"), "0x6 /v2 two\n");
  EXPECT_EQ(run(refs_, "get map /m.map /v2/x"),
            "type=beg, case=sensitive, found=yes, idx=tree, key=\"/v2\", value=\"two\", type=\"str\"\n"
            "type=str, case=sensitive, found=no\n");
  EXPECT_EQ(run(refs_, "prepare acl #1"), "New version created: 1\n");
  EXPECT_EQ(run(refs_, "add acl @1 #1 /q"), "");
  EXPECT_EQ(run(refs_, "clear acl @1 #1"), "");
  EXPECT_EQ(run(refs_, "commit acl @1 #1"), "");
  EXPECT_EQ(run(refs_, "show acl #1"), "");
}

TEST(AdminMapsRegistry, LevelsAsHaproxy) {
  auto need = [](Words w) { return find_command(w)->level; };
  EXPECT_EQ(need({"show", "map"}), Level::Operator);
  EXPECT_EQ(need({"get", "acl", "a", "b"}), Level::Operator);
  EXPECT_EQ(need({"add", "map", "a", "b", "c"}), Level::Admin);
  EXPECT_EQ(need({"commit", "acl", "@1", "a"}), Level::Admin);
  EXPECT_EQ(need({"set", "map", "a", "b", "c"}), Level::Admin);
}

}  // namespace
}  // namespace sluice::admin
