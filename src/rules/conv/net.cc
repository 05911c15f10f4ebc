// Address converters (HAProxy 2.6 manual 7.3.1): ipmask(mask4[,mask6]).
#include <arpa/inet.h>
#include <fmt/format.h>

#include <cstring>

#include "rules/domains.h"

namespace sluice::rules {

namespace {

struct Masks {
  in_addr v4{};
  in6_addr v6{};
  bool has_v6 = false;
};

// A prefix length 0..bits, or an address whose bits are the mask (dotted or IPv6 form).
bool parse_mask(const std::string& t, int family, void* out) {
  size_t bits = family == AF_INET ? 32 : 128;
  if (!t.empty() && t.find_first_not_of("0123456789") == std::string::npos) {
    if (t.size() > 3) return false;
    size_t n = std::stoul(t);
    if (n > bits) return false;
    auto* b = static_cast<uint8_t*>(out);
    std::memset(b, 0, bits / 8);
    for (size_t i = 0; i < n; ++i) b[i / 8] |= static_cast<uint8_t>(0x80 >> (i % 8));
    return true;
  }
  return inet_pton(family, t.c_str(), out) == 1;
}

Result<void> check_ipmask(Args& a, CompileCtx&) {
  auto m = std::make_shared<Masks>();
  if (!parse_mask(a[0].str, AF_INET, &m->v4))
    return fail(fmt::format("'{}' is not an IPv4 mask (a prefix length 0-32 or a dotted mask)", a[0].str));
  if (a.has(1)) {
    if (!parse_mask(a[1].str, AF_INET6, &m->v6))
      return fail(fmt::format("'{}' is not an IPv6 mask (a prefix length 0-128 or an IPv6 mask)", a[1].str));
    m->has_v6 = true;
  }
  a.state = std::move(m);
  return {};
}

// An IPv4-mapped IPv6 address is masked as the IPv4 address it holds (as HAProxy does);
// another IPv6 address has no value without mask6.
bool c_ipmask(const Args& a, Ctx&, Sample& s) {
  const auto& m = a.st<Masks>();
  if (s.type == Type::Ipv6) {
    static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(s.v6.s6_addr, kMapped, 12) == 0) {
      in_addr v4;
      std::memcpy(&v4.s_addr, s.v6.s6_addr + 12, 4);
      s = Sample::of_v4(v4);
    } else {
      if (!m.has_v6) return false;
      for (int i = 0; i < 16; ++i) s.v6.s6_addr[i] &= m.v6.s6_addr[i];
      return true;
    }
  }
  if (s.type != Type::Ipv4) return false;
  s.v4.s_addr &= m.v4.s_addr;
  return true;
}

constexpr ConvDef kRows[] = {
    {"ipmask", "Aa", Type::Addr, Type::Addr, c_ipmask,
     "the address masked by MASK4 (IPv4) or [mask6] (IPv6; without it an IPv6 address has no value)", check_ipmask},
};

}  // namespace

std::span<const ConvDef> conv_net() { return kRows; }

}  // namespace sluice::rules
