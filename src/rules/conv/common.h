// Small helpers shared by the converter files (rules/conv/*.cc).
#pragma once

#include <array>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <string_view>

#include "rules/registry.h"

namespace sluice::rules::conv {

// A set of bytes (field/word delimiters, trim characters), built once at load.
struct ByteSet {
  std::array<bool, 256> has{};
  explicit ByteSet(std::string_view chars) {
    for (char ch : chars) has[static_cast<unsigned char>(ch)] = true;
  }
  bool operator()(char ch) const { return has[static_cast<unsigned char>(ch)]; }
};

// `n` writable bytes in the transaction arena, handed out as the sample's new value.
inline char* out_bytes(Ctx& c, size_t n) { return c.mem().alloc(n == 0 ? 1 : n); }

// The parts one after the other, in the arena.
inline std::string_view join(Ctx& c, std::initializer_list<std::string_view> parts) {
  size_t n = 0;
  for (auto p : parts) n += p.size();
  char* out = out_bytes(c, n);
  char* w = out;
  for (auto p : parts) {
    if (!p.empty()) std::memcpy(w, p.data(), p.size());
    w += p.size();
  }
  return {out, n};
}

// A variable's value cast to `to` (converters that read one: concat, strcmp, arithmetic...).
inline bool var_as(Ctx& c, const VarRef& v, Type to, Sample& out) {
  return get_var(c, v, out) && cast(out, to, c.mem());
}

}  // namespace sluice::rules::conv
