#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "http/chars.h"
#include "http/parser.h"
#include "unit/http/split_helpers.h"

namespace sluice::http {
namespace {

using namespace std::literals;
using Check = std::function<void(const RequestHead&)>;

struct RequestCase {
  const char* name;
  std::string_view input;
  uint16_t want;  // 0: Done; 1: NeedMore; else the error status
  Check check = nullptr;
  bool accept_invalid = false;
  size_t max_headers = 101;
};

void PrintTo(const RequestCase& c, std::ostream* os) { *os << c.name; }

#define H11 " HTTP/1.1\r\nHost: a.example\r\n"

const RequestCase kCases[] = {
    // --- valid -----------------------------------------------------------------------------
    {"SimpleGet", "GET /index.html HTTP/1.1\r\nHost: a.example\r\n\r\n", 0,
     [](const RequestHead& r) {
       EXPECT_EQ(r.method, Method::Get);
       EXPECT_EQ(r.method_name, "GET");
       EXPECT_EQ(r.target, "/index.html");
       EXPECT_EQ(r.path, "/index.html");
       EXPECT_EQ(r.host, "a.example");
       EXPECT_EQ(r.authority, "");
       EXPECT_EQ(r.version_minor, 1);
       EXPECT_EQ(r.framing, Framing::None);
       EXPECT_TRUE(r.keep_alive);
       EXPECT_FALSE(r.upgrade);
       EXPECT_EQ(r.headers.size(), 1u);
     }},
    {"HeaderCaseAndOrderPreserved", "GET / HTTP/1.1\r\nhOsT: a\r\nX-B: 1\r\nx-a:  two words \r\n\r\n", 0,
     [](const RequestHead& r) {
       ASSERT_EQ(r.headers.size(), 3u);
       EXPECT_EQ(r.headers[0].name, "hOsT");
       EXPECT_EQ(r.headers[1].name, "X-B");
       EXPECT_EQ(r.headers[2].name, "x-a");
       EXPECT_EQ(r.headers[2].value, "two words");
       EXPECT_EQ(r.find("X-A"), 2);
       EXPECT_EQ(r.find("x-b"), 1);
       EXPECT_EQ(r.find("x-b", 2), -1);
       EXPECT_EQ(r.find("missing"), -1);
     }},
    {"BodyBytesAfterHead", "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello", 0,
     [](const RequestHead& r) {
       EXPECT_EQ(r.method, Method::Post);
       EXPECT_EQ(r.framing, Framing::ContentLength);
       EXPECT_EQ(r.content_length, 5u);
       EXPECT_EQ(r.head_len, 48u);
     }},
    {"ContentLengthZero", "POST /p" H11 "Content-Length: 0\r\n\r\n", 0,
     [](const RequestHead& r) {
       EXPECT_EQ(r.framing, Framing::ContentLength);
       EXPECT_EQ(r.content_length, 0u);
     }},
    {"ContentLengthRepeatedIdentical", "POST /p" H11 "Content-Length: 42\r\nContent-Length: 42\r\n\r\n", 0,
     [](const RequestHead& r) { EXPECT_EQ(r.content_length, 42u); }},
    {"ContentLengthListIdentical", "POST /p" H11 "Content-Length: 42, 42\r\n\r\n", 0,
     [](const RequestHead& r) { EXPECT_EQ(r.content_length, 42u); }},
    {"ContentLengthMax", "POST /p" H11 "Content-Length: 18446744073709551615\r\n\r\n", 0,
     [](const RequestHead& r) { EXPECT_EQ(r.content_length, UINT64_MAX); }},
    {"Chunked", "POST /p" H11 "Transfer-Encoding: chunked\r\n\r\n", 0,
     [](const RequestHead& r) { EXPECT_EQ(r.framing, Framing::Chunked); }},
    {"ChunkedCaseInsensitive", "POST /p" H11 "Transfer-Encoding: ChUnKeD\r\n\r\n", 0,
     [](const RequestHead& r) { EXPECT_EQ(r.framing, Framing::Chunked); }},
    {"GzipThenChunked", "POST /p" H11 "Transfer-Encoding: gzip, chunked\r\n\r\n", 0,
     [](const RequestHead& r) { EXPECT_EQ(r.framing, Framing::Chunked); }},
    {"TeSplitOverTwoFields", "POST /p" H11 "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", 0,
     [](const RequestHead& r) { EXPECT_EQ(r.framing, Framing::Chunked); }},
    {"Http10DefaultClose", "GET / HTTP/1.0\r\n\r\n", 0,
     [](const RequestHead& r) {
       EXPECT_EQ(r.version_minor, 0);
       EXPECT_FALSE(r.keep_alive);
       EXPECT_EQ(r.host, "");
     }},
    {"Http10KeepAlive", "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", 0,
     [](const RequestHead& r) { EXPECT_TRUE(r.keep_alive); }},
    {"Http11Close", "GET /" H11 "Connection: keep-alive, close\r\n\r\n", 0,
     [](const RequestHead& r) { EXPECT_FALSE(r.keep_alive); }},
    {"MinorAboveOneIsOneOne", "GET / HTTP/1.7\r\nHost: a\r\n\r\n", 0,
     [](const RequestHead& r) { EXPECT_EQ(r.version_minor, 1); }},
    {"WebSocketUpgrade",
     "GET /ws" H11 "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n", 0,
     [](const RequestHead& r) { EXPECT_TRUE(r.upgrade); }},
    {"UpgradeHeaderWithoutToken", "GET /ws" H11 "Upgrade: websocket\r\n\r\n", 0,
     [](const RequestHead& r) { EXPECT_FALSE(r.upgrade); }},
    {"ExpectContinue", "PUT /x" H11 "Expect: 100-Continue\r\nContent-Length: 3\r\n\r\n", 0,
     [](const RequestHead& r) {
       EXPECT_TRUE(r.expect_continue);
       EXPECT_EQ(r.method, Method::Put);
     }},
    {"ExpectIgnoredInHttp10", "PUT /x HTTP/1.0\r\nExpect: 100-continue\r\n\r\n", 0,
     [](const RequestHead& r) { EXPECT_FALSE(r.expect_continue); }},
    {"AbsoluteForm", "GET http://A.example:8080/p?q=1 HTTP/1.1\r\nHost: a.EXAMPLE:8080\r\n\r\n", 0,
     [](const RequestHead& r) {
       EXPECT_EQ(r.authority, "A.example:8080");
       EXPECT_EQ(r.path, "/p?q=1");
       EXPECT_EQ(r.target, "http://A.example:8080/p?q=1");
     }},
    {"AbsoluteFormEmptyPath", "GET https://a HTTP/1.1\r\nHost: a\r\n\r\n", 0,
     [](const RequestHead& r) { EXPECT_EQ(r.path, "/"); }},
    {"AbsoluteFormHttp10NoHost", "GET http://a/x HTTP/1.0\r\n\r\n", 0,
     [](const RequestHead& r) { EXPECT_EQ(r.authority, "a"); }},
    {"ConnectAuthorityForm", "CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n", 0,
     [](const RequestHead& r) {
       EXPECT_EQ(r.method, Method::Connect);
       EXPECT_EQ(r.authority, "a.example:443");
       EXPECT_EQ(r.framing, Framing::None);
     }},
    {"ConnectIpv6", "CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\n\r\n", 0,
     [](const RequestHead& r) { EXPECT_EQ(r.authority, "[::1]:443"); }},
    {"OptionsAsterisk", "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", 0,
     [](const RequestHead& r) {
       EXPECT_EQ(r.method, Method::Options);
       EXPECT_EQ(r.path, "*");
     }},
    {"ExtensionMethod", "PURGE /x" H11 "\r\n", 0,
     [](const RequestHead& r) {
       EXPECT_EQ(r.method, Method::Other);
       EXPECT_EQ(r.method_name, "PURGE");
     }},
    {"LowercaseMethodIsOther", "get /x" H11 "\r\n", 0,
     [](const RequestHead& r) { EXPECT_EQ(r.method, Method::Other); }},
    {"LeadingEmptyLinesIgnored", "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 0,
     [](const RequestHead& r) {
       EXPECT_EQ(r.method, Method::Get);
       EXPECT_EQ(r.head_len, 31u);
     }},
    {"EmptyHostAllowedWithoutAuthority", "GET / HTTP/1.1\r\nHost:\r\n\r\n", 0,
     [](const RequestHead& r) { EXPECT_EQ(r.host, ""); }},
    {"EmptyValueAndTabs", "GET /" H11 "X-E:\t\r\nX-T: a\tb\t\r\n\r\n", 0,
     [](const RequestHead& r) {
       EXPECT_EQ(r.headers[1].value, "");
       EXPECT_EQ(r.headers[2].value, "a\tb");
     }},
    {"ObsTextInValue", "GET /" H11 "X-U: caf\xc3\xa9\r\n\r\n", 0},
    {"LongValueCrossesSimdBlocks",
     "GET /" H11 "X-L: 0123456789abcdef0123456789abcdef0123456789abcdef!\r\n\r\n", 0},
    {"ExactlyMaxHeaders", "GET /" H11 "A: 1\r\nB: 2\r\n\r\n", 0, nullptr, false, 3},
    {"AcceptInvalidBareLf", "GET / HTTP/1.1\nHost: a\n\n", 0,
     [](const RequestHead& r) { EXPECT_EQ(r.head_len, 24u); }, true},
    {"AcceptInvalidObsTextInTarget", "GET /caf\xc3\xa9" H11 "\r\n", 0, nullptr, true},
    {"AcceptInvalidCtlInValue", "GET /" H11 "X: a\x01z\r\n\r\n", 0, nullptr, true},
    {"AcceptInvalidNameChar", "GET /" H11 "X(y): 1\r\n\r\n", 0, nullptr, true},
    // --- incomplete ------------------------------------------------------------------------
    {"Incomplete", "GET / HTTP/1.1\r\nHost: a\r\n", 1},
    {"OnlyEmptyLines", "\r\n\r\n\r\n", 1},
    // --- invalid: framing ------------------------------------------------------------------
    {"ClAndTe", "POST /p" H11 "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
    {"ConflictingCl", "POST /p" H11 "Content-Length: 5\r\nContent-Length: 6\r\n\r\n", 400},
    {"ConflictingClList", "POST /p" H11 "Content-Length: 5, 6\r\n\r\n", 400},
    {"ClEmptyListElement", "POST /p" H11 "Content-Length: 5,\r\n\r\n", 400},
    {"ClEmpty", "POST /p" H11 "Content-Length:\r\n\r\n", 400},
    {"ClNonDigit", "POST /p" H11 "Content-Length: 5a\r\n\r\n", 400},
    {"ClSigned", "POST /p" H11 "Content-Length: +5\r\n\r\n", 400},
    {"ClNegative", "POST /p" H11 "Content-Length: -1\r\n\r\n", 400},
    {"ClHex", "POST /p" H11 "Content-Length: 0x10\r\n\r\n", 400},
    {"ClOverflow", "POST /p" H11 "Content-Length: 18446744073709551616\r\n\r\n", 400},
    {"TeFinalNotChunked", "POST /p" H11 "Transfer-Encoding: chunked, gzip\r\n\r\n", 400},
    {"TeOnlyGzip", "POST /p" H11 "Transfer-Encoding: gzip\r\n\r\n", 400},
    {"TeChunkedTwice", "POST /p" H11 "Transfer-Encoding: chunked, chunked\r\n\r\n", 400},
    {"TeChunkedTwiceAcrossFields", "POST /p" H11 "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
    {"TeEmpty", "POST /p" H11 "Transfer-Encoding:\r\n\r\n", 400},
    {"TeInvalidToken", "POST /p" H11 "Transfer-Encoding: \"chunked\"\r\n\r\n", 400},
    {"TeChunkedWithParams", "POST /p" H11 "Transfer-Encoding: chunked;x=1\r\n\r\n", 400},
    {"TeInHttp10", "POST /p HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
    // --- invalid: line syntax --------------------------------------------------------------
    {"BareLfInRequestLine", "GET / HTTP/1.1\nHost: a\r\n\r\n", 400},
    {"BareLfInHeader", "GET /" H11 "X: 1\n\r\n", 400},
    {"BareLfEnd", "GET /" H11 "\n", 400},
    {"BareCrInValue", "GET /" H11 "X: a\rb\r\n\r\n", 400},
    {"StrayCrStartsFieldLine", "GET /" H11 "X: a\r\n\rfoo: b\r\n\r\n", 400},
    {"CrCrLfAfterValue", "GET /" H11 "X: a\r\r\n\r\n", 400},
    {"ObsFold", "GET /" H11 "X: a\r\n b\r\n\r\n", 400},
    {"ObsFoldTab", "GET /" H11 "X: a\r\n\tb\r\n\r\n", 400},
    {"SpaceBeforeFirstHeader", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400},
    {"SpaceBeforeColon", "GET /" H11 "Content-Length : 5\r\n\r\n", 400},
    {"TabBeforeColon", "GET /" H11 "X\t: 5\r\n\r\n", 400},
    {"SpaceBeforeColonEvenLenient", "GET /" H11 "X : 5\r\n\r\n", 400, nullptr, true},
    {"EmptyHeaderName", "GET /" H11 ": v\r\n\r\n", 400},
    {"NoColon", "GET /" H11 "NoColon\r\n\r\n", 400},
    {"InvalidNameChar", "GET /" H11 "X(y): 1\r\n\r\n", 400},
    {"NulInValue", "GET /" H11 "X: a\0b\r\n\r\n"sv, 400},
    {"DelInValue", "GET /" H11 "X: a\x7f\r\n\r\n", 400},
    {"CtlInValue", "GET /" H11 "X: a\x01z\r\n\r\n", 400},
    {"InvalidMethodChar", "GE(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
    {"EmptyMethod", " / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
    {"TwoSpacesAfterMethod", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
    {"SpaceInTarget", "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", 400},
    {"TrailingSpaceAfterVersion", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400},
    {"CtlInTarget", "GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n", 400},
    {"DelInTarget", "GET /a\x7f HTTP/1.1\r\nHost: a\r\n\r\n", 400},
    {"ObsTextInTargetStrict", "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", 400},
    {"FragmentInTarget", "GET /a#frag HTTP/1.1\r\nHost: a\r\n\r\n", 400},
    {"Http09", "GET /\r\n\r\n", 400},
    {"LowercaseVersion", "GET / http/1.1\r\nHost: a\r\n\r\n", 400},
    {"VersionTwoDigits", "GET / HTTP/1.10\r\nHost: a\r\n\r\n", 400},
    {"VersionGarbage", "GET / HTTP/1.x\r\nHost: a\r\n\r\n", 400},
    {"Major2", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505},
    {"Major0", "GET / HTTP/0.9\r\nHost: a\r\n\r\n", 505},
    // --- invalid: target forms and Host ----------------------------------------------------
    {"MissingHost", "GET / HTTP/1.1\r\n\r\n", 400},
    {"MultipleHost", "GET /" H11 "Host: a.example\r\n\r\n", 400},
    {"InvalidHostChar", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400},
    {"AbsoluteHostMismatch", "GET http://b.example/ HTTP/1.1\r\nHost: a.example\r\n\r\n", 400},
    {"AbsoluteBadScheme", "GET ftp://a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400},
    {"AbsoluteUserinfo", "GET http://u@a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400},
    {"AbsoluteEmptyAuthority", "GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n", 400},
    {"RelativeTarget", "GET index.html HTTP/1.1\r\nHost: a\r\n\r\n", 400},
    {"AuthorityFormWithoutConnect", "GET a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n", 400},
    {"ConnectOriginForm", "CONNECT /x HTTP/1.1\r\nHost: a\r\n\r\n", 400},
    {"ConnectNoPort", "CONNECT a.example HTTP/1.1\r\nHost: a.example\r\n\r\n", 400},
    {"ConnectHostMismatch", "CONNECT a.example:443 HTTP/1.1\r\nHost: b.example:443\r\n\r\n", 400},
    {"AsteriskWithoutOptions", "GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400},
    // --- limits ----------------------------------------------------------------------------
    {"TooManyHeaders", "GET /" H11 "A: 1\r\nB: 2\r\nC: 3\r\n\r\n", 431, nullptr, false, 3},
};

#undef H11

class HttpRequestTest : public ::testing::TestWithParam<RequestCase> {};

ParseResult parse_with(std::string_view in, HeadScan& scan, RequestHead& out, const RequestCase& c) {
  ParseOptions opt;
  opt.accept_invalid = c.accept_invalid;
  opt.max_headers = c.max_headers;
  return parse_request(in, scan, out, opt);
}

TEST_P(HttpRequestTest, ParsesWholeAndAtEverySplit) {
  const RequestCase& c = GetParam();
  HeadScan scan;
  RequestHead head;
  const ParseResult r = parse_with(c.input, scan, head, c);
  if (c.want == 0) {
    ASSERT_EQ(r.status, ParseStatus::Done) << r.reason;
    EXPECT_LE(head.head_len, c.input.size());
    if (c.check) c.check(head);
  } else if (c.want == 1) {
    ASSERT_EQ(r.status, ParseStatus::NeedMore);
  } else {
    ASSERT_EQ(r.status, ParseStatus::Error);
    EXPECT_EQ(r.error_status, c.want) << r.reason;
    EXPECT_STRNE(r.reason, "");
  }
  testing::expect_split_invariant(c.input, r, head.head_len,
                                  [&](std::string_view in, HeadScan& s, size_t& head_len) {
                                    RequestHead h;
                                    const ParseResult pr = parse_with(in, s, h, c);
                                    head_len = h.head_len;
                                    return pr;
                                  });
}

INSTANTIATE_TEST_SUITE_P(Http, HttpRequestTest, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<RequestCase>& i) { return std::string(i.param.name); });

TEST(HttpRequestOversized, RequestLineIncompleteIs414) {
  EXPECT_EQ(oversized_request_status("GET /aaaaaaaaaaaaaaaa"), 414);
  EXPECT_EQ(oversized_request_status("\r\nGET /aaaaaaaaaaaaaaaa"), 414);
  EXPECT_EQ(oversized_request_status("GET / HTTP/1.1\r\nX: aaaaaaaaa"), 431);
}

TEST(HttpRequestPipelining, SecondRequestAfterReset) {
  const std::string_view buf = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n";
  HeadScan scan;
  RequestHead head;
  ASSERT_EQ(parse_request(buf, scan, head, {}).status, ParseStatus::Done);
  EXPECT_EQ(head.path, "/1");
  const std::string_view next = buf.substr(head.head_len);
  scan = {};
  ASSERT_EQ(parse_request(next, scan, head, {}).status, ParseStatus::Done);
  EXPECT_EQ(head.path, "/2");
  EXPECT_EQ(head.headers.size(), 1u);
}

TEST(HttpRequestTokens, MethodRoundTrip) {
  for (Method m : {Method::Get, Method::Head, Method::Post, Method::Put, Method::Delete, Method::Connect,
                   Method::Options, Method::Trace, Method::Patch})
    EXPECT_EQ(method_from(to_string(m)), m);
  EXPECT_EQ(method_from("Get"), Method::Other);
  EXPECT_EQ(method_from(""), Method::Other);
}

TEST(HttpRequestTokens, TokenListContains) {
  EXPECT_TRUE(token_list_contains("keep-alive, Upgrade", "upgrade"));
  EXPECT_TRUE(token_list_contains(" close ", "close"));
  EXPECT_TRUE(token_list_contains("gzip;q=1, br", "gzip"));
  EXPECT_FALSE(token_list_contains("closed", "close"));
  EXPECT_FALSE(token_list_contains("", "close"));
  EXPECT_TRUE(iequals("Content-Length", "content-length"));
  EXPECT_FALSE(iequals("Content-Length", "content-lengt"));
}

}  // namespace
}  // namespace sluice::http
