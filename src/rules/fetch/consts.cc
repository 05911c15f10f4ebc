// Constant fetches (HAProxy 2.6 manual 7.3.2): always_true, int(1), str(x), ...
#include <arpa/inet.h>

#include <memory>
#include <string>

#include <fmt/format.h>

#include "rules/domains.h"

namespace sluice::rules {

namespace {

bool f_true(const Args&, Ctx&, Sample& s) {
  s = Sample::of_bool(true);
  return true;
}
bool f_false(const Args&, Ctx&, Sample& s) {
  s = Sample::of_bool(false);
  return true;
}
bool f_int(const Args& a, Ctx&, Sample& s) {
  s = Sample::of_int(a[0].sint);
  return true;
}
bool f_bool(const Args& a, Ctx&, Sample& s) {
  s = Sample::of_bool(a[0].sint != 0);
  return true;
}
bool f_str(const Args& a, Ctx&, Sample& s) {
  s = Sample::of_str(a[0].str);
  return true;
}
bool f_meth(const Args& a, Ctx&, Sample& s) {
  s = Sample::of_meth(http::method_from(a[0].str), a[0].str);
  return true;
}
// ipv4(A), ipv6(A), bin(HEX): the value is parsed once, kept in Args::state.
bool f_const(const Args& a, Ctx&, Sample& s) {
  const auto& st = a.st<std::pair<Sample, std::string>>();
  s = st.first;
  if (s.type == Type::Bin) s.str = st.second;
  return true;
}
Result<void> check_ipv4(Args& a, CompileCtx&) {
  Sample s;
  if (inet_pton(AF_INET, a[0].str.c_str(), &s.v4) != 1) return fail(fmt::format("'{}' is not an IPv4 address", a[0].str));
  s.type = Type::Ipv4;
  a.state = std::make_shared<std::pair<Sample, std::string>>(s, std::string());
  return {};
}
Result<void> check_ipv6(Args& a, CompileCtx&) {
  Sample s;
  if (inet_pton(AF_INET6, a[0].str.c_str(), &s.v6) != 1) return fail(fmt::format("'{}' is not an IPv6 address", a[0].str));
  s.type = Type::Ipv6;
  a.state = std::make_shared<std::pair<Sample, std::string>>(s, std::string());
  return {};
}
int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
Result<void> check_bin(Args& a, CompileCtx&) {
  const std::string& h = a[0].str;
  if (h.size() % 2 != 0) return fail(fmt::format("'{}' is not a hex string", h));
  std::string b;
  for (size_t i = 0; i < h.size(); i += 2) {
    int hi = hexval(h[i]), lo = hexval(h[i + 1]);
    if (hi < 0 || lo < 0) return fail(fmt::format("'{}' is not a hex string", h));
    b.push_back(static_cast<char>(hi * 16 + lo));
  }
  Sample s;
  s.type = Type::Bin;
  a.state = std::make_shared<std::pair<Sample, std::string>>(s, std::move(b));
  return {};
}

constexpr FetchDef kRows[] = {
    {"always_true", "", Type::Bool, kInternalPhases, f_true, nullptr, "true"},
    {"always_false", "", Type::Bool, kInternalPhases, f_false, nullptr, "false"},
    {"int", "I", Type::Sint, kInternalPhases, f_int, nullptr, "the integer given"},
    {"bool", "I", Type::Bool, kInternalPhases, f_bool, nullptr, "the boolean given (0 or 1)"},
    {"str", "S", Type::Str, kInternalPhases, f_str, nullptr, "the string given"},
    {"meth", "S", Type::Meth, kInternalPhases, f_meth, nullptr, "the method given"},
    {"ipv4", "S", Type::Ipv4, kInternalPhases, f_const, nullptr, "the IPv4 address given", {}, check_ipv4},
    {"ipv6", "S", Type::Ipv6, kInternalPhases, f_const, nullptr, "the IPv6 address given", {}, check_ipv6},
    {"bin", "S", Type::Bin, kInternalPhases, f_const, nullptr, "the bytes given in hexadecimal", {}, check_bin},
};

}  // namespace

std::span<const FetchDef> fetch_consts() { return kRows; }

}  // namespace sluice::rules
