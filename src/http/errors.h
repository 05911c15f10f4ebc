// Canned error responses sent by the proxy itself, and `errorfile` loading.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

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
// a response, that a Content-Length matches the body, and returns its bytes. Config-time only.
Result<std::string> load_errorfile(const std::string& path);

}  // namespace sluice::http
