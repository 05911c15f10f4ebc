// Header and cookie values as HAProxy's fetches read them, shared by the request and the
// response fetch files.
#pragma once

#include <string_view>
#include <vector>

#include "http/message.h"
#include "rules/registry.h"

namespace sluice::rules::fetchutil {

// Values of header `name` (every header when name is empty) in message order. split: on
// commas outside double quotes, spaces trimmed (hdr); otherwise whole lines (fhdr).
void header_values(const std::vector<http::Header>& hs, std::string_view name, bool split,
                   std::vector<std::string_view>& out);
// Values of cookie `name` in Cookie headers (request) or of Set-Cookie headers (response).
void cookie_values(const std::vector<http::Header>& hs, std::string_view name, bool response,
                   std::vector<std::string_view>& out);
// Emits the values selected by occurrence `occ` (0: all when `every`, else the last; N > 0 the
// Nth; N < 0 the Nth from the end), each cast as `as` (Str, Sint for *_val, Addr for *_ip).
void emit_selected(std::vector<std::string_view>& vals, int64_t occ, bool every, Type as, Ctx& c, const Emit& e);
// A thread's scratch vector, lent for one fetch call.
std::vector<std::string_view>& scratch();

}  // namespace sluice::rules::fetchutil
