// TEMPORARY: a few fetches so that the engine can be exercised before rules/fetch/*.cc are
// filled in. Removed when the real tables land (their rows take precedence by order).
#include "http/message.h"
#include "rules/domains.h"

namespace sluice::rules {

namespace {

bool f_src(const Args&, Ctx& c, Sample& s) { return Sample::of_sockaddr(c.src, s); }
bool f_dst(const Args&, Ctx& c, Sample& s) { return Sample::of_sockaddr(c.dst, s); }
bool f_path(const Args&, Ctx& c, Sample& s) {
  if (c.req == nullptr) return false;
  std::string_view p = c.req->path;
  if (auto q = p.find('?'); q != std::string_view::npos) p = p.substr(0, q);
  s = Sample::of_str(p);
  return true;
}
bool f_method(const Args&, Ctx& c, Sample& s) {
  if (c.req == nullptr) return false;
  s = Sample::of_meth(c.req->method, c.req->method_name);
  return true;
}
bool f_true(const Args&, Ctx&, Sample& s) { s = Sample::of_bool(true); return true; }
bool f_false(const Args&, Ctx&, Sample& s) { s = Sample::of_bool(false); return true; }
void f_hdr(const Args& a, Ctx& c, bool every, const Emit& e) {
  if (c.req == nullptr) return;
  std::string_view last;
  bool got = false;
  for (const auto& h : c.req->headers) {
    if (a.has(0) && !(h.name.size() == a[0].str.size() && std::equal(h.name.begin(), h.name.end(), a[0].str.begin(),
        [](char x, char y) { return (x | 0x20) == (y | 0x20); })))
      continue;
    if (every) {
      Sample s = Sample::of_str(h.value);
      if (e(s)) return;
    }
    last = h.value;
    got = true;
  }
  if (!every && got) {
    Sample s = Sample::of_str(last);
    e(s);
  }
}

constexpr FetchDef kRows[] = {
    {"src", "", Type::Ipv4, kL4Phases, f_src, nullptr, "client address"},
    {"dst", "", Type::Ipv4, kL4Phases, f_dst, nullptr, "local address"},
    {"path", "", Type::Str, kReqPhases, f_path, nullptr, "path", "beg dir dom end len reg sub"},
    {"method", "", Type::Meth, kReqPhases, f_method, nullptr, "method"},
    {"hdr", "si", Type::Str, kReqPhases, nullptr, f_hdr, "header", "beg dir dom end len reg sub"},
    {"req.hdr", "si", Type::Str, kReqPhases, nullptr, f_hdr, "header"},
    {"always_true", "", Type::Bool, kAnyPhase, f_true, nullptr, "true"},
    {"always_false", "", Type::Bool, kAnyPhase, f_false, nullptr, "false"},
};

}  // namespace

std::span<const FetchDef> fetch_bootstrap() { return kRows; }

}  // namespace sluice::rules
