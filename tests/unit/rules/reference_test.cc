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
  EXPECT_EQ(committed, "\n\n" + gen + "\n\n") << "docs/configuration.md is out of date: run scripts/gen-reference";
}

TEST(RulesReferenceTest, EveryRowIsDocumented) {
  for (const auto& f : fetches()) EXPECT_FALSE(f.doc.empty()) << f.name;
  for (const auto& c : converters()) EXPECT_FALSE(c.doc.empty()) << c.name;
  for (const auto& a : actions()) EXPECT_FALSE(a.doc.empty()) << a.name;
}

}  // namespace
}  // namespace sluice::rules
