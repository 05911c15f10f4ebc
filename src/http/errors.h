// Canned error responses sent by the proxy itself, and `errorfile` loading.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace sluice::http {

// A complete HTTP/1.1 response (Content-Type: text/html, Cache-Control: no-cache,
// Connection: close, exact Content-Length, short HTML body) for every code in kErrorPageCodes
// and for 414, 431 and 505 (sent by the parser only). Empty for any other code.
// The text is built once and lives for the whole process; safe to call from any thread.
std::string_view canned_response(uint16_t status);

// The codes HAProxy 2.6 has a default error page for: the only ones `errorfile` may replace and
// `http-request deny deny_status` may send (HAProxy refuses the others at parse time, and a code
// without a page would leave nothing to answer with).
inline constexpr uint16_t kErrorPageCodes[] = {200, 400, 401, 403, 404, 405, 407, 408, 410, 413,
                                               421, 422, 425, 429, 500, 501, 502, 503, 504};
bool has_error_page(uint16_t status);

// Largest errorfile accepted: it must fit one buffer (tune.bufsize default), as in HAProxy.
inline constexpr size_t kMaxErrorfileSize = 16384;

// Reads a file holding a full HTTP/1 response (HAProxy `errorfile`), checks that it parses as
// a final (non-1xx) response, that a Content-Length matches the body, and returns its bytes.
// An empty file is accepted and returned empty: HAProxy then closes the connection without
// answering (the manual's `errorfile 408 /dev/null`). Config-time only.
Result<std::string> load_errorfile(const std::string& path);

// The response HAProxy's `http-error status N [content-type T] [string S] [hdr N V]*` builds:
// HTTP/1.1 status line, the `hdr` fields in order, content-length, then content-type when
// there is a body. Fails on a header name that is not a token or a value with CR/LF/NUL.
Result<std::string> build_reply(uint16_t status, std::string_view content_type, std::string_view body,
                                const std::vector<std::pair<std::string, std::string>>& headers);

// `errorloc CODE URL` (302) / `errorloc303` (303): an empty redirect to URL, not cacheable.
std::string redirect_reply(uint16_t status, std::string_view location);

}  // namespace sluice::http
