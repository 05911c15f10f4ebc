#include <gtest/gtest.h>

#include "check/health.h"
#include "check/probe.h"
#include "check/server_checks.h"

namespace sluice::check {
namespace {

using backend::CheckStatus;
using F = Health::Flip;

std::string run(Health& h, std::string_view results) {   // "++-": results -> flips "U", "D", "."
  std::string out;
  for (char c : results) {
    F f = h.observe(c == '+');
    out += f == F::Up ? 'U' : f == F::Down ? 'D' : '.';
  }
  return out;
}

TEST(CheckHealthTest, FallFromFullyUpNeedsFallFailures) {
  Health h(2, 3, config::InitState::FullyUp);
  EXPECT_EQ(run(h, "--"), "..");
  EXPECT_TRUE(h.up());
  EXPECT_EQ(run(h, "-"), "D");
  EXPECT_EQ(h.value(), 0u);
}

TEST(CheckHealthTest, DefaultInitStateGoesDownOnFirstFailure) {
  Health h(2, 3);   // HAProxy: checked servers start UP, one failure from DOWN
  EXPECT_TRUE(h.up());
  EXPECT_TRUE(h.transitioning());
  EXPECT_EQ(run(h, "-"), "D");
}

TEST(CheckHealthTest, RiseNeedsConsecutiveSuccessesAndAFailureResets) {
  Health h(3, 2, config::InitState::FullyDown);
  EXPECT_EQ(run(h, "++-++"), ".....");
  EXPECT_EQ(run(h, "+"), "U");
  EXPECT_EQ(h.value(), h.max());
}

TEST(CheckHealthTest, SuccessWhileGoingDownRestoresFullHealth) {
  Health h(2, 3, config::InitState::FullyUp);
  EXPECT_EQ(run(h, "--+--"), ".....");
  EXPECT_EQ(run(h, "-"), "D");
}

TEST(CheckHealthTest, InitDownComesUpOnOneSuccess) {
  Health h(3, 3, config::InitState::Down);
  EXPECT_FALSE(h.up());
  EXPECT_EQ(run(h, "+"), "U");
}

TEST(CheckHealthTest, OnErrorActions) {
  Health h(2, 3, config::InitState::FullyUp);
  h.pre_fatal();
  EXPECT_TRUE(h.up());
  EXPECT_EQ(run(h, "-"), "D");
  Health g(2, 3, config::InitState::FullyUp);
  EXPECT_EQ(g.force_down(), F::Down);
  EXPECT_EQ(g.force_down(), F::None);
}

TEST(CheckHealthTest, IntervalFollowsState) {
  config::ServerConfig c;
  c.inter = config::Millis(2000);
  c.fastinter = config::Millis(100);
  c.downinter = config::Millis(5000);
  Health h(2, 3, config::InitState::FullyUp);
  EXPECT_EQ(next_interval(c, h), 2000u);
  h.observe(false);
  EXPECT_EQ(next_interval(c, h), 100u);
  h.force_down();
  EXPECT_EQ(next_interval(c, h), 5000u);
}

std::vector<CompiledExpect> expects(std::initializer_list<config::HttpCheckExpect> l) {
  return compile_expects(std::vector<config::HttpCheckExpect>(l));
}
using EK = config::HttpCheckExpect::Kind;

TEST(CheckHttpTest, DefaultPassesTwoAndThreeHundreds) {
  struct { const char* resp; Verdict::Kind kind; CheckStatus st; int code; } cases[] = {
      {"HTTP/1.1 200 OK\r\n\r\n", Verdict::Kind::Pass, CheckStatus::L7Ok, 200},
      {"HTTP/1.0 302 Found\r\n\r\n", Verdict::Kind::Pass, CheckStatus::L7Ok, 302},
      {"HTTP/1.1 500 Internal Server Error\r\n\r\n", Verdict::Kind::Fail, CheckStatus::L7Sts, 500},
      {"HTTP/1.1 404 Not Found\r\n\r\n", Verdict::Kind::Fail, CheckStatus::L7Sts, 404},
      {"SSH-2.0-OpenSSH\r\n", Verdict::Kind::Fail, CheckStatus::L7Rsp, -1},
  };
  for (const auto& c : cases) {
    Verdict v = judge_http(c.resp, false, {}, false);
    EXPECT_EQ(v.kind, c.kind) << c.resp;
    EXPECT_EQ(v.status, c.st) << c.resp;
    EXPECT_EQ(v.code, c.code) << c.resp;
  }
  EXPECT_EQ(judge_http("HTTP/1.1 500 Internal Server Error\r\n", false, {}, false).info, "Internal Server Error");
}

TEST(CheckHttpTest, PartialStatusLineWaitsAtEverySplit) {
  std::string resp = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  size_t eol = resp.find('\n');
  for (size_t i = 0; i <= eol; ++i)
    EXPECT_EQ(judge_http(std::string_view(resp).substr(0, i), false, {}, false).kind, Verdict::Kind::NeedMore) << i;
  EXPECT_EQ(judge_http("", true, {}, false).status, CheckStatus::L7Rsp);
}

TEST(CheckHttpTest, DisableOn404GivesNolb) {
  Verdict v = judge_http("HTTP/1.1 404 Not Found\r\n\r\n", false, {}, true);
  EXPECT_EQ(v.kind, Verdict::Kind::Pass);
  EXPECT_EQ(v.status, CheckStatus::L7Okc);
  EXPECT_TRUE(v.nolb);
}

TEST(CheckHttpTest, ExpectStatusRstatusStringAndNegation) {
  auto st = expects({{false, EK::Status, "200,301-303"}});
  EXPECT_EQ(judge_http("HTTP/1.1 302 X\r\n", false, st, false).kind, Verdict::Kind::Pass);
  EXPECT_EQ(judge_http("HTTP/1.1 304 X\r\n", false, st, false).kind, Verdict::Kind::Fail);
  auto rs = expects({{false, EK::RStatus, "^2[0-9]{2}$"}});
  EXPECT_EQ(judge_http("HTTP/1.1 204 X\r\n", false, rs, false).kind, Verdict::Kind::Pass);
  auto neg = expects({{true, EK::Status, "500"}});
  EXPECT_EQ(judge_http("HTTP/1.1 404 X\r\n", false, neg, false).kind, Verdict::Kind::Pass);
  EXPECT_EQ(judge_http("HTTP/1.1 500 X\r\n", false, neg, false).kind, Verdict::Kind::Fail);
  auto s = expects({{false, EK::String, "ready"}});
  std::string ok = "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nis ready";
  EXPECT_EQ(judge_http(ok.substr(0, ok.size() - 2), false, s, false).kind, Verdict::Kind::NeedMore);
  EXPECT_EQ(judge_http(ok, false, s, false).kind, Verdict::Kind::Pass);
  EXPECT_EQ(judge_http("HTTP/1.1 200 OK\r\n\r\nnot yet", true, s, false).status, CheckStatus::L7Rsp);
  auto rx = expects({{true, EK::RString, "err(or)?"}});
  EXPECT_EQ(judge_http("HTTP/1.1 200 OK\r\n\r\nfine", true, rx, false).kind, Verdict::Kind::Pass);
  EXPECT_EQ(judge_http("HTTP/1.1 200 OK\r\n\r\nerror", true, rx, false).kind, Verdict::Kind::Fail);
}

TEST(CheckHttpTest, StatusLists) {
  EXPECT_TRUE(status_in_list("200", 200));
  EXPECT_TRUE(status_in_list("200,301-399", 350));
  EXPECT_FALSE(status_in_list("200,301-399", 300));
  EXPECT_FALSE(status_in_list("", 200));
}

TEST(CheckHttpTest, RequestCarriesHeadersAndBody) {
  config::CheckConfig c;
  c.method = "POST";
  c.uri = "/h";
  c.version = "HTTP/1.1";
  c.headers = {{"Host", "example.com"}};
  c.body = "ping";
  EXPECT_EQ(http_request(c),
            "POST /h HTTP/1.1\r\nHost: example.com\r\nContent-Length: 4\r\nConnection: close\r\n\r\nping");
  config::CheckConfig d;
  EXPECT_EQ(http_request(d), "OPTIONS / HTTP/1.0\r\n\r\n");
}

TEST(CheckAgentTest, ParsesWordsAndCombinations) {
  auto r = parse_agent_line("75%\n");
  ASSERT_TRUE(r.weight_pct);
  EXPECT_EQ(*r.weight_pct, 75u);
  r = parse_agent_line("up, drain 50%");
  EXPECT_EQ(r.up, std::optional<bool>(true));
  EXPECT_EQ(r.admin, std::optional(backend::AdminState::Drain));
  EXPECT_EQ(*r.weight_pct, 50u);
  for (const char* down : {"down", "stopped", "FAIL"}) EXPECT_EQ(parse_agent_line(down).up, std::optional<bool>(false));
  EXPECT_EQ(parse_agent_line("maint").admin, std::optional(backend::AdminState::Maint));
  EXPECT_EQ(parse_agent_line("ready").admin, std::optional(backend::AdminState::Ready));
  r = parse_agent_line("down#disk full\r\n");
  EXPECT_EQ(r.message, "disk full");
  EXPECT_FALSE(parse_agent_line("hello world").valid);
  EXPECT_FALSE(parse_agent_line("x%").valid);
}

TEST(CheckAgentTest, LineNeedsNewlineOrEof) {
  EXPECT_EQ(judge_agent("75", false).kind, Verdict::Kind::NeedMore);
  EXPECT_EQ(judge_agent("75%\nrest", false).info, "75%");
  EXPECT_EQ(judge_agent("75%", true).info, "75%");
  EXPECT_EQ(judge_agent("", true).kind, Verdict::Kind::Fail);
}

TEST(CheckSslHelloTest, ClientHelloIsAWellFormedRecord) {
  std::string h = tls_client_hello();
  ASSERT_GT(h.size(), 50u);
  EXPECT_EQ(h[0], '\x16');
  EXPECT_EQ(h[1], '\x03');
  size_t len = (static_cast<unsigned char>(h[3]) << 8) | static_cast<unsigned char>(h[4]);
  EXPECT_EQ(len + 5, h.size());
  EXPECT_EQ(h[5], '\x01');   // ClientHello
  size_t hs = (static_cast<unsigned char>(h[6]) << 16) | (static_cast<unsigned char>(h[7]) << 8) |
              static_cast<unsigned char>(h[8]);
  EXPECT_EQ(hs + 4, len);
}

TEST(CheckSslHelloTest, ReplyRecords) {
  using namespace std::string_literals;
  EXPECT_EQ(judge_tls_reply("\x16\x03\x03\x00\x31\x02"s, false).status, CheckStatus::L6Ok);
  EXPECT_EQ(judge_tls_reply("\x15\x03\x03\x00\x02\x02\x28"s, false).status, CheckStatus::L6Ok);   // alert
  EXPECT_EQ(judge_tls_reply("\x16\x03"s, false).kind, Verdict::Kind::NeedMore);
  EXPECT_EQ(judge_tls_reply("\x16\x03"s, true).status, CheckStatus::L6Rsp);
  EXPECT_EQ(judge_tls_reply("HTTP/1.1 400 Bad Request\r\n", false).status, CheckStatus::L6Rsp);
  EXPECT_EQ(judge_tls_reply("\x16\x03\x03\x00\x31\x0b"s, false).status, CheckStatus::L6Rsp);
}

TEST(CheckTcpCheckTest, ScriptFromRules) {
  config::CheckConfig c;
  c.kind = config::CheckConfig::Kind::TcpCheck;
  config::TcpCheckRule send;
  send.kind = config::TcpCheckRule::Kind::Send;
  send.data = "PING\r\n";
  config::TcpCheckRule exp;
  exp.kind = config::TcpCheckRule::Kind::Expect;
  exp.pattern = "+PONG";
  c.tcp_rules = {send, exp};
  Script s = tcp_check_script(c);
  ASSERT_EQ(s.steps.size(), 3u);   // implicit connect first
  EXPECT_EQ(s.steps[0].kind, Step::Kind::Connect);
  EXPECT_EQ(s.steps[2].match("+PO", false).kind, Verdict::Kind::NeedMore);
  EXPECT_EQ(s.steps[2].match("+PONG\r\n", false).kind, Verdict::Kind::Pass);
  EXPECT_EQ(s.steps[2].match("-ERR\r\n", true).status, CheckStatus::L7Rsp);
}

}  // namespace
}  // namespace sluice::check
