// HTTP/1.x message-head parsers (RFC 9112). No I/O, no copies, no allocation except the
// caller-owned header vector (reuse a RequestHead/ResponseHead to keep its capacity).
//
// Usage on one connection's receive buffer, which only grows while one head arrives:
//   HeadScan scan;  RequestHead req;
//   on every read:  auto r = parse_request(buf, scan, req, opts);
//     NeedMore -> read more; if the buffer is full, answer oversized_request_status(buf)
//     Error    -> answer r.error_status, log r.reason, close
//     Done     -> req is filled; the body (req.framing) starts at buf[req.head_len]
//   next message:   scan = {} and parse from the new buffer start.
// The strictness policy (what is rejected and why) is in docs/http.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/message.h"

namespace sluice::http {

struct ParseOptions {
  size_t max_headers = 101;     // tune.http.maxhdr
  bool accept_invalid = false;  // option accept-invalid-http-request / -response: relaxes
                                // character checks only, never framing rules
};

enum class ParseStatus : uint8_t { NeedMore, Done, Error };

struct ParseResult {
  ParseStatus status = ParseStatus::NeedMore;
  uint16_t error_status = 0;  // requests: 400, 414, 431, 501, 505; responses: 502
  const char* reason = "";    // static text for logs
};

// Progress of the search for the end of the head, carried between calls so the total work
// over one head is linear in its size. Reset (= {}) for each new message.
struct HeadScan {
  size_t searched = 0;  // bytes already searched for line ends
  size_t start = 0;     // request line start, after ignored leading empty lines (RFC 9112 §2.2)
};

// Parses a request head once it is complete. On Done, `out` is fully rewritten and holds views
// into `buf`. On Error, `out` is unspecified. Never reads past buf.size().
ParseResult parse_request(std::string_view buf, HeadScan& scan, RequestHead& out,
                          const ParseOptions& opt);

// Same for a response to a request made with `request_method`, which decides framing:
// HEAD -> None; 2xx to CONNECT -> Tunnel (its CL/TE ignored); 1xx/204/304 -> None; 101 -> Tunnel;
// no CL/TE -> UntilClose. Every error has error_status 502.
ParseResult parse_response(std::string_view buf, HeadScan& scan, Method request_method,
                           ResponseHead& out, const ParseOptions& opt);

// For a full buffer whose head is still incomplete: 414 if the request line is not complete,
// else 431.
uint16_t oversized_request_status(std::string_view buf);

}  // namespace sluice::http
