#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <unistd.h>

#include "http/errors.h"
#include "http/parser.h"
#include "http/status.h"

namespace sluice::http {
namespace {

class HttpCannedTest : public ::testing::TestWithParam<uint16_t> {};

TEST_P(HttpCannedTest, IsACompleteCloseResponse) {
  const uint16_t code = GetParam();
  const std::string_view resp = canned_response(code);
  ASSERT_FALSE(resp.empty());
  HeadScan scan;
  ResponseHead head;
  const ParseResult r = parse_response(resp, scan, Method::Get, head, {});
  ASSERT_EQ(r.status, ParseStatus::Done) << r.reason;
  EXPECT_EQ(head.status, code);
  EXPECT_EQ(head.reason, status_reason(code));
  EXPECT_EQ(head.framing, Framing::ContentLength);
  EXPECT_EQ(head.content_length, resp.size() - head.head_len);
  EXPECT_FALSE(head.keep_alive);
  ASSERT_GE(head.find("content-type"), 0);
  EXPECT_EQ(head.headers[static_cast<size_t>(head.find("content-type"))].value, "text/html");
  EXPECT_GE(head.find("cache-control"), 0);
  const std::string_view body = resp.substr(head.head_len);
  EXPECT_TRUE(body.starts_with("<html><body><h1>" + std::to_string(code) + " "));
}

INSTANTIATE_TEST_SUITE_P(Http, HttpCannedTest,
                         ::testing::Values(200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 414, 421,
                                           422, 425, 429, 431, 500, 501, 502, 503, 504, 505));

// deny_status and errorfile accept exactly these codes: each must have a page to send.
TEST(HttpCanned, EveryErrorPageCodeHasAResponse) {
  for (uint16_t code : kErrorPageCodes) {
    EXPECT_TRUE(has_error_page(code)) << code;
    EXPECT_FALSE(canned_response(code).empty()) << code;
  }
  EXPECT_FALSE(has_error_page(451));
  EXPECT_FALSE(has_error_page(414));   // sent by the parser, but HAProxy has no page for it
}

TEST(HttpCanned, UnknownCodeIsEmpty) {
  EXPECT_TRUE(canned_response(451).empty());
  EXPECT_TRUE(canned_response(418).empty());
  EXPECT_EQ(status_reason(503), "Service Unavailable");
  EXPECT_EQ(status_reason(999), "");
}

std::string write_temp(std::string_view content) {
  char path[] = "/tmp/sluice_errorfile_XXXXXX";
  const int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
  close(fd);
  return path;
}

TEST(HttpErrorfile, LoadsValidFile) {
  const std::string content = "HTTP/1.1 503 Busy\r\nContent-Length: 4\r\nContent-Type: text/plain\r\n\r\nbusy";
  const std::string path = write_temp(content);
  const auto r = load_errorfile(path);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(*r, content);
  std::remove(path.c_str());
}

TEST(HttpErrorfile, RejectsBadFiles) {
  for (std::string_view bad : {"not http at all\r\n\r\n", "HTTP/1.1 503 Busy\r\nContent-Length: 9\r\n\r\nbusy",
                               "HTTP/1.1 503 Busy\r\nContent-Length: 4\r\n", "HTTP/1.1 100 Continue\r\n\r\n",
                               "HTTP/1.1 503 X\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"}) {
    const std::string path = write_temp(bad);
    EXPECT_FALSE(load_errorfile(path).has_value()) << bad;
    std::remove(path.c_str());
  }
  EXPECT_FALSE(load_errorfile("/nonexistent/sluice.http").has_value());
  const std::string path = write_temp("HTTP/1.1 200 OK\r\n\r\n" + std::string(kMaxErrorfileSize, 'x'));
  EXPECT_FALSE(load_errorfile(path).has_value());
  std::remove(path.c_str());
}

// HAProxy accepts both (`errorfile 408 /dev/null` closes without answering; editors save
// bare LF line ends): the head's line ends are made CRLF, the body is kept as it is.
TEST(HttpErrorfile, EmptyFileAndBareLfHead) {
  std::string path = write_temp("");
  auto r = load_errorfile(path);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(*r, "");
  std::remove(path.c_str());
  path = write_temp("HTTP/1.0 503 Busy\nContent-Length: 3\r\n\na\nb");
  r = load_errorfile(path);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(*r, "HTTP/1.0 503 Busy\r\nContent-Length: 3\r\n\r\na\nb");
  std::remove(path.c_str());
}

// The bytes HAProxy 2.6 sends for `http-error status 503 content-type text/plain string hi
// hdr X-A b` and for `errorloc303 500 /err` (measured).
TEST(HttpReply, BuildsHaproxyShapedReplies) {
  auto r = build_reply(503, "text/plain", "hi", {{"x-a", "b"}});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, "HTTP/1.1 503 Service Unavailable\r\nx-a: b\r\ncontent-length: 2\r\ncontent-type: text/plain\r\n\r\nhi");
  r = build_reply(400, "", "", {});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, "HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n");
  EXPECT_FALSE(build_reply(400, "", "", {{"bad name", "v"}}).has_value());
  EXPECT_FALSE(build_reply(400, "", "", {{"x", "a\r\nb"}}).has_value());
  EXPECT_EQ(redirect_reply(303, "/err"),
            "HTTP/1.1 303 See Other\r\ncache-control: no-cache\r\ncontent-length: 0\r\nlocation: /err\r\n\r\n");
}

}  // namespace
}  // namespace sluice::http
