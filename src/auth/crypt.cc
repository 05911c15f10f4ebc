#include "auth/crypt.h"

#include <crypt.h>
#include <openssl/crypto.h>

#include <cstring>
#include <memory>
#include <string>

namespace sluice::auth {

bool crypt_matches(std::string_view password, std::string_view hash) {
  // libcrypt wants C strings: a NUL inside either would silently cut it.
  if (password.find('\0') != std::string_view::npos || hash.find('\0') != std::string_view::npos) return false;
  // crypt_data is about 32 kB: one per thread, allocated on first use rather than on the stack.
  thread_local std::unique_ptr<crypt_data> data = std::make_unique<crypt_data>();
  std::memset(data.get(), 0, sizeof(crypt_data));
  const std::string pw(password), setting(hash);
  const char* out = crypt_rn(pw.c_str(), setting.c_str(), data.get(), sizeof(crypt_data));
  if (out == nullptr || out[0] == '*') return false;   // failure (crypt_rn returns NULL; '*' is a failure token)
  const size_t n = std::strlen(out);
  return n == hash.size() && CRYPTO_memcmp(out, hash.data(), n) == 0;
}

bool crypt_supported(std::string_view hash) {
  if (hash.empty() || hash.find('\0') != std::string_view::npos) return false;
  const int r = crypt_checksalt(std::string(hash).c_str());
  return r == CRYPT_SALT_OK || r == CRYPT_SALT_METHOD_LEGACY;
}

}  // namespace sluice::auth
