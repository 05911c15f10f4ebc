// Evaluates the fetches of config/acl_spec.h against one request: the values ACLs match and
// `%[...]` expressions print. Every config::FetchKind is handled here.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/acl_spec.h"
#include "http/message.h"

namespace sluice::proxy {

// What a fetch may look at. Request fields are null in TCP mode (HTTP fetches yield nothing).
struct AclContext {
  const sockaddr_storage* src = nullptr;
  const sockaddr_storage* dst = nullptr;
  const http::RequestHead* req = nullptr;
};

// One value of a fetch, after converters and casts. `str` may point into `buf`, the request
// or static storage: valid until the next value.
struct Sample {
  config::SampleType type = config::SampleType::Str;
  std::string_view str;
  int64_t num = 0;                        // Int; Bool as 0/1
  const sockaddr_storage* ip = nullptr;   // Ip: the connection's address or `parsed`
  sockaddr_storage parsed;                // hdr_ip's value (left uninitialised: 128 bytes
                                          // zeroed per evaluation showed in profiles)
  std::string buf;                        // converter output
};

// The raw string values of a header or cookie fetch, in message order: hdr() splits values on
// commas outside quotes and trims spaces and tabs (HAProxy's hdr); fhdr() keeps lines whole.
void append_header_values(const http::RequestHead& r, std::string_view name, bool split,
                          std::vector<std::string_view>& out);

// Calls fn(const Sample&) for each value of `f` until fn returns true; returns whether it did.
// every: all occurrences (an ACL with occ 0); otherwise only the selected one (occ, or the
// last when occ is 0), as a %[...] expression uses.
template <class Fn>
bool for_each_sample(const config::FetchSpec& f, const AclContext& c, bool every, Fn&& fn);

// Renders a compiled header value ("%[src]:%[src_port]"). A fetch without a value prints
// nothing, as HAProxy does.
std::string render_format(const std::vector<config::FormatPart>& parts, const AclContext& c);

// Strictly parsed leading integer as HAProxy's casts read it ("12x" -> 12, "x" -> 0).
int64_t leading_int(std::string_view s);

namespace detail {
// Raw values (before converters/casts) of f, all or selected. Returns false when the fetch
// has no value at all.
bool raw_values(const config::FetchSpec& f, const AclContext& c, bool every, std::vector<std::string_view>& strs,
                Sample& scalar);
bool finish(const config::FetchSpec& f, std::string_view raw, Sample& out);
}  // namespace detail

// The per-thread list of raw values, lent out for one call so that evaluating an ACL does not
// allocate once warm (a nested call, if ever, just gets a fresh vector).
class ScratchValues {
 public:
  ScratchValues() : v_(std::move(pool())) { v_.clear(); }
  ~ScratchValues() { pool() = std::move(v_); }
  ScratchValues(const ScratchValues&) = delete;
  ScratchValues& operator=(const ScratchValues&) = delete;
  std::vector<std::string_view>& get() { return v_; }

 private:
  static std::vector<std::string_view>& pool() {
    static thread_local std::vector<std::string_view> p;
    return p;
  }
  std::vector<std::string_view> v_;
};

template <class Fn>
bool for_each_sample(const config::FetchSpec& f, const AclContext& c, bool every, Fn&& fn) {
  ScratchValues scratch;
  std::vector<std::string_view>& strs = scratch.get();
  Sample s;
  if (!detail::raw_values(f, c, every, strs, s)) return false;
  if (s.type != config::SampleType::Str) return fn(static_cast<const Sample&>(s));
  for (std::string_view v : strs) {
    if (!detail::finish(f, v, s)) continue;
    if (fn(static_cast<const Sample&>(s))) return true;
  }
  return false;
}

}  // namespace sluice::proxy
