// The format-string engine (rules::Format, log/format.cc): every HAProxy 2.6 log variable
// either compiles or is refused with a message naming it, flags, compile errors, and what a
// format prints in a rule (before the values exist) and in a unique id.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "http/parser.h"
#include "log/format.h"
#include "rules/expr.h"

namespace sluice::rules {
namespace {

// Section 8.2.4 of HAProxy 2.6's manual, in its order.
const char* const kManualVars[] = {
    "B",  "CC",  "CS", "H",  "HM", "HP", "HPO", "HQ", "HU", "HV", "ID", "ST", "T",  "Ta", "Tc",  "Td",   "Tl",
    "Th", "Ti",  "Tq", "TR", "Tr", "Ts", "Tt",  "Tu", "Tw", "U",  "ac", "b",  "bc", "bi", "bp",  "bq",   "ci",
    "cp", "f",   "fc", "fi", "fp", "ft", "lc",  "hr", "hrl", "hs", "hsl", "ms", "pid", "r", "rc", "rt", "s",
    "sc", "si",  "sp", "sq", "sslc", "sslv", "t", "tr", "trg", "trl", "ts", "tsc"};

Result<Format> compile(std::string_view text, uint16_t phases, Format::Mode mode) {
  CompileCtx cc;
  cc.phases = phases;
  return Format::compile(text, cc, mode);
}

TEST(FormatEngine, EveryManualVariableCompilesInALogFormatOrIsRefused) {
  for (const char* v : kManualVars) {
    auto f = compile(std::string("%") + v, kLog, Format::Mode::Log);
    bool tls = std::string_view(v) == "sslc" || std::string_view(v) == "sslv";
    if (tls) {
      ASSERT_FALSE(f) << v;
      EXPECT_NE(f.error().message.find("not supported by sluice"), std::string::npos) << f.error().message;
      EXPECT_NE(f.error().message.find(std::string("'%") + v + "'"), std::string::npos) << f.error().message;
    } else {
      ASSERT_TRUE(f) << v << ": " << f.error().message;
      ASSERT_EQ(f->nodes().size(), 1u) << v;   // the longest name wins: %tsc is not %ts + "c"
      EXPECT_EQ(f->nodes()[0].kind, Format::Node::Kind::Var) << v;
    }
  }
}

TEST(FormatEngine, InRulesOnlyWhatSluiceKnowsThereCompiles) {
  const std::set<std::string> refused = {"hr", "hrl", "hs", "hsl", "ac", "sslc", "sslv"};
  for (const char* v : kManualVars) {
    auto f = compile(std::string("%") + v, kHttpReq, Format::Mode::Rule);
    EXPECT_EQ(!f, refused.count(v) == 1) << v << (f ? "" : ": " + f.error().message);
    if (!f) {
      EXPECT_NE(f.error().message.find("not supported by sluice"), std::string::npos) << f.error().message;
    }
  }
  // After the response, timers and states are not modelled: refused rather than wrong.
  auto tr = compile("%Tr", kHttpRes, Format::Mode::Rule);
  ASSERT_FALSE(tr);
  EXPECT_NE(tr.error().message.find("'%Tr' is not supported by sluice in http-response"), std::string::npos)
      << tr.error().message;
  EXPECT_TRUE(compile("%ci:%cp %HM %b", kHttpRes, Format::Mode::Rule));
}

TEST(FormatEngine, CompileErrorsNameTheirCause) {
  auto msg = [](std::string_view text) {
    auto f = compile(text, kLog, Format::Mode::Log);
    return f ? std::string("compiled") : f.error().message;
  };
  EXPECT_EQ(msg("%ci %zz"), "unknown log-format variable '%zz' (not supported by sluice)");
  EXPECT_EQ(msg("%{+Q r"), "missing '}' after '%{' in '%{+Q r'");
  EXPECT_EQ(msg("%{+q}r"), "unknown log-format flag '+q' (sluice knows +Q, +X, +E and their '-' forms)");
  EXPECT_EQ(msg("%[src"), "missing ']' after '%[' in '%[src'");
  EXPECT_EQ(msg("a %"), "'%' at '%' starts no log-format variable (write '%%' for a '%')");
  EXPECT_NE(msg("%[nosuch]").find("unknown fetch method 'nosuch'"), std::string::npos);
  // As HAProxy 2.6: header and body fetches are refused in a log-format; method, status and
  // unique-id are not.
  EXPECT_NE(msg("%[req.hdr(host)]").find("not available in log; use %HP"), std::string::npos) << msg("%[req.hdr(host)]");
  EXPECT_NE(msg("%[res.hdr(x)]").find("not available in log"), std::string::npos);
  EXPECT_EQ(msg("%[method] %[status] %[unique-id] %[be_name] %[str(a)]"), "compiled");
  // ... but a rule may read them.
  EXPECT_TRUE(compile("%[req.hdr(host)]", kHttpReq, Format::Mode::Rule));
}

TEST(FormatEngine, FlagsAndO) {
  auto f = compile("%{+Q}o %ci %{-Q}ci %{+Q,+E}HM %{+X}cp %%", kLog, Format::Mode::Log);
  ASSERT_TRUE(f) << f.error().message;
  const auto& n = f->nodes();
  // %o leaves no node: it sets the defaults of what follows.
  ASSERT_EQ(n.size(), 10u);
  EXPECT_TRUE(n[1].quote);
  EXPECT_FALSE(n[3].quote);
  EXPECT_TRUE(n[5].quote && n[5].escape);
  EXPECT_TRUE(n[7].hex && n[7].quote);
  EXPECT_EQ(n[9].text, "%");
}

struct RuleFixture {
  std::string raw = "GET /p/a?x=1 HTTP/1.1\r\nHost: h1\r\nX-In: a\"b]c\r\n\r\n";
  http::RequestHead req;
  sockaddr_storage src{}, dst{};
  Arena arena;
  Ctx c;
  RuleFixture() {
    http::HeadScan scan;
    EXPECT_EQ(http::parse_request(raw, scan, req, {}).status, http::ParseStatus::Done);
    auto* a = reinterpret_cast<sockaddr_in*>(&src);
    a->sin_family = AF_INET;
    a->sin_port = htons(4660);
    inet_pton(AF_INET, "10.1.2.3", &a->sin_addr);
    auto* b = reinterpret_cast<sockaddr_in*>(&dst);
    b->sin_family = AF_INET;
    b->sin_port = htons(80);
    inet_pton(AF_INET, "127.0.0.1", &b->sin_addr);
    c.phase = kHttpReq;
    c.src = &src;
    c.dst = &dst;
    c.req = &req;
    c.fe_name = "web";
    c.arena = &arena;
  }
  std::string render(std::string_view text, Format::Mode mode = Format::Mode::Rule) {
    auto f = compile(text, kHttpReq, mode);
    EXPECT_TRUE(f) << f.error().message;
    return f ? std::string(f->render(c)) : "";
  }
};

TEST(FormatEngine, RuleArgumentsPrintWhatHaproxyPrintsInHttpRequest) {
  RuleFixture f;
  EXPECT_EQ(f.render("%ci:%cp"), "10.1.2.3:4660");
  EXPECT_EQ(f.render("%fi:%fp %f %ft %b %s"), "127.0.0.1:80 web web web <NOSRV>");
  EXPECT_EQ(f.render("%HM %HU %HP %HQ %HV %{+Q}r"), "GET /p/a?x=1 /p/a ?x=1 HTTP/1.1 \"GET /p/a?x=1 HTTP/1.1\"");
  // Values that do not exist yet (HAProxy 2.6 on the same request).
  EXPECT_EQ(f.render("%ST %B %U %Tq %TR %Tw %Tc %Tr %Td %tsc %ts %rc %bc %sc %sq %bq"),
            "-1 0 0 -1 -1 -1 -1 -1 -1 ---- -- 0 0 0 0 0");
  // Empty fields print nothing (a log line prints '-'); Q quotes variables but not samples.
  EXPECT_EQ(f.render("a%{+Q}CC|%bi|%si|%sp|%ID|%[req.hdr(nope)]|%{+Q}[req.hdr(nope)]|b"), "a\"\"|||||||b");
  EXPECT_EQ(f.render("a   b  %HM"), "a   b  GET");   // spaces kept
  EXPECT_EQ(f.render("%{+X}ci:%{+X}cp %{+Q}HM %{+E}[req.hdr(x-in)] %{+Q}[req.hdr(host)]"),
            "0A010203:1234 \"GET\" a\\\"b\\]c h1");
  EXPECT_EQ(f.render("%[src]"), "10.1.2.3");
}

TEST(FormatEngine, UniqueIdIsGeneratedOnceAndSeparatesOnSpaces) {
  RuleFixture f;
  CompileCtx cc;
  // What the configuration's `unique-id-format %{+X}o\ %ci...` reaches the engine as.
  auto uid = Format::compile("%{+X}o %ci:%cp_%[str(u)]  %CC", cc, Format::Mode::UniqueId);
  ASSERT_TRUE(uid) << uid.error().message;
  EXPECT_EQ(unique_id(f.c), "");   // no unique-id-format: no id
  f.c.unique_id_format = &*uid;
  // Leading and repeated spaces are separators; an empty field prints nothing.
  EXPECT_EQ(unique_id(f.c), "0A010203:1234_u ");
  f.c.src = &f.dst;   // generated once per transaction: later asks see the same id
  EXPECT_EQ(f.render("%ID=%[unique-id]"), "0A010203:1234_u =0A010203:1234_u ");
  // A format that asks for its own id sees none instead of recursing.
  auto self = Format::compile("x%[unique-id]", cc, Format::Mode::UniqueId);
  ASSERT_TRUE(self);
  RuleFixture g;
  g.c.unique_id_format = &*self;
  EXPECT_EQ(unique_id(g.c), "x");
}

TEST(FormatEngine, LogLinesRenderSamplesOnTheRecord) {
  log::TxRecord r;
  auto& in = reinterpret_cast<sockaddr_in&>(r.client);
  in.sin_family = AF_INET;
  in.sin_port = htons(1234);
  inet_pton(AF_INET, "10.0.0.1", &in.sin_addr);
  r.request_line = "POST /x HTTP/1.1";
  r.status = 200;
  r.unique_id = "abc";
  auto f = log::LogFormat::compile("%[method] %[status] %{+Q}[src_port] %[unique-id] %ID %[var(txn.no)] %{+Q}[var(txn.no)]");
  ASSERT_TRUE(f) << f.error();
  // status: HAProxy 2.6 has no response left at log time and prints '-'; so does sluice.
  EXPECT_EQ(f->render(r, {}), "POST - \"1234\" abc abc - \"\"");
}

}  // namespace
}  // namespace sluice::rules
