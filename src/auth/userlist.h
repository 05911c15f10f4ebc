// A compiled `userlist` (HAProxy manual 3.4): who may authenticate, with what password, and
// in which groups. Built once at load, read-only afterwards and shared by every worker.
//
// The API the rule engine uses:
//   http_auth(L)            check_basic(ul, authorization_value).has_value()
//   http_auth_group(L) G..  user = check_basic(...); ul.in_group(*user, groups)
//   http-request auth       answers 401 with `WWW-Authenticate: Basic realm="R"`
// Runtime::find_userlist(name) gives the list a fetch names.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "config/model.h"

namespace sluice::auth {

class Userlist {
 public:
  // Memberships are merged from both sides (`group G users U` and `user U groups G`).
  // The configuration is already validated: every name refers to a declared user or group.
  explicit Userlist(const config::UserlistConfig& cfg);

  const std::string& name() const { return name_; }
  // Whether `user` is declared and `password` is theirs. insecure-password: compared in time
  // independent of the contents. Hashes: crypt(3); a success is cached (see below).
  bool check(std::string_view user, std::string_view password) const;
  // Whether `user` is a member of at least one of `groups` (unknown names are no member).
  bool in_group(std::string_view user, std::string_view group) const;
  bool in_group(std::string_view user, std::span<const std::string> groups) const;
  bool has_group(std::string_view group) const;
  // The declared user's name, owned by this list (nullptr when unknown).
  const std::string* find_user(std::string_view user) const;

  // Successful hash verifications remembered (sluice only: HAProxy runs crypt(3) on every
  // request, which with bcrypt or yescrypt costs milliseconds of a worker's time). Keyed by
  // SHA-256(user NUL password), so no password is kept in clear; bounded: emptied when full.
  static constexpr size_t kCacheMax = 1024;
  size_t cache_size() const;

 private:
  using Digest = std::array<unsigned char, 32>;
  struct DigestHash {
    size_t operator()(const Digest& d) const noexcept;
  };
  struct User {
    std::string name;
    config::UserlistConfig::User::Password kind;
    std::string secret;
    std::vector<size_t> groups;   // indices into groups_
  };
  const User* user(std::string_view name) const;
  size_t group_index(std::string_view group) const;   // groups_.size() when unknown

  std::string name_;
  std::vector<User> users_;
  std::vector<std::string> groups_;
  mutable std::mutex cache_mu_;
  mutable std::unordered_set<Digest, DigestHash> cache_;
};

// The user an Authorization field value authenticates as in `ul`: the `Basic` credentials
// (strict RFC 7617 parsing, shared with `stats auth`), split at the first ':' as HAProxy does,
// then checked. The view points into `ul`. nullopt for another scheme, a malformed value or
// wrong credentials. The caller passes the field's only value: several Authorization fields
// are not credentials (RFC 9110 11.6.2), as for `stats auth`.
std::optional<std::string_view> check_basic(const Userlist& ul, std::string_view authorization);

}  // namespace sluice::auth
