// Hash converters (HAProxy 2.6 manual 7.3.1): crc32, crc32c, djb2, sdbm, wt6 ([avalanche]:
// non-zero applies HAProxy's full_hash mix on top), xxh32, xxh64, xxh3 ([seed]). The
// functions are core/hash.h's, the ones HAProxy's hash-based balancing uses. Digests:
// sha1, sha2([bits]), digest(algorithm) (OpenSSL).
#include <fmt/format.h>
#include <openssl/evp.h>

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

// The digest an OpenSSL name designates, found once at load.
Result<void> check_digest(Args& a, CompileCtx&) {
  const EVP_MD* md = EVP_get_digestbyname(a[0].str.c_str());
  if (md == nullptr) return fail(fmt::format("'{}' is not an OpenSSL message digest name", a[0].str));
  a.state = std::shared_ptr<const void>(md, [](const void*) {});
  return {};
}
Result<void> check_sha2(Args& a, CompileCtx&) {
  int64_t bits = a.has(0) ? a[0].sint : 256;
  const EVP_MD* md = bits == 224 ? EVP_sha224() : bits == 256 ? EVP_sha256() : bits == 384 ? EVP_sha384()
                     : bits == 512 ? EVP_sha512() : nullptr;
  if (md == nullptr) return fail(fmt::format("{} bits: expects 224, 256, 384 or 512", bits));
  a.state = std::shared_ptr<const void>(md, [](const void*) {});
  return {};
}
Result<void> check_sha1(Args& a, CompileCtx&) {
  a.state = std::shared_ptr<const void>(EVP_sha1(), [](const void*) {});
  return {};
}
bool c_digest(const Args& a, Ctx& c, Sample& s) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_Digest(s.str.data(), s.str.size(), md, &n, static_cast<const EVP_MD*>(a.state.get()), nullptr) != 1)
    return false;
  s = Sample::of_bin(c.mem().copy({reinterpret_cast<const char*>(md), n}));
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
    {"sha1", "", Type::Bin, Type::Bin, c_digest, "the SHA-1 digest of the bytes (20 bytes)", check_sha1},
    {"sha2", "i", Type::Bin, Type::Bin, c_digest, "the SHA-2 digest of the bytes, [bits] 224, 256 (default), 384 or 512",
     check_sha2},
    {"digest", "S", Type::Bin, Type::Bin, c_digest, "the digest of the bytes by the OpenSSL algorithm NAME", check_digest},
    {"xxh3", "i", Type::Bin, Type::Sint, c_hash64<core::hash_xxh3>, "XXH3 (64 bits) of the bytes with [seed], as a signed integer"},
};

}  // namespace

std::span<const ConvDef> conv_hash() { return kRows; }

}  // namespace sluice::rules
