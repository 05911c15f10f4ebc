#include "auth/basic.h"

#include <cctype>
#include <cstdint>

namespace sluice::auth {

// RFC 4648 base64, strictly: its alphabet only, padded to a multiple of 4, '=' only as the
// last one or two characters, and the unused bits of the last group zero (the one canonical
// encoding of the value: no junk, spaces or line breaks get through).
std::optional<std::string> base64_decode(std::string_view in) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  if (in.size() % 4 != 0) return std::nullopt;
  size_t pad = 0;
  if (in.ends_with("==")) pad = 2;
  else if (in.ends_with("=")) pad = 1;
  std::string out;
  out.reserve(in.size() / 4 * 3);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in.substr(0, in.size() - pad)) {
    int v = val(c);   // a '=' before the end is not in the alphabet
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

std::optional<std::string> basic_credentials(std::string_view value) {
  constexpr std::string_view kScheme = "basic";   // a scheme name is case-insensitive
  if (value.size() <= kScheme.size() || value[kScheme.size()] != ' ') return std::nullopt;
  for (size_t i = 0; i < kScheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(value[i])) != kScheme[i]) return std::nullopt;
  value.remove_prefix(kScheme.size());
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);   // 1*SP
  auto creds = base64_decode(value);
  if (!creds || creds->find(':') == std::string::npos) return std::nullopt;
  for (unsigned char c : *creds)   // RFC 7617: no control characters in user-id or password
    if (c < 0x20 || c == 0x7f) return std::nullopt;
  return creds;
}

}  // namespace sluice::auth
