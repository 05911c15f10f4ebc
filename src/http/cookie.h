// Cookie helpers for persistence (hot path: no allocation except remove_cookie's result).
// Request side follows RFC 6265 §4.2 ("a=1; b=2") but tolerates any SP/HTAB around pairs,
// names and '=' as browsers and old clients send them. Names are case-sensitive.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::http {

struct CookiePair {
  std::string_view name;   // OWS-trimmed
  std::string_view value;  // OWS-trimmed; surrounding DQUOTEs kept as received
  std::string_view raw;    // the whole trimmed "name=value" element
};

// Iterates the pairs of a Cookie header value:
//   CookieIterator it(value); CookiePair p; while (it.next(p)) { ... }
// Empty elements (";;") are skipped. An element without '=' yields name=element, value="".
class CookieIterator {
 public:
  explicit CookieIterator(std::string_view header_value) : rest_(header_value) {}
  bool next(CookiePair& out);

 private:
  std::string_view rest_;
};

// Value of the first cookie called `name` in a Cookie header value, or nullopt.
std::optional<std::string_view> find_cookie(std::string_view header_value, std::string_view name);

// The Cookie header value with every cookie called `name` removed, remaining pairs joined by
// "; ". Empty when nothing is left (the caller then drops the header).
std::string remove_cookie(std::string_view header_value, std::string_view name);

// First name=value of a Set-Cookie header value (RFC 6265 §4.1), before any attribute.
// value_pos/value_len locate the value inside the header value, so a caller can rewrite or
// prefix it: hv.substr(0, value_pos) + new + hv.substr(value_pos + value_len).
struct SetCookieValue {
  std::string_view name;
  std::string_view value;
  size_t value_pos = 0;
  size_t value_len = 0;
};
// nullopt when there is no '=' before the first ';' or the name is empty.
std::optional<SetCookieValue> parse_set_cookie(std::string_view header_value);

}  // namespace sluice::http
