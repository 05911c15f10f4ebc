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

}  // namespace sluice::http
