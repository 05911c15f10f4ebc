// libFuzzer target: HTTP/1 response heads. Byte 0 selects options and the request method.
#include <cstddef>
#include <cstdint>

#include "http/parser.h"
#include "http_fuzz_common.h"

using namespace sluice::http;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  ParseOptions opt;
  opt.accept_invalid = (data[0] & 1) != 0;
  opt.max_headers = (data[0] & 2) != 0 ? 4 : 101;
  const Method method = static_cast<Method>((data[0] >> 2) % 10);
  const size_t split = data[1];
  const std::string_view buf(reinterpret_cast<const char*>(data) + 2, size - 2);

  const ParseResult r = fuzz::check_incremental(buf, split, [&](std::string_view in, HeadScan& s, size_t& hl) {
    ResponseHead h;
    const ParseResult pr = parse_response(in, s, method, h, opt);
    hl = h.head_len;
    return pr;
  });
  if (r.status == ParseStatus::Error) fuzz::check(r.error_status == 502, "responses fail with 502");
  if (r.status != ParseStatus::Done) return 0;
  HeadScan scan;
  ResponseHead head;
  parse_response(buf, scan, method, head, opt);
  fuzz::check(head.status >= 100 && head.status <= 599, "status range");
  fuzz::check(fuzz::inside(head.reason, buf), "reason in buffer");
  for (const Header& h : head.headers)
    fuzz::check(fuzz::inside(h.name, buf) && fuzz::inside(h.value, buf), "header in buffer");
  if (head.framing == Framing::UntilClose) fuzz::check(!head.keep_alive, "until-close is not keep-alive");
  if (method == Method::Head) fuzz::check(head.framing == Framing::None || head.framing == Framing::Tunnel, "HEAD");
  return 0;
}
