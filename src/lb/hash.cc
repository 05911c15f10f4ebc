// hash_bytes / hash_address: stable hashes for PickContext::hash_key.
//
// FNV-1a 64 over the bytes, then the murmur3 64-bit finalizer so that keys differing
// in one byte (10.0.0.1 vs 10.0.0.2) land far apart for `key % total_weight`. Fixed
// constants only: the same input hashes the same in every process and every version
// that keeps this file, which is what lets a reload keep clients on their server.
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

#include "lb/algorithm.h"
#include "lb/hash_balancer.h"

namespace sluice::lb {

uint64_t hash_bytes(std::string_view data) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a 64 offset basis
  for (const char ch : data) {
    h ^= static_cast<unsigned char>(ch);
    h *= 0x100000001b3ULL;  // FNV-1a 64 prime
  }
  return mix64(h);
}

uint64_t hash_address(const sockaddr* sa) {
  if (sa == nullptr) return 0;
  if (sa->sa_family == AF_INET) {
    sockaddr_in in{};
    std::memcpy(&in, sa, sizeof in);
    return hash_bytes({reinterpret_cast<const char*>(&in.sin_addr), sizeof in.sin_addr});
  }
  if (sa->sa_family == AF_INET6) {
    sockaddr_in6 in6{};
    std::memcpy(&in6, sa, sizeof in6);
    const auto* b = reinterpret_cast<const char*>(&in6.sin6_addr);
    // ::ffff:a.b.c.d (a v4 client on a dual-stack listener) hashes like a.b.c.d.
    static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(b, kMapped, sizeof kMapped) == 0) return hash_bytes({b + 12, 4});
    return hash_bytes({b, 16});
  }
  return 0;
}

}  // namespace sluice::lb
