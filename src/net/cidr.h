// IPv4/IPv6 networks ("10.0.0.0/8", "192.168.0.0/255.255.0.0", "2001:db8::/32", "::1") as
// used by ACL `src`/`-m ip` patterns, `monitor-net` and `option forwardfor except`.
// One strict parser and one matcher for all of them.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string_view>

#include "core/result.h"

namespace sluice::net {

struct Cidr {
  sockaddr_storage net{};   // AF_INET or AF_INET6 address with the host bits cleared
  uint8_t prefix = 0;       // 0..32 (v4) or 0..128 (v6)

  // True when `addr` lies in the network. An IPv4-mapped IPv6 address (::ffff:a.b.c.d)
  // matches an IPv4 network and an IPv4 address matches an ::ffff:0:0/96 network, as
  // HAProxy's ip match does, so a dual-stack listener sees v4 clients as v4.
  bool contains(const sockaddr_storage& addr) const;
};

// Strict: a dotted-quad IPv4 or an IPv6 literal, then optionally '/' and a prefix length
// (decimal, within the family's range) or, for IPv4, a contiguous dotted netmask. Anything
// else ("10.0.0.0/l6", "10.0.0.0/", "10.0.0.0/33", "10.1", " 10.0.0.1") is an error.
// Host bits are cleared ("10.1.2.3/8" is 10.0.0.0/8).
Result<Cidr> parse_cidr(std::string_view text);

// Strict address literal (no prefix): "10.0.0.1", "::1". Port is left 0.
Result<sockaddr_storage> parse_ip(std::string_view text);

}  // namespace sluice::net
