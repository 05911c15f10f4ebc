#include "http/errors.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <memory>

#include "http/chars.h"
#include "http/parser.h"
#include "http/status.h"

namespace sluice::http {
namespace {

struct Canned {
  uint16_t status;
  std::string_view detail;
};

// Our own wording, one sentence each.
constexpr std::array<Canned, 22> kCanned{{
    {200, "The proxy answered this request itself."},
    {400, "The request could not be understood."},
    {401, "This resource needs valid credentials."},
    {403, "Access to this resource is denied."},
    {404, "No resource was found at this address."},
    {405, "This method is not allowed for the resource."},
    {407, "This proxy needs valid credentials."},
    {408, "The request was not received in time."},
    {410, "This resource is no longer available."},
    {413, "The request body is too large."},
    {414, "The request target is too long."},
    {421, "This request was sent to the wrong server."},
    {422, "The request content could not be processed."},
    {425, "The request was sent too early; retry later."},
    {429, "Too many requests; slow down and retry later."},
    {431, "The request header section is too large."},
    {500, "The proxy hit an internal error."},
    {501, "The proxy does not implement this request."},
    {502, "The upstream server sent an invalid response."},
    {503, "No upstream server can take this request right now."},
    {504, "The upstream server did not answer in time."},
    {505, "This HTTP version is not supported."},
}};

std::string build(const Canned& c) {
  const std::string title = std::to_string(c.status) + " " + std::string(status_reason(c.status));
  const std::string body =
      "<html><body><h1>" + title + "</h1>\n" + std::string(c.detail) + "\n</body></html>\n";
  return "HTTP/1.1 " + title +
         "\r\n"
         "Content-Type: text/html\r\n"
         "Cache-Control: no-cache\r\n"
         "Connection: close\r\n"
         "Content-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

const std::array<std::string, kCanned.size()>& table() {
  static const std::array<std::string, kCanned.size()> t = [] {
    std::array<std::string, kCanned.size()> a;
    for (size_t i = 0; i < kCanned.size(); ++i) a[i] = build(kCanned[i]);
    return a;
  }();
  return t;
}

}  // namespace

std::string_view canned_response(uint16_t status) {
  for (size_t i = 0; i < kCanned.size(); ++i)
    if (kCanned[i].status == status) return table()[i];
  return {};
}

bool has_error_page(uint16_t status) {
  return std::find(std::begin(kErrorPageCodes), std::end(kErrorPageCodes), status) != std::end(kErrorPageCodes);
}

Result<std::string> load_errorfile(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return fail("errorfile '" + path + "': cannot open");
  std::string data(kMaxErrorfileSize + 1, '\0');
  const size_t n = std::fread(data.data(), 1, data.size(), f.get());
  if (std::ferror(f.get())) return fail("errorfile '" + path + "': read error");
  if (n > kMaxErrorfileSize)
    return fail("errorfile '" + path + "': larger than " + std::to_string(kMaxErrorfileSize) + " bytes");
  data.resize(n);
  if (n == 0) return data;
  // HAProxy reads errorfiles written with bare LF line ends (editors often save them so) and
  // re-serialises them; sluice sends the bytes as they are, so the head's line ends become
  // CRLF here. The body is left untouched.
  std::string fixed;
  size_t pos = 0;
  while (pos < data.size()) {
    const size_t nl = data.find('\n', pos);
    if (nl == std::string::npos) break;
    const size_t end = nl > pos && data[nl - 1] == '\r' ? nl - 1 : nl;
    fixed.append(data, pos, end - pos).append("\r\n");
    const bool empty_line = end == pos;
    pos = nl + 1;
    if (empty_line) break;   // the head is over
  }
  fixed.append(data, pos);
  data = std::move(fixed);
  HeadScan scan;
  ResponseHead head;
  const ParseResult r = parse_response(data, scan, Method::Get, head, ParseOptions{});
  if (r.status == ParseStatus::NeedMore)
    return fail("errorfile '" + path + "': incomplete HTTP response head");
  if (r.status == ParseStatus::Error)
    return fail("errorfile '" + path + "': invalid HTTP response: " + r.reason);
  if (head.status < 200)
    return fail("errorfile '" + path + "': invalid status code for an error message (" + std::to_string(head.status) +
                ")");
  if (head.framing == Framing::ContentLength && head.content_length != data.size() - head.head_len)
    return fail("errorfile '" + path + "': Content-Length does not match the body size");
  if (head.framing == Framing::Chunked)
    return fail("errorfile '" + path + "': chunked errorfiles are not supported");
  return data;
}

Result<std::string> build_reply(uint16_t status, std::string_view content_type, std::string_view body,
                                const std::vector<std::pair<std::string, std::string>>& headers) {
  auto valid_value = [](std::string_view v) {
    return std::all_of(v.begin(), v.end(), [](char c) { return chars::is(c, chars::kValue); });
  };
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + std::string(status_reason(status)) + "\r\n";
  for (const auto& [name, value] : headers) {
    if (name.empty() || !std::all_of(name.begin(), name.end(), chars::is_token))
      return fail("invalid header name '" + name + "'");
    if (!valid_value(value)) return fail("invalid value for header '" + name + "'");
    out += name + ": " + value + "\r\n";
  }
  if (!valid_value(content_type)) return fail("invalid content-type");
  out += "content-length: " + std::to_string(body.size()) + "\r\n";
  if (!body.empty()) out += "content-type: " + std::string(content_type) + "\r\n";
  out += "\r\n";
  out += body;
  return out;
}

std::string redirect_reply(uint16_t status, std::string_view location) {
  return "HTTP/1.1 " + std::to_string(status) + " " + std::string(status_reason(status)) +
         "\r\ncache-control: no-cache\r\ncontent-length: 0\r\nlocation: " + std::string(location) + "\r\n\r\n";
}

}  // namespace sluice::http
