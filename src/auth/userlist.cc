#include "auth/userlist.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "auth/basic.h"
#include "auth/crypt.h"
#include "core/assert.h"

namespace sluice::auth {
namespace {

using Password = config::UserlistConfig::User::Password;

std::array<unsigned char, 32> sha256(std::string_view a, std::string_view b) {
  std::array<unsigned char, 32> md{};
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  unsigned int n = 0;
  const char nul = '\0';
  SLUICE_CHECK(ctx && EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) == 1 &&
                   EVP_DigestUpdate(ctx.get(), a.data(), a.size()) == 1 &&
                   EVP_DigestUpdate(ctx.get(), &nul, 1) == 1 &&
                   EVP_DigestUpdate(ctx.get(), b.data(), b.size()) == 1 &&
                   EVP_DigestFinal_ex(ctx.get(), md.data(), &n) == 1 && n == md.size(),
               "sha256 failed");
  return md;
}

}  // namespace

size_t Userlist::DigestHash::operator()(const Digest& d) const noexcept {
  size_t h = 0;
  std::memcpy(&h, d.data(), sizeof h);   // already uniformly distributed
  return h;
}

Userlist::Userlist(const config::UserlistConfig& cfg) : name_(cfg.name) {
  for (const auto& g : cfg.groups) groups_.push_back(g.name);
  for (const auto& u : cfg.users) {
    User x{u.name, u.kind, u.password, {}};
    for (const auto& g : u.groups)
      if (size_t i = group_index(g); i < groups_.size()) x.groups.push_back(i);
    users_.push_back(std::move(x));
  }
  for (size_t gi = 0; gi < cfg.groups.size(); ++gi)
    for (const auto& member : cfg.groups[gi].users)
      for (auto& u : users_)
        if (u.name == member) u.groups.push_back(gi);
  for (auto& u : users_) {
    std::sort(u.groups.begin(), u.groups.end());
    u.groups.erase(std::unique(u.groups.begin(), u.groups.end()), u.groups.end());
  }
}

const Userlist::User* Userlist::user(std::string_view name) const {
  for (const auto& u : users_)
    if (u.name == name) return &u;
  return nullptr;
}

const std::string* Userlist::find_user(std::string_view name) const {
  const User* u = user(name);
  return u ? &u->name : nullptr;
}

size_t Userlist::group_index(std::string_view group) const {
  return static_cast<size_t>(std::find(groups_.begin(), groups_.end(), group) - groups_.begin());
}

bool Userlist::has_group(std::string_view group) const { return group_index(group) < groups_.size(); }

bool Userlist::check(std::string_view name, std::string_view password) const {
  const User* u = user(name);
  if (u == nullptr) return false;
  switch (u->kind) {
    case Password::None: return false;
    case Password::Insecure: {
      // Digests have equal lengths whatever the inputs, so the comparison time says nothing.
      auto want = sha256(u->name, u->secret), got = sha256(u->name, password);
      return CRYPTO_memcmp(want.data(), got.data(), want.size()) == 0;
    }
    case Password::Hash: break;
  }
  const Digest key = sha256(u->name, password);
  {
    std::lock_guard lock(cache_mu_);
    if (cache_.contains(key)) return true;
  }
  if (!crypt_matches(password, u->secret)) return false;
  std::lock_guard lock(cache_mu_);
  if (cache_.size() >= kCacheMax) cache_.clear();
  cache_.insert(key);
  return true;
}

size_t Userlist::cache_size() const {
  std::lock_guard lock(cache_mu_);
  return cache_.size();
}

bool Userlist::in_group(std::string_view name, std::string_view group) const {
  const User* u = user(name);
  size_t gi = group_index(group);
  return u != nullptr && gi < groups_.size() && std::binary_search(u->groups.begin(), u->groups.end(), gi);
}

bool Userlist::in_group(std::string_view name, std::span<const std::string> groups) const {
  return std::any_of(groups.begin(), groups.end(), [&](const std::string& g) { return in_group(name, g); });
}

std::optional<std::string_view> check_basic(const Userlist& ul, std::string_view authorization) {
  auto creds = basic_credentials(authorization);
  if (!creds) return std::nullopt;
  const size_t colon = creds->find(':');   // basic_credentials guarantees one
  std::string_view user = std::string_view(*creds).substr(0, colon);
  std::string_view password = std::string_view(*creds).substr(colon + 1);
  const std::string* name = ul.find_user(user);
  if (name == nullptr || !ul.check(user, password)) return std::nullopt;
  return std::string_view(*name);
}

}  // namespace sluice::auth
