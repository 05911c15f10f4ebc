// `userlist` sections (HAProxy manual 3.4): users, groups and their passwords.
//
// Severities follow HAProxy 2.6 (`haproxy -c`): a repeated user, group or userlist is a
// warning and the repetition is ignored; an unknown keyword or option, a missing name, and a
// group or user that refers to one never declared are errors.
#include <algorithm>

#include "auth/crypt.h"
#include "config/parse_internal.h"

namespace sluice::config::detail {
namespace {

std::vector<std::string> split_commas(std::string_view s) {
  std::vector<std::string> out;
  while (true) {
    size_t c = s.find(',');
    std::string_view item = s.substr(0, c);
    if (!item.empty()) out.emplace_back(item);
    if (c == std::string_view::npos) break;
    s.remove_prefix(c + 1);
  }
  return out;
}

template <class T>
bool has_name(const std::vector<T>& v, std::string_view name) {
  return std::any_of(v.begin(), v.end(), [&](const T& e) { return e.name == name; });
}

Result<void> kw_group(UserlistConfig& ul, const Line& l, Env& env) {
  const auto& w = l.words;
  if (w.size() < 2 || w[1].empty()) return fail("'group' expects <name> as arguments");
  UserlistConfig::Group g;
  g.name = w[1];
  g.loc = l.loc;
  for (size_t i = 2; i < w.size(); i += 2) {
    if (w[i] != "users") return fail("'group' only supports 'users' option");
    if (i + 1 >= w.size()) return fail("'group ... users' expects a comma-separated list of users");
    auto names = split_commas(w[i + 1]);
    g.users.insert(g.users.end(), names.begin(), names.end());
  }
  if (has_name(ul.groups, g.name)) {
    env.diags.warning(l.loc, fmt::format("ignoring duplicated group '{}' in userlist '{}'", g.name, ul.name));
    return {};
  }
  ul.groups.push_back(std::move(g));
  return {};
}

Result<void> kw_user(UserlistConfig& ul, const Line& l, Env& env) {
  const auto& w = l.words;
  using P = UserlistConfig::User::Password;
  if (w.size() < 2 || w[1].empty()) return fail("'user' expects <name> as arguments");
  UserlistConfig::User u;
  u.name = w[1];
  u.loc = l.loc;
  for (size_t i = 2; i < w.size(); i += 2) {
    const std::string& o = w[i];
    if (o != "password" && o != "insecure-password" && o != "groups")
      return fail("'user' only supports 'password', 'insecure-password' and 'groups' options");
    // HAProxy takes a missing value as an empty one; sluice wants it written, since an
    // empty password or group list is never what the line meant.
    if (i + 1 >= w.size()) return fail(fmt::format("'user {}': '{}' expects a value", u.name, o));
    if (o == "groups") {
      auto names = split_commas(w[i + 1]);
      u.groups.insert(u.groups.end(), names.begin(), names.end());
    } else {
      // HAProxy keeps the last value but an earlier insecure-password's flag: refused
      // rather than guessed at.
      if (u.kind != P::None)
        return fail(fmt::format("'user {}': give one of 'password' and 'insecure-password', once", u.name));
      u.kind = o == "password" ? P::Hash : P::Insecure;
      u.password = w[i + 1];
    }
  }
  if (has_name(ul.users, u.name)) {
    env.diags.warning(l.loc, fmt::format("ignoring duplicated user '{}' in userlist '{}'", u.name, ul.name));
    return {};
  }
  if (u.kind == P::Hash && !auth::crypt_supported(u.password))
    env.diags.warning(l.loc, fmt::format("user '{}' in userlist '{}': the password is not a crypt(3) hash this system "
                                         "can verify: the user can never authenticate", u.name, ul.name));
  if (u.kind == P::None)
    env.diags.warning(l.loc, fmt::format("user '{}' in userlist '{}' has no password: it can never authenticate",
                                         u.name, ul.name));
  ul.users.push_back(std::move(u));
  return {};
}

}  // namespace

UserlistConfig* open_userlist(std::vector<UserlistConfig>& lists, const Line& l, Env& env) {
  if (l.words.size() < 2 || l.words[1].empty()) {
    env.diags.error(l.loc, "'userlist' expects <name> as arguments");
    return nullptr;
  }
  if (l.words.size() > 2) {
    env.diags.error(l.loc, fmt::format("'userlist': unexpected argument '{}'", l.words[2]));
    return nullptr;
  }
  for (auto& ul : lists) {
    if (ul.name == l.words[1]) {
      // HAProxy ignores the second declaration; its lines still extend the list. sluice adds
      // them to the list of that name (repetitions inside are then warned about as usual).
      env.diags.warning(l.loc, fmt::format("ignoring duplicated userlist '{}'", ul.name));
      return &ul;
    }
  }
  UserlistConfig ul;
  ul.name = l.words[1];
  ul.loc = l.loc;
  lists.push_back(std::move(ul));
  return &lists.back();
}

void parse_userlist_line(UserlistConfig& ul, const Line& l, Env& env) {
  const std::string& k = l.words[0];
  Result<void> r;
  if (k == "group") r = kw_group(ul, l, env);
  else if (k == "user") r = kw_user(ul, l, env);
  else {
    static constexpr std::string_view kKeywords[] = {"group", "user"};
    r = fail(fmt::format("unknown keyword '{}' in 'userlist' section{}", k, suggest(k, kKeywords)));
  }
  if (!r) env.diags.error(l.loc, r.error().message);
}

void validate_userlists(const Config& c, Env& env) {
  for (const auto& ul : c.userlists) {
    for (const auto& u : ul.users)
      for (const auto& g : u.groups)
        if (!has_name(ul.groups, g))
          env.diags.error(u.loc, fmt::format("userlist '{}': no such group '{}' specified in user '{}'", ul.name, g,
                                             u.name));
    for (const auto& g : ul.groups)
      for (const auto& u : g.users)
        if (!has_name(ul.users, u))
          env.diags.error(g.loc, fmt::format("userlist '{}': no such user '{}' specified in group '{}'", ul.name, u,
                                             g.name));
  }
}

}  // namespace sluice::config::detail
