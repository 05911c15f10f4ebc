// Process messages (not access logs): startup, alerts, warnings, state changes, debug traces.
// They go to stderr unless quiet, in HAProxy's "[WARNING]  (pid) : message" shape, and to
// the configured log targets once the log module is up (log::set_sink).
#pragma once

#include <fmt/format.h>

#include <functional>
#include <string_view>

namespace sluice::core {

enum class Level : uint8_t { Emerg, Alert, Crit, Err, Warning, Notice, Info, Debug };

void set_log_quiet(bool quiet);
void set_log_debug(bool debug);
bool log_debug_enabled();
// Extra destination (syslog targets); called with level and the bare message.
void set_log_sink(std::function<void(Level, std::string_view)> sink);
void log_message(Level level, std::string_view msg);

template <class... Args>
void log(Level level, fmt::format_string<Args...> f, Args&&... args) {
  log_message(level, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
  if (log_debug_enabled()) log_message(Level::Debug, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace sluice::core
