// libFuzzer target: ChunkedDecoder. Whole, split at a fuzzer-chosen point, and byte by byte
// must agree; nothing past the end of the body is ever consumed.
#include <cstddef>
#include <cstdint>

#include "http/chunked.h"
#include "http_fuzz_common.h"

using namespace sluice::http;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);

  ChunkedDecoder whole;
  const auto w = whole.feed(in);
  fuzz::check(w.consumed <= in.size(), "consumed <= size");
  fuzz::check(!(w.done && w.error), "done xor error");
  if (!w.done && !w.error) fuzz::check(w.consumed == in.size(), "incomplete body consumes everything");
  if (w.error) fuzz::check(w.reason != nullptr && *w.reason != '\0', "error has a reason");
  const auto again = whole.feed(in.substr(w.consumed));
  fuzz::check(again.consumed == 0 || (!w.done && !w.error), "nothing consumed after the end");

  const size_t k = in.empty() ? 0 : data[0] % (in.size() + 1);
  ChunkedDecoder split;
  const auto a = split.feed(in.substr(0, k));
  size_t total = a.consumed;
  bool done = a.done, error = a.error;
  if (!done && !error) {
    fuzz::check(a.consumed == k, "split: first piece fully consumed");
    const auto b = split.feed(in.substr(k));
    total += b.consumed;
    done = b.done;
    error = b.error;
  }
  fuzz::check(total == w.consumed && done == w.done && error == w.error, "split differs from whole");
  fuzz::check(split.data_bytes() == whole.data_bytes(), "split data_bytes");

  if (in.size() <= 1024) {
    ChunkedDecoder bytewise;
    size_t t = 0;
    ChunkedDecoder::Step s{0, false, false, ""};
    for (size_t i = 0; i < in.size() && !s.done && !s.error; ++i) {
      s = bytewise.feed(in.substr(i, 1));
      t += s.consumed;
    }
    fuzz::check(t == w.consumed && s.done == w.done && s.error == w.error, "bytewise differs from whole");
  }
  return 0;
}
