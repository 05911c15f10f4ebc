// set-var / set-var-fmt in global and the runtime API's get var / set var.
#include <gtest/gtest.h>

#include "rules/global_vars.h"

namespace sluice::rules {
namespace {

config::GlobalSetVar line(std::string name, std::string value, bool fmt, int n) {
  config::GlobalSetVar v{std::move(name), std::move(value), fmt, {}};
  v.loc.file = "g.cfg";
  v.loc.line = n;
  return v;
}

TEST(GlobalVarsTest, LinesRunInOrderAndReadEachOther) {
  std::vector<std::string> errors;
  set_global_vars({line("proc.gv_int12", "int(12)", false, 3), line("proc.gv_str", "str(this is)", false, 4),
                   line("proc.gv_fmt", "%[var(proc.gv_str)] a string (%[var(proc.gv_int12)])", true, 5),
                   line("proc.gv_dflt", "var(proc.gv_unset,60)", false, 6)},
                  nullptr, errors);
  EXPECT_TRUE(errors.empty()) << errors[0];
  EXPECT_EQ(cli_get_var("proc.gv_int12"), "proc.gv_int12: type=sint value=<12>\n");
  EXPECT_EQ(cli_get_var("proc.gv_fmt"), "proc.gv_fmt: type=str value=<this is a string (12)>\n");
  EXPECT_EQ(cli_get_var("proc.gv_dflt"), "proc.gv_dflt: type=str value=<60>\n");
}

TEST(GlobalVarsTest, ErrorsNameTheLine) {
  std::vector<std::string> errors;
  set_global_vars({line("txn.x", "int(1)", false, 7), line("proc.y", "req.hdr(host)", false, 8),
                   line("proc.z", "nosuchfetch", false, 9)},
                  nullptr, errors);
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_NE(errors[0].find("g.cfg:7: 'set-var': 'txn.x': only process-wide variables"), std::string::npos) << errors[0];
  EXPECT_NE(errors[1].find("g.cfg:8: 'set-var': "), std::string::npos) << errors[1];
  EXPECT_NE(errors[1].find("not available in global"), std::string::npos) << errors[1];
  EXPECT_NE(errors[2].find("g.cfg:9: 'set-var': unknown fetch method 'nosuchfetch'"), std::string::npos) << errors[2];
}

TEST(GlobalVarsTest, CliAnswersAsHaproxy) {
  EXPECT_EQ(cli_get_var(""), "Missing process-wide variable identifier.\n");
  EXPECT_EQ(cli_get_var("proc.never_seen_anywhere"), "Variable not found.\n");
  EXPECT_EQ(cli_get_var("txn.x"), "Variable not found.\n");
  EXPECT_EQ(cli_set_var("proc.gv_cli", false, "int(5)"), "");
  EXPECT_EQ(cli_get_var("proc.gv_cli"), "proc.gv_cli: type=sint value=<5>\n");
  EXPECT_EQ(cli_set_var("proc.gv_cli", true, "x%[var(proc.gv_cli)]"), "");
  EXPECT_EQ(cli_get_var("proc.gv_cli"), "proc.gv_cli: type=str value=<x5>\n");
  EXPECT_NE(cli_set_var("txn.x", false, "int(1)"), "");
  EXPECT_NE(cli_set_var("proc.x", false, "nosuchfetch"), "");
}

}  // namespace
}  // namespace sluice::rules
