// The environment a configuration is read against. `setenv`, `presetenv`, `unsetenv` and
// `resetenv` in `global` change it while the file is parsed, so that the lines after them see
// the change, as in HAProxy.
//
// Without an injected lookup it is the process environment itself: the changes stay after the
// load, so that what runs later (the `env()` fetch, workers forked by the master) sees them as
// HAProxy's do. Parsing happens before any worker thread starts (or in the single-threaded
// master), so changing environ here races with nobody. With an injected lookup (tests, the
// fuzzer) the changes are kept in an overlay and the process environment is never touched.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "config/lexer.h"
#include "core/result.h"

namespace sluice::config {

class Environment {
 public:
  explicit Environment(GetEnv injected = {}) : injected_(std::move(injected)) {}
  Environment(const Environment&) = delete;   // lookup() hands out `this`
  Environment& operator=(const Environment&) = delete;

  std::optional<std::string> get(std::string_view name) const;
  // overwrite=false is `presetenv`: an existing variable (even empty) keeps its value.
  Result<void> set(const std::string& name, const std::string& value, bool overwrite);
  void unset(const std::string& name);
  // Removes every variable but those named.
  void reset(const std::set<std::string, std::less<>>& keep);
  GetEnv lookup() const {
    return [this](std::string_view n) { return get(n); };
  }

 private:
  GetEnv injected_;
  // Injected mode only: nullopt = unset here; `cleared_` = names not in the overlay are unset.
  std::map<std::string, std::optional<std::string>, std::less<>> overlay_;
  bool cleared_ = false;
};

}  // namespace sluice::config
