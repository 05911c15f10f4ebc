// The hash functions HAProxy 2.6 balances and converts with (crc32, crc32c, djb2, sdbm,
// wt6, the "avalanche" mixer) and xxHash (libxxhash), so that a key hashes to the same
// value in sluice as in HAProxy: the crc32 ... xxh64 converters print these values, and
// `hash-type ... avalanche` is defined by full_hash().
#pragma once

#include <cstdint>
#include <string_view>

namespace sluice::core {

uint32_t hash_crc32(std::string_view key);    // IEEE 802.3 (zlib, PNG): "abc" -> 0x352441c2
uint32_t hash_crc32c(std::string_view key);   // Castagnoli (RFC 4960 appendix B)
uint32_t hash_djb2(std::string_view key);     // h = h * 33 + c from 5381
uint32_t hash_sdbm(std::string_view key);     // h = c + (h << 6) + (h << 16) - h
uint32_t hash_wt6(std::string_view key);      // HAProxy's wt6
// Bob Jenkins' 32-bit integer mix times 3221225473: what `avalanche` applies on top of a hash.
uint32_t full_hash(uint32_t h);
uint32_t hash_xxh32(std::string_view key, uint32_t seed);
uint64_t hash_xxh64(std::string_view key, uint64_t seed);
uint64_t hash_xxh3(std::string_view key, uint64_t seed);   // XXH3, 64-bit

}  // namespace sluice::core
