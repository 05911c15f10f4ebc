// Fetches of the HTTP response (HAProxy 2.6 manual 7.3.6): status, version, headers and
// Set-Cookie values.
#include "rules/domains.h"
#include "rules/fetch/headers.h"

namespace sluice::rules {

namespace {

using fetchutil::cookie_values;
using fetchutil::emit_selected;
using fetchutil::header_values;
using fetchutil::scratch;

constexpr std::string_view kStrAcl = "beg dir dom end len reg sub";

bool f_status(const Args&, Ctx& c, Sample& s) {
  if (c.rsp == nullptr) return false;
  s = Sample::of_int(c.rsp->status);
  return true;
}
bool f_ver(const Args&, Ctx& c, Sample& s) {
  if (c.rsp == nullptr) return false;
  s = Sample::of_str(c.rsp->version_minor == 0 ? "1.0" : "1.1");
  return true;
}
template <bool Split, Type As>
void f_hdr(const Args& a, Ctx& c, bool every, const Emit& e) {
  if (c.rsp == nullptr) return;
  auto& v = scratch();
  header_values(c.rsp->headers, a.has(0) ? std::string_view(a[0].str) : std::string_view(), Split, v);
  emit_selected(v, a.has(1) ? a[1].sint : 0, every, As, c, e);
}
template <bool Split>
bool f_hdr_cnt(const Args& a, Ctx& c, Sample& s) {
  if (c.rsp == nullptr) return false;
  auto& v = scratch();
  header_values(c.rsp->headers, a.has(0) ? std::string_view(a[0].str) : std::string_view(), Split, v);
  s = Sample::of_int(static_cast<int64_t>(v.size()));
  return true;
}
bool f_hdr_names(const Args& a, Ctx& c, Sample& s) {
  if (c.rsp == nullptr) return false;
  std::string_view delim = a.has(0) ? std::string_view(a[0].str) : ",";
  std::string out;
  for (const auto& h : c.rsp->headers) {
    if (!out.empty()) out.append(delim);
    out.append(h.name);
  }
  s = Sample::of_str(c.mem().copy(out));
  return true;
}
template <Type As>
void f_cook(const Args& a, Ctx& c, bool every, const Emit& e) {
  if (c.rsp == nullptr) return;
  auto& v = scratch();
  cookie_values(c.rsp->headers, a.has(0) ? std::string_view(a[0].str) : std::string_view(), true, v);
  emit_selected(v, 0, every, As, c, e);
}
bool f_cook_cnt(const Args& a, Ctx& c, Sample& s) {
  if (c.rsp == nullptr) return false;
  auto& v = scratch();
  cookie_values(c.rsp->headers, a.has(0) ? std::string_view(a[0].str) : std::string_view(), true, v);
  s = Sample::of_int(static_cast<int64_t>(v.size()));
  return true;
}

constexpr uint16_t kRes = kResPhases;

constexpr FetchDef kRows[] = {
    {"status", "", Type::Sint, kRes | kLog, f_status, nullptr, "the response's status code"},
    {"res.ver", "", Type::Str, kRes, f_ver, nullptr, "the response's HTTP version"},
    {"resp_ver", "", Type::Str, kRes, f_ver, nullptr, "alias of res.ver"},
    {"res.hdr", "si", Type::Str, kRes, nullptr, f_hdr<true, Type::Str>, "values of response header NAME, occurrence OCC"},
    {"shdr", "si", Type::Str, kRes, nullptr, f_hdr<true, Type::Str>, "alias of res.hdr", kStrAcl},
    {"res.fhdr", "si", Type::Str, kRes, nullptr, f_hdr<false, Type::Str>, "full lines of response header NAME"},
    {"res.hdr_cnt", "s", Type::Sint, kRes, f_hdr_cnt<true>, nullptr, "number of values of response header NAME"},
    {"shdr_cnt", "s", Type::Sint, kRes, f_hdr_cnt<true>, nullptr, "alias of res.hdr_cnt"},
    {"res.fhdr_cnt", "s", Type::Sint, kRes, f_hdr_cnt<false>, nullptr, "number of response header lines NAME"},
    {"res.hdr_val", "si", Type::Sint, kRes, nullptr, f_hdr<true, Type::Sint>, "values of response header NAME as integers"},
    {"shdr_val", "si", Type::Sint, kRes, nullptr, f_hdr<true, Type::Sint>, "alias of res.hdr_val"},
    {"res.hdr_ip", "si", Type::Addr, kRes, nullptr, f_hdr<true, Type::Addr>, "values of response header NAME as addresses"},
    {"shdr_ip", "si", Type::Addr, kRes, nullptr, f_hdr<true, Type::Addr>, "alias of res.hdr_ip"},
    {"res.hdr_names", "s", Type::Str, kRes, f_hdr_names, nullptr, "names of the response headers joined by DELIM (',')"},
    {"res.cook", "s", Type::Str, kRes, nullptr, f_cook<Type::Str>, "values of cookie NAME set by Set-Cookie"},
    {"scook", "s", Type::Str, kRes, nullptr, f_cook<Type::Str>, "alias of res.cook", kStrAcl},
    {"res.cook_cnt", "s", Type::Sint, kRes, f_cook_cnt, nullptr, "number of Set-Cookie NAME"},
    {"scook_cnt", "s", Type::Sint, kRes, f_cook_cnt, nullptr, "alias of res.cook_cnt"},
    {"res.cook_val", "s", Type::Sint, kRes, nullptr, f_cook<Type::Sint>, "values of Set-Cookie NAME as integers"},
    {"scook_val", "s", Type::Sint, kRes, nullptr, f_cook<Type::Sint>, "alias of res.cook_val"},
};

}  // namespace

std::span<const FetchDef> fetch_http_res() { return kRows; }

}  // namespace sluice::rules
