// Helpers shared by the Config* test suites.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "config/loader.h"

namespace sluice::config::testing {

inline LoadOptions opts(std::map<std::string, std::string> env = {}) {
  LoadOptions o;
  o.resolve = false;
  o.getenv = [env = std::move(env)](std::string_view n) -> std::optional<std::string> {
    auto it = env.find(std::string(n));
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  return o;
}

inline std::string dump(const LoadResult& r) {
  std::string s;
  for (const auto& d : r.diagnostics) s += d.format() + "\n";
  return s;
}

inline bool has_diag(const LoadResult& r, std::string_view needle, bool warning = false) {
  for (const auto& d : r.diagnostics)
    if (d.warning == warning && d.format().find(needle) != std::string::npos) return true;
  return false;
}

inline int error_count(const LoadResult& r) {
  int n = 0;
  for (const auto& d : r.diagnostics) n += d.warning ? 0 : 1;
  return n;
}

// Timeouts so that the "missing timeouts" warnings stay out of the way.
inline constexpr const char* kDefaults =
    "defaults\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\n";

inline LoadResult load(std::string_view text, std::map<std::string, std::string> env = {}) {
  return load_string(text, "t.cfg", opts(std::move(env)));
}

}  // namespace sluice::config::testing
