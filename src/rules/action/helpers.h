// Small helpers shared by the action files.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <string_view>
#include <vector>

#include "rules/context.h"
#include "rules/registry.h"

namespace sluice::rules {

inline char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }
inline bool ieq(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}
inline bool icontains(std::string_view s, std::string_view p) {
  if (p.size() > s.size()) return false;
  for (size_t i = 0; i + p.size() <= s.size(); ++i)
    if (ieq(s.substr(i, p.size()), p)) return true;
  return false;
}

// The headers of the message the rule set works on: the response in http-response and
// http-after-response rules, the request otherwise. Null when there is none.
inline std::vector<http::Header>* message_headers(Ctx& c) {
  if ((c.phase & (kHttpRes | kAfterRes)) != 0) return c.rsp != nullptr ? &c.rsp->headers : nullptr;
  return c.req != nullptr ? &c.req->headers : nullptr;
}

template <class Pred>
void remove_headers(std::vector<http::Header>& hs, Pred&& pred) {
  hs.erase(std::remove_if(hs.begin(), hs.end(), [&](const http::Header& h) { return pred(h.name); }), hs.end());
}

// Content-Length and Transfer-Encoding frame the message: sluice derives them from what it
// parsed and never lets a rule change them (a rule-made framing header is how a rewrite
// turns into request smuggling).
inline bool framing_header(std::string_view n) { return ieq(n, "content-length") || ieq(n, "transfer-encoding"); }
inline Result<void> check_header_name(std::string_view n) {
  if (n.empty()) return fail("empty header name");
  for (char ch : n) {
    bool tchar = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                 std::string_view("!#$%&'*+-.^_`|~").find(ch) != std::string_view::npos;
    if (!tchar) return fail(fmt::format("invalid header name '{}'", n));
  }
  if (framing_header(n))
    return fail(fmt::format("rewriting '{}' is not supported by sluice: it frames the message, and sluice derives it "
                            "from what it parsed", n));
  return {};
}
inline Result<uint16_t> parse_status(std::string_view s) {
  unsigned v = 0;
  if (s.empty() || s.size() > 3) return fail(fmt::format("invalid status code '{}'", s));
  for (char ch : s) {
    if (ch < '0' || ch > '9') return fail(fmt::format("invalid status code '{}'", s));
    v = v * 10 + static_cast<unsigned>(ch - '0');
  }
  if (v < 100 || v > 599) return fail(fmt::format("invalid status code '{}'", s));
  return static_cast<uint16_t>(v);
}

}  // namespace sluice::rules
