// Every registered converter is exercised by a converter test (a new row without a test
// fails here), and converters work inside formats as HAProxy writes them.
#include <fstream>
#include <sstream>

#include "unit/rules/conv_helpers.h"

namespace sluice::rules {
namespace {

TEST(ConvCoverageTest, EveryConverterHasATest) {
  std::string all;
  for (const char* d : {"string", "encode", "hash", "arith", "time", "net", "vars"}) {
    std::ifstream in(std::string(SLUICE_SOURCE_DIR) + "/tests/unit/rules/conv_" + d + "_test.cc");
    ASSERT_TRUE(in) << d;
    std::stringstream ss;
    ss << in.rdbuf();
    all += ss.str();
  }
  for (const auto& c : converters()) {
    std::string_view n = c.name;
    if (n.starts_with("map")) continue;   // rules/conv/map.cc has its own tests
    std::string used = "," + std::string(n);
    bool found = false;
    for (char after : {'(', ',', ')', '"'}) found = found || all.find(used + after) != std::string::npos;
    EXPECT_TRUE(found) << "no converter test uses " << n;
  }
}

TEST(ConvCoverageTest, InsideFormats) {
  test::ConvFixture f;
  CompileCtx cc;
  // The manual's form: an unquoted bracket inside the converter's parentheses does not end %[.
  auto fmt = Format::compile("q=%[str(?;&a=1),regsub([?;&]*,'')] h=%[str(AB),lower,hex]", cc);
  ASSERT_TRUE(fmt) << fmt.error().message;
  std::string out;
  fmt->render(f.c, out);
  EXPECT_EQ(out, "q=a=1 h=6162");
}

}  // namespace
}  // namespace sluice::rules
