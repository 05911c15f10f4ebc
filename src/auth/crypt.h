// crypt(3) password hashes through libxcrypt (Debian's libcrypt): the methods it enables,
// among them SHA-256 ($5$), SHA-512 ($6$), bcrypt ($2b$) and yescrypt ($y$).
#pragma once

#include <string_view>

namespace sluice::auth {

// Whether `password` hashes to `hash` (the full "$id$salt$digest" string). False for a hash
// libcrypt cannot read. Thread-safe (crypt_rn with per-thread scratch space); as slow as the
// method is meant to be.
bool crypt_matches(std::string_view password, std::string_view hash);

// Whether libcrypt can verify hashes of this form at all (an unknown or disabled method, or
// a malformed setting, never matches any password).
bool crypt_supported(std::string_view hash);

}  // namespace sluice::auth
