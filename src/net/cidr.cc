#include "net/cidr.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <fmt/format.h>

#include <charconv>
#include <cstring>
#include <string>

namespace sluice::net {

namespace {

// Decimal prefix length: digits only, at most `max`.
bool parse_prefix(std::string_view s, unsigned max, unsigned& out) {
  if (s.empty() || s.size() > 3) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && out <= max;
}

// Dotted IPv4 netmask: must be a run of ones then zeros.
bool parse_mask(std::string_view s, unsigned& out) {
  in_addr m{};
  if (inet_pton(AF_INET, std::string(s).c_str(), &m) != 1) return false;
  uint32_t v = ntohl(m.s_addr);
  out = static_cast<unsigned>(__builtin_popcount(v));
  return out == 32 || (v << out) == 0;
}

bool bits_equal(const uint8_t* a, const uint8_t* b, unsigned bits) {
  for (unsigned i = 0; bits > 0; ++i) {
    unsigned n = bits >= 8 ? 8 : bits;
    auto m = static_cast<uint8_t>(0xff << (8 - n));
    if ((a[i] & m) != (b[i] & m)) return false;
    bits -= n;
  }
  return true;
}

void clear_host_bits(uint8_t* a, unsigned len, unsigned bits) {
  for (unsigned i = 0; i < len; ++i) {
    unsigned keep = bits > i * 8 ? std::min(8u, bits - i * 8) : 0;
    a[i] &= static_cast<uint8_t>(keep == 0 ? 0 : 0xff << (8 - keep));
  }
}

constexpr uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

const uint8_t* v4_bytes(const sockaddr_storage& s) {
  return reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in&>(s).sin_addr);
}
const uint8_t* v6_bytes(const sockaddr_storage& s) {
  return reinterpret_cast<const sockaddr_in6&>(s).sin6_addr.s6_addr;
}

}  // namespace

Result<sockaddr_storage> parse_ip(std::string_view text) {
  sockaddr_storage ss{};
  std::string s(text);
  auto& s4 = reinterpret_cast<sockaddr_in&>(ss);
  auto& s6 = reinterpret_cast<sockaddr_in6&>(ss);
  // inet_pton(AF_INET) accepts only the full dotted quad, unlike inet_aton ("10.1").
  if (inet_pton(AF_INET, s.c_str(), &s4.sin_addr) == 1) {
    s4.sin_family = AF_INET;
    return ss;
  }
  if (inet_pton(AF_INET6, s.c_str(), &s6.sin6_addr) == 1) {
    s6.sin6_family = AF_INET6;
    return ss;
  }
  return fail(fmt::format("'{}' is not a valid IPv4 or IPv6 address", text));
}

Result<Cidr> parse_cidr(std::string_view text) {
  size_t slash = text.find('/');
  auto ip = parse_ip(text.substr(0, slash));
  if (!ip) return fail(fmt::format("'{}' is not a valid IPv4 or IPv6 network", text));
  Cidr c;
  c.net = *ip;
  bool v4 = ip->ss_family == AF_INET;
  unsigned max = v4 ? 32 : 128, prefix = max;
  if (slash != std::string_view::npos) {
    std::string_view len = text.substr(slash + 1);
    bool ok = len.find('.') != std::string_view::npos ? v4 && parse_mask(len, prefix) : parse_prefix(len, max, prefix);
    if (!ok) return fail(fmt::format("'{}' is not a valid IPv4 or IPv6 network (bad prefix length or netmask)", text));
  }
  c.prefix = static_cast<uint8_t>(prefix);
  if (v4) clear_host_bits(reinterpret_cast<uint8_t*>(&reinterpret_cast<sockaddr_in&>(c.net).sin_addr), 4, prefix);
  else clear_host_bits(reinterpret_cast<sockaddr_in6&>(c.net).sin6_addr.s6_addr, 16, prefix);
  return c;
}

bool Cidr::contains(const sockaddr_storage& a) const {
  if (a.ss_family == AF_INET && net.ss_family == AF_INET) return bits_equal(v4_bytes(a), v4_bytes(net), prefix);
  if (a.ss_family == AF_INET6 && net.ss_family == AF_INET6) return bits_equal(v6_bytes(a), v6_bytes(net), prefix);
  if (a.ss_family == AF_INET6 && net.ss_family == AF_INET) {
    const uint8_t* x = v6_bytes(a);
    return std::memcmp(x, kMappedPrefix, 12) == 0 && bits_equal(x + 12, v4_bytes(net), prefix);
  }
  if (a.ss_family == AF_INET && net.ss_family == AF_INET6) {
    uint8_t mapped[16];
    std::memcpy(mapped, kMappedPrefix, 12);
    std::memcpy(mapped + 12, v4_bytes(a), 4);
    return bits_equal(mapped, v6_bytes(net), prefix);
  }
  return false;
}

}  // namespace sluice::net
