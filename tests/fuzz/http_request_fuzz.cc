// libFuzzer target: HTTP/1 request heads, then a chunked body if the head says so.
// Byte 0 selects options; the rest is the received buffer.
#include <cstddef>
#include <cstdint>

#include "http/chunked.h"
#include "http/parser.h"
#include "http_fuzz_common.h"

using namespace sluice::http;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  ParseOptions opt;
  opt.accept_invalid = (data[0] & 1) != 0;
  opt.max_headers = (data[0] & 2) != 0 ? 4 : 101;
  const size_t split = data[1];
  const std::string_view buf(reinterpret_cast<const char*>(data) + 2, size - 2);

  RequestHead head;
  const ParseResult r = fuzz::check_incremental(buf, split, [&](std::string_view in, HeadScan& s, size_t& hl) {
    RequestHead h;
    const ParseResult pr = parse_request(in, s, h, opt);
    hl = h.head_len;
    return pr;
  });
  if (r.status != ParseStatus::Done) {
    if (r.status == ParseStatus::NeedMore) {
      const uint16_t st = oversized_request_status(buf);
      fuzz::check(st == 414 || st == 431, "oversized status");
    }
    return 0;
  }
  HeadScan scan;
  parse_request(buf, scan, head, opt);
  fuzz::check(head.headers.size() <= opt.max_headers, "max_headers");
  fuzz::check(fuzz::inside(head.target, buf) && fuzz::inside(head.method_name, buf), "views in buffer");
  fuzz::check(fuzz::inside(head.authority, buf) && fuzz::inside(head.host, buf), "views in buffer");
  fuzz::check(head.path == "/" || fuzz::inside(head.path, buf), "path in buffer");
  for (const Header& h : head.headers) {
    fuzz::check(fuzz::inside(h.name, buf) && fuzz::inside(h.value, buf), "header in buffer");
    fuzz::check(!h.name.empty(), "non-empty name");
    fuzz::check(h.value.find('\n') == std::string_view::npos && h.value.find('\r') == std::string_view::npos,
                "no CR/LF in value");
  }
  fuzz::check(!(head.framing == Framing::Chunked && head.find("content-length") >= 0), "CL with chunked");
  if (head.version_minor == 1) fuzz::check(head.find("host") >= 0, "HTTP/1.1 has Host");
  if (head.framing == Framing::Chunked) {
    ChunkedDecoder d;
    const auto st = d.feed(buf.substr(head.head_len));
    fuzz::check(st.consumed <= buf.size() - head.head_len, "chunked consumed beyond input");
  }
  return 0;
}
