// docs/configuration.md embeds the reference generated from the registration tables; this
// fails when a row changed and scripts/gen-reference was not run, so the docs cannot drift.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "rules/registry.h"

namespace sluice::rules {
namespace {

TEST(RulesReferenceTest, DocsMatchTheTables) {
  std::ifstream in(std::string(SLUICE_SOURCE_DIR) + "/docs/configuration.md");
  ASSERT_TRUE(in) << "cannot read docs/configuration.md";
  std::stringstream ss;
  ss << in.rdbuf();
  std::string doc = ss.str();
  const std::string begin = "<!-- BEGIN GENERATED RULES REFERENCE: scripts/gen-reference -->";
  const std::string end = "<!-- END GENERATED RULES REFERENCE -->";
  auto a = doc.find(begin), b = doc.find(end);
  ASSERT_NE(a, std::string::npos) << "run scripts/gen-reference";
  ASSERT_NE(b, std::string::npos);
  std::string committed = doc.substr(a + begin.size(), b - a - begin.size());
  std::string gen;
  reference_markdown(gen);
  while (!gen.empty() && gen.back() == '\n') gen.pop_back();
  gen = "\n\n" + gen + "\n\n";
  if (committed == gen) return;
  // Show the first line that differs, not two whole tables.
  std::istringstream c1(committed), g1(gen);
  std::string l1, l2;
  for (int line = 1;; ++line) {
    bool m1 = static_cast<bool>(std::getline(c1, l1)), m2 = static_cast<bool>(std::getline(g1, l2));
    if (!m1 && !m2) break;
    if (!m1 || !m2 || l1 != l2) {
      ADD_FAILURE() << "docs/configuration.md is out of date (run scripts/gen-reference); generated line " << line
                    << "\n  committed: " << (m1 ? l1 : "<end>") << "\n  tables:    " << (m2 ? l2 : "<end>");
      return;
    }
  }
  ADD_FAILURE() << "docs/configuration.md is out of date: run scripts/gen-reference";
}

TEST(RulesReferenceTest, EveryRowIsDocumented) {
  for (const auto& f : fetches()) EXPECT_FALSE(f.doc.empty()) << f.name;
  for (const auto& c : converters()) EXPECT_FALSE(c.doc.empty()) << c.name;
  for (const auto& a : actions()) EXPECT_FALSE(a.doc.empty()) << a.name;
}

}  // namespace
}  // namespace sluice::rules
