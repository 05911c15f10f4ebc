#include "rules/fetch/headers.h"

#include "http/cookie.h"

namespace sluice::rules::fetchutil {

namespace {

std::string_view trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

bool ieq(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

// Commas outside double quotes separate values (a backslash escapes inside quotes), as
// HAProxy's http_find_header(): `a, "b,c"` is two values.
void split_values(std::string_view v, std::vector<std::string_view>& out) {
  bool quoted = false, escaped = false;
  size_t start = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    char ch = v[i];
    if (escaped) escaped = false;
    else if (quoted && ch == '\\') escaped = true;
    else if (ch == '"') quoted = !quoted;
    else if (ch == ',' && !quoted) {
      out.push_back(trim(v.substr(start, i - start)));
      start = i + 1;
    }
  }
  out.push_back(trim(v.substr(start)));
}

}  // namespace

std::vector<std::string_view>& scratch() {
  static thread_local std::vector<std::string_view> v;
  v.clear();
  return v;
}

void header_values(const std::vector<http::Header>& hs, std::string_view name, bool split,
                   std::vector<std::string_view>& out) {
  for (const auto& h : hs) {
    if (!name.empty() && !ieq(h.name, name)) continue;
    if (split) split_values(h.value, out);
    else out.push_back(h.value);
  }
}

void cookie_values(const std::vector<http::Header>& hs, std::string_view name, bool response,
                   std::vector<std::string_view>& out) {
  for (const auto& h : hs) {
    if (!ieq(h.name, response ? "set-cookie" : "cookie")) continue;
    if (response) {
      auto sc = http::parse_set_cookie(h.value);
      if (sc && (name.empty() || sc->name == name)) out.push_back(sc->value);
      continue;
    }
    http::CookieIterator it(h.value);
    http::CookiePair p;
    while (it.next(p))
      if (name.empty() || p.name == name) out.push_back(p.value);
  }
}

void emit_selected(std::vector<std::string_view>& vals, int64_t occ, bool every, Type as, Ctx& c, const Emit& e) {
  auto one = [&](std::string_view v) {
    Sample s = Sample::of_str(v);
    if (as != Type::Str) {
      if (as == Type::Sint) {
        int64_t n = 0;
        if (!parse_leading_int(v, n)) n = 0;   // hdr_val: no digits reads as 0, as HAProxy's strl2ic
        s = Sample::of_int(n);
      } else if (!cast(s, as, c.mem())) {
        return false;   // not an address: no value (the next occurrence may be one)
      }
    }
    return e(s);
  };
  if (occ == 0 && every) {
    for (auto v : vals)
      if (one(v)) return;
    return;
  }
  if (occ == 0) occ = -1;
  int64_t idx = occ > 0 ? occ - 1 : static_cast<int64_t>(vals.size()) + occ;
  if (idx < 0 || idx >= static_cast<int64_t>(vals.size())) return;
  one(vals[static_cast<size_t>(idx)]);
}

}  // namespace sluice::rules::fetchutil
