#include "proxy/sample.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>

#include "http/cookie.h"
#include "net/socket.h"

namespace sluice::proxy {

namespace {

using config::FetchKind;
using config::SampleType;

std::string_view trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

// Splits on commas outside double quotes (a backslash escapes inside quotes), like HAProxy's
// http_find_header(): `a, "b,c"` is two values.
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

// occ: 0 = keep all (every) or the last; N > 0 the Nth; N < 0 the Nth from the end.
void select(std::vector<std::string_view>& v, int occ, bool every) {
  if (occ == 0 && every) return;
  if (occ == 0) occ = -1;
  long idx = occ > 0 ? occ - 1 : static_cast<long>(v.size()) + occ;
  if (idx < 0 || idx >= static_cast<long>(v.size())) {
    v.clear();
    return;
  }
  std::string_view keep = v[static_cast<size_t>(idx)];
  v.assign(1, keep);
}

int64_t port(const sockaddr_storage* s) {
  return net::port_of(reinterpret_cast<const sockaddr*>(s));
}

bool inet(const sockaddr_storage* s) { return s != nullptr && (s->ss_family == AF_INET || s->ss_family == AF_INET6); }

std::string_view path_of(std::string_view p) { return p.substr(0, p.find('?')); }

}  // namespace

void append_header_values(const http::RequestHead& r, std::string_view name, bool split,
                          std::vector<std::string_view>& out) {
  for (int i = r.find(name); i >= 0; i = r.find(name, i + 1)) {
    std::string_view v = r.headers[static_cast<size_t>(i)].value;
    if (split) split_values(v, out);
    else out.push_back(v);
  }
}

int64_t leading_int(std::string_view s) {
  bool neg = !s.empty() && s[0] == '-';
  if (neg) s.remove_prefix(1);
  int64_t v = 0;
  for (char ch : s) {
    if (ch < '0' || ch > '9') break;
    if (v > (INT64_MAX - (ch - '0')) / 10) return neg ? INT64_MIN : INT64_MAX;
    v = v * 10 + (ch - '0');
  }
  return neg ? -v : v;
}

namespace detail {

bool raw_values(const config::FetchSpec& f, const AclContext& c, bool every, std::vector<std::string_view>& strs,
                Sample& s) {
  s.type = f.type() == SampleType::Str || f.kind == FetchKind::Hdr ? SampleType::Str : f.type();
  switch (f.kind) {
    case FetchKind::True: s.num = 1; return true;
    case FetchKind::False: s.num = 0; return true;
    case FetchKind::Src:
    case FetchKind::Dst: {
      const sockaddr_storage* a = f.kind == FetchKind::Src ? c.src : c.dst;
      if (!inet(a)) return false;
      s.ip = a;
      return true;
    }
    case FetchKind::SrcPort:
    case FetchKind::DstPort: {
      const sockaddr_storage* a = f.kind == FetchKind::SrcPort ? c.src : c.dst;
      if (!inet(a)) return false;
      s.num = port(a);
      return true;
    }
    default: break;
  }
  if (c.req == nullptr) return false;
  const http::RequestHead& r = *c.req;
  switch (f.kind) {
    case FetchKind::Path: strs.push_back(path_of(r.path)); break;
    case FetchKind::Url: strs.push_back(r.target); break;
    case FetchKind::Query: {
      size_t q = r.target.find('?');
      if (q == std::string_view::npos) return false;   // no '?': no sample, as HAProxy
      strs.push_back(r.target.substr(q + 1));
      break;
    }
    case FetchKind::Method: strs.push_back(r.method_name); break;
    case FetchKind::Version: strs.push_back(r.version_minor == 0 ? "1.0" : "1.1"); break;
    case FetchKind::Hdr:
    case FetchKind::FHdr:
      append_header_values(r, f.name, f.kind == FetchKind::Hdr, strs);
      select(strs, f.occ, every);
      break;
    case FetchKind::HdrCnt:
    case FetchKind::FHdrCnt:
      append_header_values(r, f.name, f.kind == FetchKind::HdrCnt, strs);
      s.num = static_cast<int64_t>(strs.size());
      return true;
    case FetchKind::Cookie:
      for (int i = r.find("cookie"); i >= 0; i = r.find("cookie", i + 1)) {
        http::CookieIterator it(r.headers[static_cast<size_t>(i)].value);
        http::CookiePair p;
        while (it.next(p))
          if (p.name == f.name) strs.push_back(p.value);
      }
      select(strs, 0, every);
      break;
    case FetchKind::True: case FetchKind::False: case FetchKind::Src: case FetchKind::Dst:
    case FetchKind::SrcPort: case FetchKind::DstPort:
      return false;   // handled above
  }
  return !strs.empty();
}

// Applies the cast (hdr_val, hdr_ip) and the converters to one raw string value.
bool finish(const config::FetchSpec& f, std::string_view raw, Sample& s) {
  switch (f.cast) {
    case SampleType::Int:
      s.type = SampleType::Int;
      s.num = leading_int(raw);
      return true;
    case SampleType::Ip: {
      auto ip = net::parse_ip(raw);
      if (!ip) return false;
      s.type = SampleType::Ip;
      s.parsed = *ip;
      s.ip = &s.parsed;
      return true;
    }
    case SampleType::Str: case SampleType::Bool: break;
  }
  s.type = SampleType::Str;
  s.str = raw;
  if (f.converters.empty()) return true;
  s.buf.assign(raw);
  for (auto conv : f.converters) {
    switch (conv) {
      case config::Converter::Lower:
        for (char& ch : s.buf) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        break;
      case config::Converter::Upper:
        for (char& ch : s.buf) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        break;
    }
  }
  s.str = s.buf;
  return true;
}

}  // namespace detail

std::string render_format(const std::vector<config::FormatPart>& parts, const AclContext& c) {
  std::string out;
  for (const auto& p : parts) {
    if (!p.fetch) {
      out += p.text;
      continue;
    }
    for_each_sample(*p.fetch, c, false, [&](const Sample& s) {
      switch (s.type) {
        case SampleType::Str: out += s.str; break;
        case SampleType::Int: case SampleType::Bool: out += std::to_string(s.num); break;
        case SampleType::Ip: out += net::to_string(*s.ip, false); break;
      }
      return true;
    });
  }
  return out;
}

}  // namespace sluice::proxy
