#include "http/message.h"

#include <cstring>

#include "http/chars.h"

namespace sluice::http {

Method method_from(std::string_view n) {
  auto is = [&](const char* lit, size_t len) { return std::memcmp(n.data(), lit, len) == 0; };
  switch (n.size()) {
    case 3:
      if (is("GET", 3)) return Method::Get;
      if (is("PUT", 3)) return Method::Put;
      break;
    case 4:
      if (is("POST", 4)) return Method::Post;
      if (is("HEAD", 4)) return Method::Head;
      break;
    case 5:
      if (is("PATCH", 5)) return Method::Patch;
      if (is("TRACE", 5)) return Method::Trace;
      break;
    case 6:
      if (is("DELETE", 6)) return Method::Delete;
      break;
    case 7:
      if (is("OPTIONS", 7)) return Method::Options;
      if (is("CONNECT", 7)) return Method::Connect;
      break;
    default:
      break;
  }
  return Method::Other;
}

std::string_view to_string(Method m) {
  switch (m) {
    case Method::Get: return "GET";
    case Method::Head: return "HEAD";
    case Method::Post: return "POST";
    case Method::Put: return "PUT";
    case Method::Delete: return "DELETE";
    case Method::Connect: return "CONNECT";
    case Method::Options: return "OPTIONS";
    case Method::Trace: return "TRACE";
    case Method::Patch: return "PATCH";
    case Method::Other: return "OTHER";
  }
  return "OTHER";
}

std::string_view to_string(Framing f) {
  switch (f) {
    case Framing::None: return "none";
    case Framing::ContentLength: return "content-length";
    case Framing::Chunked: return "chunked";
    case Framing::UntilClose: return "until-close";
    case Framing::Tunnel: return "tunnel";
  }
  return "none";
}

int find_header(const std::vector<Header>& headers, std::string_view name, int from) {
  for (size_t i = from < 0 ? 0 : static_cast<size_t>(from); i < headers.size(); ++i)
    if (iequals(headers[i].name, name)) return static_cast<int>(i);
  return -1;
}

namespace {

// Calls fn(element) for each non-empty element of a comma list (RFC 9110 §5.6.1).
template <class Fn>
void for_each_element(std::string_view list, Fn fn) {
  while (true) {
    const size_t comma = list.find(',');
    const std::string_view e = trim_ows(list.substr(0, comma));
    if (!e.empty()) fn(e);
    if (comma == std::string_view::npos) return;
    list.remove_prefix(comma + 1);
  }
}

bool same_protocol(std::string_view a, std::string_view b) {
  const size_t sa = a.find('/'), sb = b.find('/');
  if (!iequals(trim_ows(a.substr(0, sa)), trim_ows(b.substr(0, sb)))) return false;
  if (sa == std::string_view::npos || sb == std::string_view::npos) return true;
  return iequals(trim_ows(a.substr(sa + 1)), trim_ows(b.substr(sb + 1)));
}

}  // namespace

bool upgrade_offer_ok(std::string_view requested, std::string_view offered) {
  bool any = false, all = true;
  for_each_element(offered, [&](std::string_view o) {
    any = true;
    bool found = false;
    for_each_element(requested, [&](std::string_view r) { found = found || same_protocol(r, o); });
    all = all && found;
  });
  return any && all;
}

}  // namespace sluice::http
