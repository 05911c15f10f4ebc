// Access-log formatting: haproxy's documented example lines (configuration manual 8.2.2,
// 8.2.3) rebuilt field by field, the separator and quoting rules, and the syslog headers.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <time.h>

#include <cstdlib>
#include <thread>

#include "backend/backend.h"
#include "log/format.h"
#include "log/ring.h"
#include "log/sink.h"
#include "proxy/runtime.h"

namespace sluice::log {
namespace {

class FormatTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "UTC", 1);
    tzset();
  }
  static config::ProxyConfig proxy(const std::string& name) {
    config::ProxyConfig p;
    p.name = name;
    p.mode = config::Mode::Http;
    return p;
  }
  static config::ServerConfig server(const std::string& name) {
    config::ServerConfig s;
    s.name = name;
    auto& in = reinterpret_cast<sockaddr_in&>(s.addr.sa);
    in.sin_family = AF_INET;
    in.sin_port = htons(8000);
    inet_pton(AF_INET, "127.0.0.1", &in.sin_addr);
    return s;
  }
  static sockaddr_storage addr(const char* ip, uint16_t port) {
    sockaddr_storage ss{};
    auto& in = reinterpret_cast<sockaddr_in&>(ss);
    in.sin_family = AF_INET;
    in.sin_port = htons(port);
    inet_pton(AF_INET, ip, &in.sin_addr);
    return ss;
  }
  // 06/Feb/2009:12:14:14.655 UTC
  static uint64_t feb6(int h, int m, int s, int ms) {
    struct tm tm{};
    tm.tm_year = 109;
    tm.tm_mon = 1;
    tm.tm_mday = 6;
    tm.tm_hour = h;
    tm.tm_min = m;
    tm.tm_sec = s;
    return static_cast<uint64_t>(timegm(&tm)) * 1000000u + ms * 1000u;
  }
  std::string render(std::string_view fmt, const TxRecord& r, RenderEnv env = {}) {
    auto f = LogFormat::compile(fmt);
    EXPECT_TRUE(f.has_value()) << f.error();
    return f ? f->render(r, env) : "";
  }

  proxy::Frontend fe_{proxy("http-in")};
  backend::Backend be_{[] {
                         auto p = proxy("static");
                         p.kind = config::ProxyConfig::Kind::Backend;
                         p.servers = {server("srv1")};
                         return p;
                       }(),
                       0};
};

TEST_F(FormatTest, HttplogMatchesTheManualExample) {
  // 8.2.3: 10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109
  //        200 2750 - - ---- 1/1/1/1/0 0/0 {1wt.eu} {} "GET /index.html HTTP/1.1"
  TxRecord r;
  r.fe = &fe_;
  r.be = &be_;
  r.srv = be_.servers()[0].get();
  r.client = addr("10.0.1.2", 33317);
  r.accept_wall_us = r.request_wall_us = feb6(12, 14, 14, 655);
  r.TR = 10, r.Tw = 0, r.Tc = 30, r.Tr = 69, r.Ta = 109;
  r.status = 200;
  r.bytes_out = 2750;
  r.actconn = r.feconn = r.beconn = r.srv_conn = 1;
  r.request_line = "GET /index.html HTTP/1.1";
  r.req_captures = {"1wt.eu"};
  RenderEnv env;
  env.req_capture_count = 1;
  env.rsp_capture_count = 1;
  EXPECT_EQ(render(kHttpLogFormat, r, env),
            "10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 "
            "2750 - - ---- 1/1/1/1/0 0/0 {1wt.eu} {} \"GET /index.html HTTP/1.1\"");
  // Without captures the two fields disappear with their separators.
  EXPECT_EQ(render(kHttpLogFormat, r),
            "10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 "
            "2750 - - ---- 1/1/1/1/0 0/0 \"GET /index.html HTTP/1.1\"");
}

TEST_F(FormatTest, TcplogMatchesTheManualExample) {
  // 8.2.2: 10.0.1.2:33313 [06/Feb/2009:12:12:51.443] fnt bck/srv1 0/0/5007 212 --
  //        0/0/0/0/3 0/0
  TxRecord r;
  r.http = false;
  proxy::Frontend fnt{proxy("fnt")};
  auto bp = proxy("bck");
  bp.servers = {server("srv1")};
  backend::Backend bck(bp, 0);
  r.fe = &fnt;
  r.be = &bck;
  r.srv = bck.servers()[0].get();
  r.client = addr("10.0.1.2", 33313);
  r.accept_wall_us = feb6(12, 12, 51, 443);
  r.Tw = 0, r.Tc = 0, r.Tt = 5007;
  r.bytes_out = 212;
  r.retries = 3;
  EXPECT_EQ(render(kTcpLogFormat, r),
            "10.0.1.2:33313 [06/Feb/2009:12:12:51.443] fnt bck/srv1 0/0/5007 212 -- 0/0/0/0/3 0/0");
}

TEST_F(FormatTest, ClfQuotesStringsButNotNumbersDatesOrFlags) {
  TxRecord r;
  r.fe = &fe_;
  r.be = &be_;
  r.srv = be_.servers()[0].get();
  r.client = addr("127.0.0.1", 36366);
  r.accept_wall_us = r.request_wall_us = feb6(8, 4, 45, 743);
  r.TR = r.Tw = r.Tc = r.Tr = r.Ta = 0;
  r.status = 200;
  r.bytes_out = 292;
  r.actconn = r.feconn = 1;
  r.request_line = "GET /a?b=c\"d HTTP/1.1";
  r.req_captures = {"127.0.0.1:18001", "abcde"};
  r.rsp_captures = {"text/plain"};
  RenderEnv env{.req_capture_count = 2, .rsp_capture_count = 1};
  // Byte for byte what haproxy 2.6.12 logs for the same exchange (names aside).
  EXPECT_EQ(render(kClfLogFormat, r, env),
            "127.0.0.1 - - [06/Feb/2009:08:04:45 +0000] \"GET /a?b=c#22d HTTP/1.1\" 200 292 \"\" "
            "\"\" 36366 743 \"http-in\" \"static\" \"srv1\" 0 0 0 0 0 ---- 1 1 0 0 0 0 0 \"\" \"\" "
            "\"127.0.0.1:18001\" \"abcde\" \"text/plain\"");
  EXPECT_EQ(render("%{+Q}o %{-Q}ci - - [%trg] %r %ST %B \"\" \"\" %cp %ms %ft %tsc %CC %hrl %hsl", r, env),
            "127.0.0.1 - - [06/Feb/2009:08:04:45 +0000] \"GET /a?b=c#22d HTTP/1.1\" 200 292 \"\" "
            "\"\" 36366 743 \"http-in\" ---- \"\" \"127.0.0.1:18001\" \"abcde\" \"text/plain\"");
}

TEST_F(FormatTest, VariablesAndFlags) {
  TxRecord r;
  r.fe = &fe_;
  r.client = addr("10.0.0.1", 1234);
  r.local = addr("10.0.0.2", 80);
  r.request_line = "POST /p/a?x=1 HTTP/1.0";
  r.status = 503;
  r.bytes_in = 77;
  r.retries = 2;
  r.redispatched = true;
  r.term[0] = 's';
  r.term[1] = 'C';
  EXPECT_EQ(render("%HM %HU %HP %HQ %HV %U %rc %ts %tsc %b %s %fi:%fp %si:%sp", r),
            "POST /p/a?x=1 /p/a ?x=1 HTTP/1.0 77 +2 sC sC-- http-in <NOSRV> 10.0.0.2:80 -:-");
  // X as haproxy 2.6 prints it: addresses in hex, ports with 4 digits, timers in decimal.
  EXPECT_EQ(render("%{+X}ci:%{+X}cp %%ST=%ST %{+X}ST %{+X}U", r), "0A000001:04D2 %ST=503 503 77");
  EXPECT_EQ(render("%{+Q}r %{+Q,+E}HU", r), "\"POST /p/a?x=1 HTTP/1.0\" \"/p/a?x=1\"");
  EXPECT_EQ(render("a   b\\ \\ c", r), "a b  c");   // separators merge, escaped spaces stay
  r.service = "<STATS>";
  EXPECT_EQ(render("%s", r), "<STATS>");
}

TEST_F(FormatTest, CompileErrorsAndWarnings) {
  EXPECT_FALSE(LogFormat::compile("%ci %zz").has_value());
  EXPECT_FALSE(LogFormat::compile("%{+Q r").has_value());
  // Sample expressions sluice cannot evaluate are errors naming them, never a silent "-".
  auto conv = LogFormat::compile("%ci %[src,nosuchconv(24)]");
  ASSERT_FALSE(conv.has_value());
  EXPECT_NE(conv.error().find("unknown converter 'nosuchconv' in 'src,nosuchconv(24)' (not supported by sluice)"),
            std::string::npos) << conv.error();
  // As HAProxy 2.6: fetches needing the request headers are refused in a log-format.
  for (const char* bad : {"%[nbsrv(b)]", "%[hdr(host)]", "%[req.cook(a)]", "%[path_beg]", "%[src", "%[path]",
                          "%[url]", "%[query]", "%[req.ver]"})
    EXPECT_FALSE(LogFormat::compile(bad).has_value()) << bad;
  auto ok = LogFormat::compile("%[src] %[src_port] %[dst]:%[dst_port] %[method]");
  ASSERT_TRUE(ok.has_value()) << ok.error();
  EXPECT_TRUE(ok->warnings().empty());
}

TEST_F(FormatTest, SampleExpressionsPrintTheirValue) {
  TxRecord r;
  r.fe = &fe_;
  r.client = addr("10.0.0.1", 1234);
  r.local = addr("10.0.0.2", 80);
  r.request_line = "POST /p/A?x=1 HTTP/1.0";
  EXPECT_EQ(render("%[src]:%[src_port] %[dst]:%[dst_port] %[method] %{+Q}[src] %[always_true]", r),
            "10.0.0.1:1234 10.0.0.2:80 POST \"10.0.0.1\" 1");
  if (rules::find_converter("lower") != nullptr) {   // converters are rows of rules/conv/
    EXPECT_EQ(render("%[method,lower]", r), "post");
  }
  r.local = sockaddr_storage{};
  EXPECT_EQ(render("%[dst]:%[dst_port]", r), "-:-");
}

TEST_F(FormatTest, EncodingMaps) {
  EXPECT_EQ(encode_url("a\"b#c{d}\x01"), "a#22b#23c{d}#01");
  EXPECT_EQ(encode_header("a|b{c}"), "a#7Cb#7Bc#7D");
}

TEST_F(FormatTest, SyslogHeadersMatchHaproxy) {
  uint64_t t = feb6(8, 5, 9, 326) + 773;
  HeaderEnv env{.tag = "haproxy", .hostname = "vm", .send_hostname = false, .pid = 4038};
  // Lines as haproxy 2.6.12 writes them (facility local0 = 16, level info = 6).
  EXPECT_EQ(header(Format::Local, 16, 6, t, env), "<134>Feb  6 08:05:09 haproxy[4038]: ");
  EXPECT_EQ(header(Format::Rfc3164, 16, 6, t, env), "<134>Feb  6 08:05:09 localhost haproxy[4038]: ");
  EXPECT_EQ(header(Format::Rfc5424, 17, 6, t, env), "<142>1 2009-02-06T08:05:09.326773+00:00 - haproxy 4038 - - ");
  EXPECT_EQ(header(Format::Short, 16, 6, t, env), "<6>");
  EXPECT_EQ(header(Format::Priority, 16, 6, t, env), "<134>");
  EXPECT_EQ(header(Format::Timed, 16, 6, t, env), "<6>2009-02-06T08:05:09.326773+00:00 ");
  EXPECT_EQ(header(Format::Iso, 16, 6, t, env), "2009-02-06T08:05:09.326773+00:00 ");
  EXPECT_EQ(header(Format::Raw, 16, 6, t, env), "");
  env.send_hostname = true;
  EXPECT_EQ(header(Format::Local, 16, 6, t, env), "<134>Feb  6 08:05:09 vm haproxy[4038]: ");
  EXPECT_EQ(header(Format::Rfc5424, 17, 6, t, env), "<142>1 2009-02-06T08:05:09.326773+00:00 vm haproxy 4038 - - ");
}

TEST(RingTest, FullRingRefusesAndKeepsOrder) {
  Ring<int> ring(4);
  for (int i = 0; i < 4; ++i) {
    int v = i;
    EXPECT_TRUE(ring.push(v));
  }
  int extra = 9;
  EXPECT_FALSE(ring.push(extra));
  int out = -1;
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(ring.pop(out));
    EXPECT_EQ(out, i);
  }
  EXPECT_FALSE(ring.pop(out));
  int again = 5;
  EXPECT_TRUE(ring.push(again));
  EXPECT_TRUE(ring.pop(out));
  EXPECT_EQ(out, 5);
}

TEST(RingTest, ManyProducersLoseNothingWhenThereIsRoom) {
  Ring<int> ring(1 << 14);
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&ring, t] {
      for (int i = 0; i < 2000; ++i) {
        int v = t * 10000 + i;
        ASSERT_TRUE(ring.push(v));
      }
    });
  for (auto& t : ts) t.join();
  int n = 0, v = 0;
  long sum = 0;
  while (ring.pop(v)) ++n, sum += v % 10000;
  EXPECT_EQ(n, 8000);
  EXPECT_EQ(sum, 4L * (1999L * 2000 / 2));
}

}  // namespace
}  // namespace sluice::log
