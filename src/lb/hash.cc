// hash_bytes / hash_address: stable hashes for PickContext::hash_key.
//
// FNV-1a 64 over the bytes, then the murmur3 64-bit finalizer so that keys differing
// in one byte (10.0.0.1 vs 10.0.0.2) land far apart for `key % total_weight`. Fixed
// constants only: the same input hashes the same in every process and every version
// that keeps this file, which is what lets a reload keep clients on their server.
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

#include "core/hash.h"
#include "lb/algorithm.h"
#include "lb/hash_balancer.h"

namespace sluice::lb {

uint64_t hash_bytes(std::string_view data, HashSpec spec) {
  if (spec.fn != HashFn::Own) {
    uint32_t h = spec.fn == HashFn::Sdbm   ? core::hash_sdbm(data)
                 : spec.fn == HashFn::Djb2 ? core::hash_djb2(data)
                 : spec.fn == HashFn::Wt6  ? core::hash_wt6(data)
                                           : core::hash_crc32(data);
    if (spec.avalanche) h = core::full_hash(h);
    // A 32-bit value spread over the 64-bit key space the balancers use (ring positions,
    // key % total weight): the high half carries it.
    return (static_cast<uint64_t>(h) << 32) | h;
  }
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a 64 offset basis
  for (const char ch : data) {
    h ^= static_cast<unsigned char>(ch);
    h *= 0x100000001b3ULL;  // FNV-1a 64 prime
  }
  return mix64(h);
}

uint64_t hash_address(const sockaddr* sa, HashSpec spec) {
  if (sa == nullptr) return 0;
  if (sa->sa_family == AF_INET) {
    sockaddr_in in{};
    std::memcpy(&in, sa, sizeof in);
    return hash_bytes({reinterpret_cast<const char*>(&in.sin_addr), sizeof in.sin_addr}, spec);
  }
  if (sa->sa_family == AF_INET6) {
    sockaddr_in6 in6{};
    std::memcpy(&in6, sa, sizeof in6);
    const auto* b = reinterpret_cast<const char*>(&in6.sin6_addr);
    // ::ffff:a.b.c.d (a v4 client on a dual-stack listener) hashes like a.b.c.d.
    static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(b, kMapped, sizeof kMapped) == 0) return hash_bytes({b + 12, 4}, spec);
    return hash_bytes({b, 16}, spec);
  }
  return 0;
}

}  // namespace sluice::lb
