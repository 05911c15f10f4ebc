// Fetches of the HTTP request (HAProxy 2.6 manual 7.3.6): request line, headers, cookies,
// query parameters, body.
#include "http/cookie.h"
#include "rules/domains.h"
#include "rules/fetch/headers.h"

namespace sluice::rules {

namespace {

using fetchutil::cookie_values;
using fetchutil::emit_selected;
using fetchutil::header_values;
using fetchutil::scratch;

constexpr std::string_view kStrAcl = "beg dir dom end len reg sub";

std::string_view path_only(std::string_view p) { return p.substr(0, p.find('?')); }

bool f_method(const Args&, Ctx& c, Sample& s) {
  if (c.method_name.empty()) return false;
  s = Sample::of_meth(c.method, c.method_name);
  return true;
}
bool f_path(const Args&, Ctx& c, Sample& s) {
  if (c.req == nullptr || c.req->method == http::Method::Connect) return false;
  s = Sample::of_str(path_only(c.req->path));
  return true;
}
bool f_pathq(const Args&, Ctx& c, Sample& s) {
  if (c.req == nullptr || c.req->method == http::Method::Connect) return false;
  s = Sample::of_str(c.req->path);
  return true;
}
bool f_url(const Args&, Ctx& c, Sample& s) {
  if (c.req == nullptr) return false;
  s = Sample::of_str(c.req->target);
  return true;
}
bool f_query(const Args&, Ctx& c, Sample& s) {
  if (c.req == nullptr) return false;
  size_t q = c.req->target.find('?');
  if (q == std::string_view::npos) return false;   // no '?': no value, as HAProxy
  s = Sample::of_str(c.req->target.substr(q + 1));
  return true;
}
// base: Host header value followed by the path (without the query).
bool f_base(const Args&, Ctx& c, Sample& s) {
  if (c.req == nullptr) return false;
  int i = c.req->find("host");
  std::string_view host = i >= 0 ? c.req->headers[static_cast<size_t>(i)].value : std::string_view();
  s = Sample::of_str(c.mem().concat(host, path_only(c.req->path)));
  return true;
}
bool f_ver(const Args&, Ctx& c, Sample& s) {
  if (c.req == nullptr) return false;
  s = Sample::of_str(c.req->version_minor == 0 ? "1.0" : "1.1");
  return true;
}
bool f_first_req(const Args&, Ctx& c, Sample& s) {
  if (c.method_name.empty()) return false;
  s = Sample::of_bool(c.first_request);
  return true;
}

template <bool Split, Type As>
void f_hdr(const Args& a, Ctx& c, bool every, const Emit& e) {
  if (c.req == nullptr) return;
  auto& v = scratch();
  header_values(c.req->headers, a.has(0) ? std::string_view(a[0].str) : std::string_view(), Split, v);
  emit_selected(v, a.has(1) ? a[1].sint : 0, every, As, c, e);
}
// hdr(NAME[,OCC]): the request's header in request rules, the response's in response rules
// (HAProxy's hdr is the one fetch that follows the rule set's direction).
void f_hdr_dir(const Args& a, Ctx& c, bool every, const Emit& e) {
  const auto* hs = (c.phase & kResPhases) != 0 ? (c.rsp != nullptr ? &c.rsp->headers : nullptr)
                                              : (c.req != nullptr ? &c.req->headers : nullptr);
  if (hs == nullptr) return;
  auto& v = scratch();
  header_values(*hs, a.has(0) ? std::string_view(a[0].str) : std::string_view(), true, v);
  emit_selected(v, a.has(1) ? a[1].sint : 0, every, Type::Str, c, e);
}
template <bool Split>
bool f_hdr_cnt(const Args& a, Ctx& c, Sample& s) {
  if (c.req == nullptr) return false;
  auto& v = scratch();
  header_values(c.req->headers, a.has(0) ? std::string_view(a[0].str) : std::string_view(), Split, v);
  s = Sample::of_int(static_cast<int64_t>(v.size()));
  return true;
}
bool f_hdr_names(const Args& a, Ctx& c, Sample& s) {
  if (c.req == nullptr) return false;
  std::string_view delim = a.has(0) ? std::string_view(a[0].str) : ",";
  std::string out;
  for (const auto& h : c.req->headers) {
    if (!out.empty()) out.append(delim);
    out.append(h.name);
  }
  s = Sample::of_str(c.mem().copy(out));
  return true;
}

template <Type As>
void f_cook(const Args& a, Ctx& c, bool every, const Emit& e) {
  if (c.req == nullptr) return;
  auto& v = scratch();
  cookie_values(c.req->headers, a.has(0) ? std::string_view(a[0].str) : std::string_view(), false, v);
  emit_selected(v, 0, every, As, c, e);
}
bool f_cook_cnt(const Args& a, Ctx& c, Sample& s) {
  if (c.req == nullptr) return false;
  auto& v = scratch();
  cookie_values(c.req->headers, a.has(0) ? std::string_view(a[0].str) : std::string_view(), false, v);
  s = Sample::of_int(static_cast<int64_t>(v.size()));
  return true;
}

// url_param(NAME[,DELIM]): values of NAME in the query string (DELIM: extra separators
// besides '&'); urlp_val: the same as an integer.
template <Type As>
void f_url_param(const Args& a, Ctx& c, bool every, const Emit& e) {
  if (c.req == nullptr) return;
  std::string_view t = c.req->target;
  size_t q = t.find('?');
  if (q == std::string_view::npos) return;
  t.remove_prefix(q + 1);
  std::string_view delims = a.has(1) ? std::string_view(a[1].str) : std::string_view();
  auto& v = scratch();
  size_t start = 0;
  for (size_t i = 0; i <= t.size(); ++i) {
    if (i < t.size() && t[i] != '&' && delims.find(t[i]) == std::string_view::npos) continue;
    std::string_view kv = t.substr(start, i - start);
    start = i + 1;
    size_t eq = kv.find('=');
    std::string_view k = kv.substr(0, eq);
    if (a.has(0) && k != a[0].str) continue;
    if (!a.has(0) && kv.empty()) continue;
    v.push_back(eq == std::string_view::npos ? std::string_view() : kv.substr(eq + 1));
  }
  // A sample context takes the first occurrence (HAProxy's url_param); an ACL sees all.
  if (!every && !v.empty()) v.resize(1);
  emit_selected(v, 0, true, As, c, e);
}

bool f_body(const Args&, Ctx& c, Sample& s) {
  if (c.req == nullptr) return false;
  s = Sample::of_bin(c.req_body);
  return true;
}
bool f_body_len(const Args&, Ctx& c, Sample& s) {
  if (c.req == nullptr) return false;
  s = Sample::of_int(static_cast<int64_t>(c.req_body.size()));
  return true;
}
bool f_body_size(const Args&, Ctx& c, Sample& s) {
  if (c.req == nullptr) return false;
  if (c.req->framing == http::Framing::ContentLength) s = Sample::of_int(static_cast<int64_t>(c.req->content_length));
  else if (c.req->framing == http::Framing::None) s = Sample::of_int(0);
  else return false;   // chunked: unknown until the end
  return true;
}

constexpr uint16_t kReq = kReqPhases;

constexpr FetchDef kRows[] = {
    {"method", "", Type::Meth, kTxnPhases, f_method, nullptr, "the request method"},
    {"path", "", Type::Str, kReq, f_path, nullptr, "the request path, without the query string", kStrAcl},
    {"pathq", "", Type::Str, kReq, f_pathq, nullptr, "the request path with the query string"},
    {"url", "", Type::Str, kReq, f_url, nullptr, "the request target as received", kStrAcl},
    {"query", "", Type::Str, kReq, f_query, nullptr, "the query string after '?' (no value without '?')"},
    {"base", "", Type::Str, kReq, f_base, nullptr, "the Host header value followed by the path", kStrAcl},
    {"req.ver", "", Type::Str, kReq, f_ver, nullptr, "the request's HTTP version (\"1.0\", \"1.1\")"},
    {"req_ver", "", Type::Str, kReq, f_ver, nullptr, "alias of req.ver"},
    {"http_first_req", "", Type::Bool, kTxnPhases, f_first_req, nullptr, "true for the first request of a connection"},
    {"req.hdr", "si", Type::Str, kReq, nullptr, f_hdr<true, Type::Str>,
     "values of header NAME (comma-separated values split), occurrence OCC (negative: from the end)"},
    {"hdr", "si", Type::Str, kReq | kResPhases, nullptr, f_hdr_dir,
     "req.hdr in request rules, res.hdr in response rules", kStrAcl},
    {"req.fhdr", "si", Type::Str, kReq, nullptr, f_hdr<false, Type::Str>, "full lines of header NAME (no split on commas)"},
    {"req.hdr_cnt", "s", Type::Sint, kReq, f_hdr_cnt<true>, nullptr, "number of values of header NAME"},
    {"hdr_cnt", "s", Type::Sint, kReq, f_hdr_cnt<true>, nullptr, "alias of req.hdr_cnt"},
    {"req.fhdr_cnt", "s", Type::Sint, kReq, f_hdr_cnt<false>, nullptr, "number of header lines NAME"},
    {"req.hdr_val", "si", Type::Sint, kReq, nullptr, f_hdr<true, Type::Sint>, "values of header NAME as integers"},
    {"hdr_val", "si", Type::Sint, kReq, nullptr, f_hdr<true, Type::Sint>, "alias of req.hdr_val"},
    {"req.hdr_ip", "si", Type::Addr, kReq, nullptr, f_hdr<true, Type::Addr>, "values of header NAME as addresses"},
    {"hdr_ip", "si", Type::Addr, kReq, nullptr, f_hdr<true, Type::Addr>, "alias of req.hdr_ip"},
    {"req.hdr_names", "s", Type::Str, kReq, f_hdr_names, nullptr, "names of the request headers joined by DELIM (',')"},
    {"req.cook", "s", Type::Str, kReq, nullptr, f_cook<Type::Str>, "values of cookie NAME in Cookie headers"},
    {"cook", "s", Type::Str, kReq, nullptr, f_cook<Type::Str>, "alias of req.cook", kStrAcl},
    {"req.cook_cnt", "s", Type::Sint, kReq, f_cook_cnt, nullptr, "number of cookies NAME"},
    {"cook_cnt", "s", Type::Sint, kReq, f_cook_cnt, nullptr, "alias of req.cook_cnt"},
    {"req.cook_val", "s", Type::Sint, kReq, nullptr, f_cook<Type::Sint>, "values of cookie NAME as integers"},
    {"cook_val", "s", Type::Sint, kReq, nullptr, f_cook<Type::Sint>, "alias of req.cook_val"},
    {"url_param", "ss", Type::Str, kReq, nullptr, f_url_param<Type::Str>,
     "value of query parameter NAME (DELIM: more separators than '&')", kStrAcl},
    {"urlp", "ss", Type::Str, kReq, nullptr, f_url_param<Type::Str>, "alias of url_param", kStrAcl},
    {"urlp_val", "ss", Type::Sint, kReq, nullptr, f_url_param<Type::Sint>, "value of query parameter NAME as an integer"},
    {"req.body", "", Type::Bin, kReq, f_body, nullptr, "the buffered request body (option http-buffer-request)"},
    {"req.body_len", "", Type::Sint, kReq, f_body_len, nullptr, "length of the buffered request body"},
    {"req.body_size", "", Type::Sint, kReq, f_body_size, nullptr, "announced size of the request body"},
};

}  // namespace

std::span<const FetchDef> fetch_http_req() { return kRows; }

}  // namespace sluice::rules
