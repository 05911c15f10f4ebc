#include "http/cookie.h"

#include "http/chars.h"

namespace sluice::http {

bool CookieIterator::next(CookiePair& out) {
  while (!rest_.empty()) {
    const size_t semi = rest_.find(';');
    const std::string_view elem = trim_ows(rest_.substr(0, semi));
    rest_ = semi == std::string_view::npos ? std::string_view{} : rest_.substr(semi + 1);
    if (elem.empty()) continue;
    const size_t eq = elem.find('=');
    out.raw = elem;
    if (eq == std::string_view::npos) {
      out.name = elem;
      out.value = {};
    } else {
      out.name = trim_ows(elem.substr(0, eq));
      out.value = trim_ows(elem.substr(eq + 1));
    }
    return true;
  }
  return false;
}

std::optional<std::string_view> find_cookie(std::string_view header_value, std::string_view name) {
  CookieIterator it(header_value);
  CookiePair p;
  while (it.next(p))
    if (p.name == name) return p.value;
  return std::nullopt;
}

std::string remove_cookie(std::string_view header_value, std::string_view name) {
  std::string out;
  CookieIterator it(header_value);
  CookiePair p;
  while (it.next(p)) {
    if (p.name == name) continue;
    if (!out.empty()) out += "; ";
    out += p.raw;
  }
  return out;
}

std::optional<SetCookieValue> parse_set_cookie(std::string_view hv) {
  const size_t semi = hv.find(';');
  const std::string_view first = hv.substr(0, semi);
  const size_t eq = first.find('=');
  if (eq == std::string_view::npos) return std::nullopt;
  SetCookieValue out;
  out.name = trim_ows(first.substr(0, eq));
  if (out.name.empty()) return std::nullopt;
  size_t b = eq + 1;
  size_t e = first.size();
  while (b < e && chars::is_ows(first[b])) ++b;
  while (e > b && chars::is_ows(first[e - 1])) --e;
  out.value = first.substr(b, e - b);
  out.value_pos = b;
  out.value_len = e - b;
  return out;
}

}  // namespace sluice::http
