#include "core/hash.h"

#include <xxhash.h>

#include <array>

namespace sluice::core {

namespace {

// Reflected CRC tables for a polynomial.
constexpr std::array<uint32_t, 256> crc_table(uint32_t poly) {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ poly : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr auto kCrc32 = crc_table(0xedb88320u);
constexpr auto kCrc32c = crc_table(0x82f63b78u);

uint32_t crc(const std::array<uint32_t, 256>& t, std::string_view key) {
  uint32_t c = 0xffffffffu;
  for (char ch : key) c = t[(c ^ static_cast<unsigned char>(ch)) & 0xff] ^ (c >> 8);
  return ~c;
}

constexpr uint32_t rotl(uint32_t v, unsigned n) { return n == 0 ? v : (v << n) | (v >> (32 - n)); }

}  // namespace

uint32_t hash_crc32(std::string_view key) { return crc(kCrc32, key); }
uint32_t hash_crc32c(std::string_view key) { return crc(kCrc32c, key); }

uint32_t hash_djb2(std::string_view key) {
  uint32_t h = 5381;
  for (char ch : key) h = h * 33 + static_cast<unsigned char>(ch);
  return h;
}

uint32_t hash_sdbm(std::string_view key) {
  uint32_t h = 0;
  for (char ch : key) h = static_cast<unsigned char>(ch) + (h << 6) + (h << 16) - h;
  return h;
}

// Two 32-bit lanes, each input byte folded into both, then rotated by amounts drawn from
// the state itself.
uint32_t hash_wt6(std::string_view key) {
  uint32_t h0 = 0xa53c965au, h1 = 0x5ca6953au;
  unsigned r0 = 6, r1 = 18;
  for (char ch : key) {
    uint32_t b = static_cast<unsigned char>(ch);
    h0 = ~(h0 ^ b);
    h1 = ~(h1 + b);
    uint32_t t = rotl(h1, r0);
    h1 = rotl(h0, r1);
    h0 = t;
    t = ((h0 >> 16) ^ h1) & 0xffff;
    r0 = t & 0x1f;
    r1 = t >> 11;
  }
  return h0 ^ h1;
}

uint32_t full_hash(uint32_t a) {
  a = (a + 0x7ed55d16u) + (a << 12);
  a = (a ^ 0xc761c23cu) ^ (a >> 19);
  a = (a + 0x165667b1u) + (a << 5);
  a = (a + 0xd3a2646cu) ^ (a << 9);
  a = (a + 0xfd7046c5u) + (a << 3);
  a = (a ^ 0xb55a4f09u) ^ (a >> 16);
  // Then spread over the 32-bit space by a large prime (3 * 2^30 + 1), as HAProxy does.
  return a * 3221225473u;
}

uint32_t hash_xxh32(std::string_view key, uint32_t seed) { return XXH32(key.data(), key.size(), seed); }
uint64_t hash_xxh64(std::string_view key, uint64_t seed) { return XXH64(key.data(), key.size(), seed); }
uint64_t hash_xxh3(std::string_view key, uint64_t seed) { return XXH3_64bits_withSeed(key.data(), key.size(), seed); }

}  // namespace sluice::core
