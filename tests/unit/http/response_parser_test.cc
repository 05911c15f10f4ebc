#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "http/parser.h"
#include "unit/http/split_helpers.h"

namespace sluice::http {
namespace {

using Check = std::function<void(const ResponseHead&)>;

struct ResponseCase {
  const char* name;
  std::string_view input;
  uint16_t want;  // 0: Done; else the error status (always 502)
  Method method = Method::Get;
  Framing framing = Framing::None;  // checked when want == 0
  Check check = nullptr;
  bool accept_invalid = false;
};

void PrintTo(const ResponseCase& c, std::ostream* os) { *os << c.name; }

const ResponseCase kCases[] = {
    {"OkWithLength", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 0, Method::Get,
     Framing::ContentLength, [](const ResponseHead& r) {
       EXPECT_EQ(r.status, 200);
       EXPECT_EQ(r.reason, "OK");
       EXPECT_EQ(r.content_length, 5u);
       EXPECT_TRUE(r.keep_alive);
       EXPECT_EQ(r.head_len, 38u);
       EXPECT_EQ(r.find("content-length"), 0);
     }},
    {"Chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 0, Method::Get, Framing::Chunked},
    {"GzipChunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 0, Method::Get,
     Framing::Chunked},
    {"TeNotChunkedReadsUntilClose", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", 0, Method::Get,
     Framing::UntilClose, [](const ResponseHead& r) { EXPECT_FALSE(r.keep_alive); }},
    {"NoLengthUntilClose", "HTTP/1.1 200 OK\r\n\r\n", 0, Method::Get, Framing::UntilClose,
     [](const ResponseHead& r) { EXPECT_FALSE(r.keep_alive); }},
    {"HeadHasNoBody", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", 0, Method::Head, Framing::None,
     [](const ResponseHead& r) { EXPECT_EQ(r.content_length, 100u); }},
    {"NoContent", "HTTP/1.1 204 No Content\r\n\r\n", 0, Method::Get, Framing::None,
     [](const ResponseHead& r) { EXPECT_TRUE(r.keep_alive); }},
    {"NotModified", "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", 0, Method::Get, Framing::None},
    {"Continue", "HTTP/1.1 100 Continue\r\n\r\n", 0, Method::Put, Framing::None},
    {"SwitchingProtocols", "HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n",
     0, Method::Get, Framing::Tunnel, [](const ResponseHead& r) { EXPECT_TRUE(r.upgrade); }},
    {"ConnectEstablished", "HTTP/1.1 200 Connection established\r\n\r\n", 0, Method::Connect, Framing::Tunnel},
    // RFC 9110 §9.3.6: CL and TE of a 2xx to CONNECT are ignored, whatever they say.
    {"ConnectTunnelIgnoresClAndTe", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
     0, Method::Connect, Framing::Tunnel, [](const ResponseHead& r) { EXPECT_EQ(r.content_length, 0u); }},
    {"ConnectTunnelIgnoresTeInHttp10", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 0,
     Method::Connect, Framing::Tunnel},
    {"ConnectTunnelIgnoresCl", "HTTP/1.1 204 OK\r\nContent-Length: 9\r\n\r\n", 0, Method::Connect,
     Framing::Tunnel, [](const ResponseHead& r) { EXPECT_EQ(r.content_length, 0u); }},
    {"ConnectRefused", "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n", 0, Method::Connect,
     Framing::ContentLength},
    {"EmptyReasonWithSpace", "HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n", 0, Method::Get,
     Framing::ContentLength, [](const ResponseHead& r) { EXPECT_EQ(r.reason, ""); }},
    {"EmptyReasonWithoutSpace", "HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n", 0, Method::Get,
     Framing::ContentLength, [](const ResponseHead& r) { EXPECT_EQ(r.status, 404); }},
    {"Http10KeepAlive", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\n", 0,
     Method::Get, Framing::ContentLength, [](const ResponseHead& r) {
       EXPECT_EQ(r.version_minor, 0);
       EXPECT_TRUE(r.keep_alive);
     }},
    {"Http11Close", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\n", 0, Method::Get,
     Framing::ContentLength, [](const ResponseHead& r) { EXPECT_FALSE(r.keep_alive); }},
    {"Status599", "HTTP/1.1 599 Odd\r\nContent-Length: 0\r\n\r\n", 0, Method::Get, Framing::ContentLength},
    {"AcceptInvalidBareLf", "HTTP/1.1 200 OK\nContent-Length: 0\n\n", 0, Method::Get,
     Framing::ContentLength, nullptr, true},
    // --- invalid ---------------------------------------------------------------------------
    {"ConnectRefusedClAndTe", "HTTP/1.1 407 Auth\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
     502, Method::Connect},
    {"ClAndTe", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 502},
    {"ConflictingCl", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\n", 502},
    {"BadCl", "HTTP/1.1 200 OK\r\nContent-Length: 5 5\r\n\r\n", 502},
    {"ChunkedTwice", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 502},
    {"TeInHttp10", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 502},
    {"StatusTwoDigits", "HTTP/1.1 20 OK\r\n\r\n", 502},
    {"StatusFourDigits", "HTTP/1.1 2000 OK\r\n\r\n", 502},
    {"StatusTooLow", "HTTP/1.1 099 Low\r\n\r\n", 502},
    {"StatusTooHigh", "HTTP/1.1 600 High\r\n\r\n", 502},
    {"StatusNotDigits", "HTTP/1.1 2x0 OK\r\n\r\n", 502},
    {"Major2", "HTTP/2.0 200 OK\r\n\r\n", 502},
    {"LowercaseVersion", "http/1.1 200 OK\r\n\r\n", 502},
    {"NoVersion", "200 OK\r\n\r\n", 502},
    {"EmptyStatusLine", "\r\nHTTP/1.1 200 OK\r\n\r\n", 502},
    {"BareLf", "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", 502},
    {"ObsFold", "HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", 502},
    {"SpaceBeforeColon", "HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n", 502},
    {"CtlInReason", "HTTP/1.1 200 O\x01K\r\n\r\n", 502},
    {"CtlInValue", "HTTP/1.1 200 OK\r\nX: \x02\r\n\r\n", 502},
};

class HttpResponseTest : public ::testing::TestWithParam<ResponseCase> {};

ParseResult parse_with(std::string_view in, HeadScan& scan, ResponseHead& out, const ResponseCase& c) {
  ParseOptions opt;
  opt.accept_invalid = c.accept_invalid;
  return parse_response(in, scan, c.method, out, opt);
}

TEST_P(HttpResponseTest, ParsesWholeAndAtEverySplit) {
  const ResponseCase& c = GetParam();
  HeadScan scan;
  ResponseHead head;
  const ParseResult r = parse_with(c.input, scan, head, c);
  if (c.want == 0) {
    ASSERT_EQ(r.status, ParseStatus::Done) << r.reason;
    EXPECT_EQ(head.framing, c.framing) << to_string(head.framing);
    EXPECT_LE(head.head_len, c.input.size());
    if (c.check) c.check(head);
  } else {
    ASSERT_EQ(r.status, ParseStatus::Error);
    EXPECT_EQ(r.error_status, c.want) << r.reason;
  }
  testing::expect_split_invariant(c.input, r, head.head_len,
                                  [&](std::string_view in, HeadScan& s, size_t& head_len) {
                                    ResponseHead h;
                                    const ParseResult pr = parse_with(in, s, h, c);
                                    head_len = h.head_len;
                                    return pr;
                                  });
}

INSTANTIATE_TEST_SUITE_P(Http, HttpResponseTest, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<ResponseCase>& i) { return std::string(i.param.name); });

}  // namespace
}  // namespace sluice::http
