// setenv / presetenv / unsetenv / resetenv in `global`, and the environment lines expand from.
// The semantics follow HAProxy 2.6 as measured with `haproxy -c` (tests/e2e/test_config_language.py
// runs the same against both).
#include <gtest/gtest.h>

#include <cstdlib>

#include "config/environment.h"
#include "test_util.h"

extern char** environ;

namespace sluice::config {
namespace {

using testing::dump;
using testing::has_diag;
using testing::kDefaults;
using testing::load;

// The configuration's own view of a variable, read back through `description`.
std::string seen(const LoadResult& r) {
  EXPECT_TRUE(r.ok()) << dump(r);
  return r.ok() ? r.config->find_proxy("b")->description : "";
}

std::string with(std::string_view global) {
  return "global\n" + std::string(global) + std::string(kDefaults) + "backend b\n  description \"[${V-unset}]\"\n";
}

TEST(ConfigEnvironmentTest, SetenvIsSeenByLaterLines) {
  EXPECT_EQ(seen(load(with(""))), "[unset]");
  EXPECT_EQ(seen(load(with("  setenv V one\n"))), "[one]");
  EXPECT_EQ(seen(load(with("  setenv V \"a b\"\n"))), "[a b]");
  EXPECT_EQ(seen(load(with(""), {{"V", "outer"}})), "[outer]");
  EXPECT_EQ(seen(load(with("  setenv V one\n"), {{"V", "outer"}})), "[one]");
  EXPECT_EQ(seen(load(with("  setenv V one\n  setenv V two\n"))), "[two]");
  // A value may use what was set before it.
  EXPECT_EQ(seen(load(with("  setenv A x\n  setenv V \"${A}y\"\n"))), "[xy]");
}

TEST(ConfigEnvironmentTest, PresetenvKeepsAnExistingValue) {
  EXPECT_EQ(seen(load(with("  presetenv V one\n"))), "[one]");
  EXPECT_EQ(seen(load(with("  presetenv V one\n"), {{"V", "outer"}})), "[outer]");
  EXPECT_EQ(seen(load(with("  presetenv V one\n"), {{"V", ""}})), "[]");   // set, though empty
  EXPECT_EQ(seen(load(with("  setenv V one\n  presetenv V two\n"))), "[one]");
}

TEST(ConfigEnvironmentTest, UnsetenvAndResetenv) {
  EXPECT_EQ(seen(load(with("  unsetenv V\n"), {{"V", "outer"}})), "[unset]");
  EXPECT_EQ(seen(load(with("  setenv V one\n  unsetenv X V\n"))), "[unset]");
  EXPECT_EQ(seen(load(with("  resetenv\n"), {{"V", "outer"}})), "[unset]");
  EXPECT_EQ(seen(load(with("  resetenv V\n"), {{"V", "outer"}})), "[outer]");
  EXPECT_EQ(seen(load(with("  resetenv A\n  setenv V new\n"), {{"V", "outer"}})), "[new]");
  auto r = load("global\n  resetenv K\n  .notice \"${K-u} ${PATH-u}\"\n", {{"K", "k"}, {"PATH", "/bin"}});
  EXPECT_TRUE(has_diag(r, "t.cfg:3: notice: k u", true)) << dump(r);
}

TEST(ConfigEnvironmentTest, ConditionsSeeTheChanges) {
  auto r = load("global\n  setenv FLAG 1\n.if defined(FLAG)\n  .notice on\n.endif\n"
                "  unsetenv FLAG\n.if defined(FLAG)\n  .notice still\n.endif\n");
  EXPECT_TRUE(has_diag(r, "t.cfg:4: notice: on", true)) << dump(r);
  EXPECT_FALSE(has_diag(r, "still", true)) << dump(r);
  // Inside a false block nothing is set.
  auto f = load(with(".if defined(NOPE)\n  setenv V skipped\n.endif\n"));
  EXPECT_EQ(seen(f), "[unset]");
}

TEST(ConfigEnvironmentTest, Errors) {
  for (const char* bad : {"  setenv\n", "  setenv V\n", "  setenv V \"\"\n", "  setenv V a b\n", "  presetenv V\n"}) {
    auto r = load(std::string("global\n") + bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_TRUE(has_diag(r, "t.cfg:2: '")) << dump(r);
    EXPECT_TRUE(has_diag(r, "expects a name and a value")) << dump(r);
  }
  EXPECT_TRUE(has_diag(load("global\n  unsetenv\n"), "t.cfg:2: 'unsetenv' expects at least one variable name"));
  EXPECT_TRUE(has_diag(load("global\n  setenv A=B x\n"), "t.cfg:2: 'setenv': invalid variable name 'A=B'"));
  // The keywords belong to `global`.
  EXPECT_FALSE(load(std::string(kDefaults) + "backend b\n  setenv V x\n").ok());
}

TEST(ConfigEnvironmentTest, SectionPseudoVariable) {
  auto r = load("  .notice \"[${.SECTION}]\"\nglobal\n  .notice \"[${.SECTION}] ${.FILE}:${.LINE}\"\n" +
                std::string(kDefaults) + "  .notice \"[${.SECTION}]\"\nbackend b\n  .notice \"[$.SECTION]\"\n");
  EXPECT_TRUE(has_diag(r, "t.cfg:1: notice: []", true)) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:3: notice: [global] t.cfg:3", true)) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:8: notice: [defaults]", true)) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:10: notice: [b]", true)) << dump(r);
}

TEST(ConfigEnvironmentTest, WordsAfterAnEmptyArgumentAreIgnoredWithAWarning) {
  auto r = load(std::string(kDefaults) + "backend b\n  server s 127.0.0.1:80 \"${OPTS}\" check\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_FALSE(r.config->find_proxy("b")->servers[0].check);
  EXPECT_TRUE(has_diag(r, "t.cfg:6: warning: 'check' ignored: an empty argument ends the line's arguments", true)) << dump(r);
  auto s = load(std::string(kDefaults) + "backend b\n  server s 127.0.0.1:80 \"${OPTS[*]}\"\n", {{"OPTS", "check inter 3s"}});
  ASSERT_TRUE(s.ok()) << dump(s);
  EXPECT_TRUE(s.config->find_proxy("b")->servers[0].check);
}

// Without an injected lookup the parse changes the process environment, as HAProxy's does.
TEST(ConfigEnvironmentTest, ProcessEnvironment) {
  ::setenv("SLUICE_T_KEEP", "k", 1);
  ::setenv("SLUICE_T_GONE", "g", 1);
  Environment e;
  ASSERT_TRUE(e.set("SLUICE_T_NEW", "n", true));
  EXPECT_STREQ(::getenv("SLUICE_T_NEW"), "n");
  ASSERT_TRUE(e.set("SLUICE_T_NEW", "m", false));
  EXPECT_EQ(e.get("SLUICE_T_NEW"), "n");
  e.unset("SLUICE_T_NEW");
  EXPECT_EQ(::getenv("SLUICE_T_NEW"), nullptr);
  EXPECT_FALSE(e.set("A=B", "x", true));
  // resetenv on the real environment: save it and put it back.
  std::vector<std::pair<std::string, std::string>> saved;
  for (char** p = environ; *p != nullptr; ++p) {
    std::string entry(*p);
    auto eq = entry.find('=');
    saved.emplace_back(entry.substr(0, eq), eq == std::string::npos ? "" : entry.substr(eq + 1));
  }
  e.reset({"SLUICE_T_KEEP"});
  EXPECT_STREQ(::getenv("SLUICE_T_KEEP"), "k");
  EXPECT_EQ(::getenv("SLUICE_T_GONE"), nullptr);
  EXPECT_EQ(::getenv("PATH"), nullptr);
  for (const auto& [n, v] : saved) ::setenv(n.c_str(), v.c_str(), 1);
  ::unsetenv("SLUICE_T_KEEP");
  ::unsetenv("SLUICE_T_GONE");
}

}  // namespace
}  // namespace sluice::config
