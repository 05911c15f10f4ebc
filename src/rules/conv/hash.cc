// Hash converters (HAProxy 2.6 manual 7.3.1): crc32, crc32c, djb2, sdbm, wt6 ([avalanche]:
// non-zero applies HAProxy's full_hash mix on top), xxh32, xxh64, xxh3 ([seed]). The
// functions are core/hash.h's, the ones HAProxy's hash-based balancing uses.
#include "core/hash.h"
#include "rules/domains.h"

namespace sluice::rules {

namespace {

template <uint32_t (*H)(std::string_view)>
bool c_hash32(const Args& a, Ctx&, Sample& s) {
  uint32_t h = H(s.str);
  if (a.has(0) && a[0].sint != 0) h = core::full_hash(h);
  s = Sample::of_int(h);
  return true;
}
bool c_xxh32(const Args& a, Ctx&, Sample& s) {
  s = Sample::of_int(core::hash_xxh32(s.str, static_cast<uint32_t>(a.has(0) ? a[0].sint : 0)));
  return true;
}
template <uint64_t (*H)(std::string_view, uint64_t)>
bool c_hash64(const Args& a, Ctx&, Sample& s) {
  s = Sample::of_int(static_cast<int64_t>(H(s.str, static_cast<uint64_t>(a.has(0) ? a[0].sint : 0))));
  return true;
}

constexpr ConvDef kRows[] = {
    {"crc32", "i", Type::Bin, Type::Sint, c_hash32<core::hash_crc32>, "CRC32 (IEEE) of the bytes; [avalanche] mixes it"},
    {"crc32c", "i", Type::Bin, Type::Sint, c_hash32<core::hash_crc32c>, "CRC32C (Castagnoli) of the bytes; [avalanche] mixes it"},
    {"djb2", "i", Type::Bin, Type::Sint, c_hash32<core::hash_djb2>, "DJB2 hash of the bytes; [avalanche] mixes it"},
    {"sdbm", "i", Type::Bin, Type::Sint, c_hash32<core::hash_sdbm>, "SDBM hash of the bytes; [avalanche] mixes it"},
    {"wt6", "i", Type::Bin, Type::Sint, c_hash32<core::hash_wt6>, "WT6 hash of the bytes; [avalanche] mixes it"},
    {"xxh32", "i", Type::Bin, Type::Sint, c_xxh32, "XXH32 of the bytes with [seed] (default 0)"},
    {"xxh64", "i", Type::Bin, Type::Sint, c_hash64<core::hash_xxh64>, "XXH64 of the bytes with [seed], as a signed integer"},
    {"xxh3", "i", Type::Bin, Type::Sint, c_hash64<core::hash_xxh3>, "XXH3 (64 bits) of the bytes with [seed], as a signed integer"},
};

}  // namespace

std::span<const ConvDef> conv_hash() { return kRows; }

}  // namespace sluice::rules
