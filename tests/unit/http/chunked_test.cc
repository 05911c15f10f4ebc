#include <gtest/gtest.h>

#include <string>

#include "http/chunked.h"

namespace sluice::http {
namespace {

using namespace std::literals;

struct ChunkedCase {
  const char* name;
  std::string_view input;
  bool ok;              // true: done; false: error
  size_t consumed;      // for ok: bytes of the body (input may hold more after it)
  uint64_t data = 0;    // payload bytes, for ok
};

void PrintTo(const ChunkedCase& c, std::ostream* os) { *os << c.name; }

const ChunkedCase kCases[] = {
    {"Simple", "5\r\nhello\r\n0\r\n\r\n", true, 15, 5},
    {"TwoChunks", "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", true, 20, 5},
    {"EmptyBody", "0\r\n\r\n", true, 5, 0},
    {"HexUpperLower", "A\r\n0123456789\r\na\r\n0123456789\r\n0\r\n\r\n", true, 35, 20},
    {"LeadingZeros", "0005\r\nhello\r\n000\r\n\r\n", true, 20, 5},
    {"StopsAtPipelinedRequest", "1\r\nx\r\n0\r\n\r\nGET / HTTP/1.1\r\n", true, 11, 1},
    {"Trailers", "1\r\nx\r\n0\r\nX-Sum: abc\r\nX-Other:\r\n\r\nNEXT", true, 33, 1},
    {"ExtensionToken", "1;name=val\r\nx\r\n0\r\n\r\n", true, 20, 1},
    {"ExtensionNoValue", "1;name\r\nx\r\n0;last\r\n\r\n", true, 21, 1},
    {"ExtensionQuoted", "1;n=\"a b;\\\"c\"\r\nx\r\n0\r\n\r\n", true, 23, 1},
    {"ExtensionBws", "1 ; n = v ;m\r\nx\r\n0\r\n\r\n", true, 22, 1},
    {"ExtensionsSeveral", "1;a=1;b=2\r\nx\r\n0\r\n\r\n", true, 19, 1},
    {"MaxSize", "4000000000000000\r\n", false, 0},  // not an error yet: data missing (checked below)
    // --- invalid ---------------------------------------------------------------------------
    {"EmptySize", "\r\nx\r\n", false, 0},
    {"Garbage", "g\r\n", false, 0},
    {"SizeThenGarbage", "5x\r\nhello\r\n", false, 1},
    {"PlusSign", "+5\r\nhello\r\n", false, 0},
    {"MinusSign", "-5\r\nhello\r\n", false, 0},
    {"HexPrefix", "0x5\r\nhello\r\n", false, 1},
    {"Overflow", "4000000000000001\r\n", false, 15},
    {"HugeOverflow", "ffffffffffffffffff\r\n", false, 15},
    {"SpaceAfterSizeWithoutExt", "5 \r\nhello\r\n", false, 2},
    {"BareLfAfterSize", "5\nhello\r\n", false, 1},
    {"CrWithoutLfAfterSize", "5\rhello\r\n", false, 2},
    {"DataNotFollowedByCrlf", "5\r\nhelloX\r\n0\r\n\r\n", false, 8},
    {"DataFollowedByBareLf", "5\r\nhello\n0\r\n\r\n", false, 8},
    {"DataTooLong", "3\r\nhello\r\n", false, 6},
    {"ExtensionEmptyName", "1;=v\r\nx\r\n", false, 2},
    {"ExtensionBadChar", "1;a@b\r\nx\r\n", false, 3},
    {"ExtensionEmptyValue", "1;a=\r\nx\r\n", false, 4},
    {"ExtensionUnterminatedQuote", "1;a=\"x\r\nx\r\n", false, 6},
    {"ExtensionCtlInQuote", "1;a=\"\x01\"\r\n", false, 5},
    {"TrailerObsFold", "0\r\nX: a\r\n b\r\n\r\n", false, 9},
    {"TrailerNoColon", "0\r\nXa\r\n\r\n", false, 5},
    {"TrailerEmptyName", "0\r\n: a\r\n\r\n", false, 3},
    {"TrailerCtl", "0\r\nX: \x01\r\n\r\n", false, 6},
    {"LastChunkBareLf", "0\r\n\n", false, 3},
    {"FinalCrWithoutLf", "0\r\n\rX", false, 4},
};

// Feeds `in` split at `k` the way the proxy does: the unconsumed rest of the first piece is
// presented again together with the second piece.
ChunkedDecoder::Step feed_split(ChunkedDecoder& d, std::string_view in, size_t k) {
  const auto a = d.feed(in.substr(0, k));
  if (a.done || a.error) return a;
  EXPECT_EQ(a.consumed, k);  // before the end, every byte given belongs to the body
  const auto b = d.feed(in.substr(k));
  return {a.consumed + b.consumed, b.done, b.error, b.reason};
}

class HttpChunkedTest : public ::testing::TestWithParam<ChunkedCase> {};

TEST_P(HttpChunkedTest, WholeAndAtEverySplit) {
  const ChunkedCase& c = GetParam();
  ChunkedDecoder whole;
  const auto w = whole.feed(c.input);
  if (std::string_view(c.name) == "MaxSize") {
    EXPECT_FALSE(w.error);
    EXPECT_FALSE(w.done);
    return;
  }
  EXPECT_EQ(w.done, c.ok) << w.reason;
  EXPECT_EQ(w.error, !c.ok);
  EXPECT_EQ(w.consumed, c.consumed) << w.reason;
  if (c.ok) {
    EXPECT_EQ(whole.data_bytes(), c.data);
  }
  // Repeated feeds after the end consume nothing.
  const auto again = whole.feed(c.input.substr(w.consumed));
  EXPECT_EQ(again.consumed, 0u);
  EXPECT_EQ(again.done, w.done);
  EXPECT_EQ(again.error, w.error);

  for (size_t k = 0; k <= c.input.size(); ++k) {
    ChunkedDecoder d;
    const auto s = feed_split(d, c.input, k);
    ASSERT_EQ(s.done, w.done) << "split " << k;
    ASSERT_EQ(s.error, w.error) << "split " << k;
    ASSERT_EQ(s.consumed, w.consumed) << "split " << k;
  }
  ChunkedDecoder bytewise;
  size_t total = 0;
  ChunkedDecoder::Step last{0, false, false, ""};
  for (size_t i = 0; i < c.input.size() && !last.done && !last.error; ++i) {
    last = bytewise.feed(c.input.substr(i, 1));
    total += last.consumed;
  }
  EXPECT_EQ(total, w.consumed);
  EXPECT_EQ(last.done, w.done);
  EXPECT_EQ(bytewise.data_bytes(), whole.data_bytes());
}

INSTANTIATE_TEST_SUITE_P(Http, HttpChunkedTest, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<ChunkedCase>& i) { return std::string(i.param.name); });

TEST(HttpChunked, ResetStartsANewBody) {
  ChunkedDecoder d;
  EXPECT_TRUE(d.feed("0\r\n\r\n").done);
  d.reset();
  const auto s = d.feed("2\r\nab\r\n0\r\n\r\n");
  EXPECT_TRUE(s.done);
  EXPECT_EQ(d.data_bytes(), 2u);
}

TEST(HttpChunked, LargeChunkStreamsWithoutBuffering) {
  ChunkedDecoder d;
  EXPECT_EQ(d.feed("100000\r\n").consumed, 8u);
  const std::string block(4096, 'x');
  for (int i = 0; i < 256; ++i) ASSERT_EQ(d.feed(block).consumed, block.size());
  EXPECT_TRUE(d.feed("\r\n0\r\n\r\n").done);
  EXPECT_EQ(d.data_bytes(), 0x100000u);
}

TEST(HttpChunked, OverlongSizeLineRejected) {
  ChunkedDecoder d;
  const std::string line = "1;" + std::string(ChunkedDecoder::kMaxChunkLine, 'a');
  EXPECT_TRUE(d.feed(line).error);
}

}  // namespace
}  // namespace sluice::http
