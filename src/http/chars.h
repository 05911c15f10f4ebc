// Character classes and case-insensitive helpers shared by the HTTP/1 parsers.
// Tables are 256-entry constexpr arrays so a class test is one load, with no branch
// on the byte's range (bytes >= 0x80 index the upper half).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace sluice::http {

namespace chars {

enum : uint8_t {
  kToken = 1 << 0,     // RFC 9110 §5.6.2 tchar
  kTarget = 1 << 1,    // visible ASCII allowed in a request-target (0x21-0x7E)
  kHost = 1 << 2,      // reg-name / IP-literal / port characters of a Host value
  kHex = 1 << 3,
  kDigit = 1 << 4,
  kValue = 1 << 5,     // field-vchar / obs-text / SP / HTAB (RFC 9110 §5.5)
  kQdText = 1 << 6,    // quoted-string qdtext (RFC 9110 §5.6.4)
};

constexpr std::array<uint8_t, 256> make_table() {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    uint8_t f = 0;
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    const bool digit = c >= '0' && c <= '9';
    if (alpha || digit || std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) !=
                              std::string_view::npos)
      f |= kToken;
    if (c >= 0x21 && c <= 0x7e) f |= kTarget;
    if (alpha || digit ||
        std::string_view("-._~!$&'()*+,;=:[]%").find(static_cast<char>(c)) != std::string_view::npos)
      f |= kHost;
    if (digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) f |= kHex;
    if (digit) f |= kDigit;
    if ((c >= 0x20 && c != 0x7f) || c == '\t') f |= kValue;
    if (c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5b) || (c >= 0x5d && c <= 0x7e) ||
        c >= 0x80)
      f |= kQdText;
    t[static_cast<size_t>(c)] = f;
  }
  return t;
}

inline constexpr std::array<uint8_t, 256> kTable = make_table();

constexpr bool is(char c, uint8_t cls) { return (kTable[static_cast<uint8_t>(c)] & cls) != 0; }
constexpr bool is_token(char c) { return is(c, kToken); }
constexpr bool is_ows(char c) { return c == ' ' || c == '\t'; }
constexpr char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c | 0x20) : c; }
constexpr int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace chars

// ASCII case-insensitive equality (field names, tokens, schemes). Not locale-aware by design.
constexpr bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (chars::lower(a[i]) != chars::lower(b[i])) return false;
  return true;
}

// Strips leading and trailing SP/HTAB (RFC 9110 OWS).
constexpr std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && chars::is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && chars::is_ows(s.back())) s.remove_suffix(1);
  return s;
}

// True when the comma-separated list `header_value` (RFC 9110 §5.6.1) holds `token`,
// compared case-insensitively. Elements are OWS-trimmed; parameters after ';' are ignored,
// so "keep-alive, Upgrade" contains "upgrade" and "gzip;q=1" contains "gzip".
bool token_list_contains(std::string_view header_value, std::string_view token);

}  // namespace sluice::http
