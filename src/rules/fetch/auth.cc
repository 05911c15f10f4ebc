// Userlist fetches (HAProxy 2.6 manual 7.3.6): http_auth(L), http_auth_group(L) and the
// credentials the client sent (http_auth_type, http_auth_user, http_auth_pass).
#include "auth/basic.h"
#include "auth/userlist.h"
#include "rules/domains.h"

namespace sluice::rules {

namespace {

// The value of the request's only Authorization header; several are not credentials.
std::optional<std::string_view> authorization(const Ctx& c) {
  if (c.req == nullptr) return std::nullopt;
  int i = c.req->find("authorization");
  if (i < 0 || c.req->find("authorization", i + 1) >= 0) return std::nullopt;
  return c.req->headers[static_cast<size_t>(i)].value;
}
const auth::Userlist& list(const Args& a) { return *static_cast<const auth::Userlist*>(a[0].obj); }

bool f_http_auth(const Args& a, Ctx& c, Sample& s) {
  auto v = authorization(c);
  s = Sample::of_bool(v && auth::check_basic(list(a), *v));
  return true;
}
// As a sample: the authenticated user's name. As an ACL (every value): the user's groups, so
// that `http_auth_group(L) admins ops` matches a member of either group, as in HAProxy.
void f_http_auth_group(const Args& a, Ctx& c, bool every, const Emit& e) {
  auto v = authorization(c);
  if (!v) return;
  auto user = auth::check_basic(list(a), *v);
  if (!user) return;
  if (!every) {
    Sample s = Sample::of_str(*user);
    e(s);
    return;
  }
  list(a).for_each_group(*user, [&](std::string_view g) {
    Sample s = Sample::of_str(g);
    return e(s);
  });
}
bool f_auth_type(const Args&, Ctx& c, Sample& s) {
  auto v = authorization(c);
  if (!v) return false;
  std::string_view t = v->substr(0, v->find(' '));
  s = Sample::of_str(t);
  return true;
}
template <bool User>
bool f_auth_part(const Args&, Ctx& c, Sample& s) {
  auto v = authorization(c);
  if (!v) return false;
  auto creds = auth::basic_credentials(*v);
  if (!creds) return false;
  size_t colon = creds->find(':');
  std::string_view part = User ? std::string_view(*creds).substr(0, colon) : std::string_view(*creds).substr(colon + 1);
  s = Sample::of_str(c.mem().copy(part));
  return true;
}

constexpr uint16_t kReq = kReqPhases;

constexpr FetchDef kRows[] = {
    {"http_auth", "U", Type::Bool, kReq, f_http_auth, nullptr,
     "true when the Basic credentials are valid for userlist L"},
    {"http_auth_group", "U", Type::Str, kReq, nullptr, f_http_auth_group,
     "the user authenticated by userlist L (as an ACL: matches the user's groups)"},
    {"http_auth_type", "", Type::Str, kReq, f_auth_type, nullptr, "the scheme of the Authorization header"},
    {"http_auth_user", "", Type::Str, kReq, f_auth_part<true>, nullptr, "the user name of Basic credentials"},
    {"http_auth_pass", "", Type::Str, kReq, f_auth_part<false>, nullptr, "the password of Basic credentials"},
};

}  // namespace

std::span<const FetchDef> fetch_auth() { return kRows; }

}  // namespace sluice::rules
