#include "config/environment.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

extern char** environ;

namespace sluice::config {

std::optional<std::string> Environment::get(std::string_view name) const {
  if (!injected_) {
    const char* v = ::getenv(std::string(name).c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  }
  if (auto it = overlay_.find(name); it != overlay_.end()) return it->second;
  if (cleared_) return std::nullopt;
  return injected_(name);
}

Result<void> Environment::set(const std::string& name, const std::string& value, bool overwrite) {
  // setenv(3) refuses these; the overlay must refuse them the same way.
  if (name.empty() || name.find('=') != std::string::npos)
    return fail(fmt::format("invalid variable name '{}'", name));
  if (!injected_) {
    if (::setenv(name.c_str(), value.c_str(), overwrite ? 1 : 0) != 0)
      return fail(fmt::format("cannot set variable '{}': {}", name, std::strerror(errno)));
    return {};
  }
  if (!overwrite && get(name)) return {};
  overlay_[name] = value;
  return {};
}

void Environment::unset(const std::string& name) {
  if (!injected_) {
    ::unsetenv(name.c_str());
    return;
  }
  overlay_[name] = std::nullopt;
}

void Environment::reset(const std::set<std::string, std::less<>>& keep) {
  if (!injected_) {
    std::vector<std::string> names;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
      std::string_view entry(*e);
      std::string_view n = entry.substr(0, entry.find('='));
      if (!keep.contains(n)) names.emplace_back(n);
    }
    for (const auto& n : names) ::unsetenv(n.c_str());
    return;
  }
  std::map<std::string, std::optional<std::string>, std::less<>> kept;
  for (const auto& n : keep)
    if (auto v = get(n)) kept[n] = std::move(v);
  overlay_ = std::move(kept);
  cleared_ = true;
}

}  // namespace sluice::config
