// What a relay may forward of a chunked body (ChunkedDecoder::held()), the trailer fields it
// drops (RFC 9110 §6.5.1), and which 101 upgrades it accepts (RFC 9110 §7.8).
#include <gtest/gtest.h>

#include <string>

#include "http/chunked.h"
#include "http/message.h"

namespace sluice::http {
namespace {

struct HeldCase {
  const char* name;
  std::string_view input;
  enum Outcome { Done, Error, More } outcome;
  size_t released;   // bytes a relay may have sent once all of `input` was fed
};

void PrintTo(const HeldCase& c, std::ostream* os) { *os << c.name; }

const HeldCase kHeld[] = {
    {"Simple", "5\r\nhello\r\n0\r\n\r\n", HeldCase::Done, 10},
    {"EmptyBody", "0\r\n\r\n", HeldCase::Done, 0},
    {"Trailers", "5\r\nhello\r\n0\r\nX: a\r\nY: b\r\n\r\n", HeldCase::Done, 10},
    {"LastChunkExtension", "1;a=b\r\nx\r\n000;last\r\n\r\n", HeldCase::Done, 10},
    {"PartialData", "5\r\nhel", HeldCase::More, 6},
    {"PartialSizeLine", "5;ext=1\r\nhello\r\n3", HeldCase::More, 16},
    {"PartialSizeLineCr", "5\r\nhello\r\n3\r", HeldCase::More, 10},
    {"DataThenCr", "5\r\nhello\r", HeldCase::More, 9},
    {"LastChunkNoFinalCrlf", "5\r\nhello\r\n0\r\n", HeldCase::More, 10},
    {"PartialTrailers", "5\r\nhello\r\n0\r\nX: a\r\n", HeldCase::More, 10},
    {"BadSize", "5\r\nhello\r\nZZ\r\n", HeldCase::Error, 10},
    {"BadFirstSize", "ZZ\r\nhello\r\n", HeldCase::Error, 0},
    {"BadCrlfAfterData", "5\r\nhelloXX", HeldCase::Error, 8},
    {"BadFinalCrlf", "5\r\nhello\r\n0\r\n\rX", HeldCase::Error, 10},
    {"BadTrailer", "5\r\nhello\r\n0\r\nX: a\x01\r\n\r\n", HeldCase::Error, 10},
};

// The proxy's bookkeeping: `fwd` bytes released, `held` validated but held back, at the front
// of a buffer that holds `avail` bytes of the input.
struct Relay {
  ChunkedDecoder d;
  size_t fwd = 0, held = 0;
  ChunkedDecoder::Step feed(std::string_view buf) {
    const auto s = d.feed(buf.substr(fwd + held));
    fwd += held + s.consumed - d.held();
    held = d.held();
    return s;
  }
};

class HttpChunkedHeldTest : public ::testing::TestWithParam<HeldCase> {};

TEST_P(HttpChunkedHeldTest, ReleasesOnlyCompleteChunksAtEverySplit) {
  const HeldCase& c = GetParam();
  for (size_t k = 0; k <= c.input.size(); ++k) {
    Relay r;
    auto s = r.feed(c.input.substr(0, k));
    ASSERT_LE(r.fwd, c.released) << "split " << k;
    if (!s.error && !s.done) s = r.feed(c.input);
    ASSERT_EQ(r.fwd, c.released) << "split " << k;
    ASSERT_EQ(s.done, c.outcome == HeldCase::Done) << "split " << k;
    ASSERT_EQ(s.error, c.outcome == HeldCase::Error) << "split " << k;
    if (s.done) {
      ASSERT_EQ(r.fwd + r.held, c.input.size()) << "split " << k;
    }
  }
  Relay bytewise;   // one byte more each time, the released count never goes past the end
  for (size_t i = 1; i <= c.input.size(); ++i) {
    const auto s = bytewise.feed(c.input.substr(0, i));
    ASSERT_LE(bytewise.fwd, c.released) << "prefix " << i;
    if (s.done || s.error) break;
  }
  EXPECT_EQ(bytewise.fwd, c.released);
}

INSTANTIATE_TEST_SUITE_P(Http, HttpChunkedHeldTest, ::testing::ValuesIn(kHeld),
                         [](const ::testing::TestParamInfo<HeldCase>& i) { return std::string(i.param.name); });

TEST(HttpTrailers, ForbiddenNames) {
  for (const char* n : {"Content-Length", "transfer-encoding", "HOST", "Trailer", "TE", "Connection",
                        "Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie", "Cache-Control",
                        "Expect", "Max-Forwards", "Pragma", "Range", "If-Match", "Content-Encoding",
                        "Content-Type", "Content-Range", "Age", "Expires", "Date", "Location", "Retry-After",
                        "Vary", "Warning", "WWW-Authenticate", "Proxy-Authenticate", "Upgrade"})
    EXPECT_TRUE(forbidden_trailer(n)) << n;
  for (const char* n : {"X-Checksum", "Server-Timing", "hosts", "x-host", "Content-MD5", "Digest", "ETag"})
    EXPECT_FALSE(forbidden_trailer(n)) << n;
}

struct FilterCase {
  std::string_view tail, want;
};

TEST(HttpTrailers, FilterKeepsOrderAndBytes) {
  const FilterCase cases[] = {
      {"0\r\n\r\n", "0\r\n\r\n"},
      {"0\r\nX-A: 1\r\n\r\n", "0\r\nX-A: 1\r\n\r\n"},
      {"0\r\nContent-Length: 5\r\nX-A: 1\r\n\r\n", "0\r\nX-A: 1\r\n\r\n"},
      {"0\r\nX-A: 1\r\nSET-COOKIE: a=b\r\nX-B:2\r\nHost:h\r\n\r\n", "0\r\nX-A: 1\r\nX-B:2\r\n\r\n"},
      {"000;n=v\r\nDate: x\r\n\r\n", "000;n=v\r\n\r\n"},
      {"0;host=\"h:1\"\r\n\r\n", "0;host=\"h:1\"\r\n\r\n"},   // the last-chunk line is no field
  };
  for (const auto& c : cases) {
    EXPECT_EQ(has_forbidden_trailer(c.tail), c.tail != c.want) << c.tail;
    std::string out = "prefix";
    append_allowed_trailers(c.tail, out);
    EXPECT_EQ(out, "prefix" + std::string(c.want));
  }
}

TEST(HttpUpgrade, OfferMustBeRequested) {
  struct Case {
    std::string_view requested, offered;
    bool ok;
  };
  const Case cases[] = {
      {"websocket", "websocket", true},
      {"websocket", "WebSocket", true},
      {"websocket, h2c", "h2c", true},
      {" a , b ", "b,a", true},
      {",websocket,", "websocket,", true},
      {"foo/2", "foo", true},
      {"foo", "foo/2", true},
      {"foo/2", "FOO/2", true},
      {"websocket", "h2c", false},
      {"websocket", "", false},
      {"websocket", " , ", false},
      {"", "websocket", false},
      {"foo/2", "foo/3", false},
      {"websocket", "websocket, h2c", false},
      {"websocket", "websockets", false},
  };
  for (const auto& c : cases)
    EXPECT_EQ(upgrade_offer_ok(c.requested, c.offered), c.ok) << c.requested << " / " << c.offered;
}

}  // namespace
}  // namespace sluice::http
