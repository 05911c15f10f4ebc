#include "core/log.h"

#include <unistd.h>

#include <cstdio>
#include <mutex>

namespace sluice::core {
namespace {
bool g_quiet = false;
bool g_debug = false;
std::mutex g_mu;
std::function<void(Level, std::string_view)> g_sink;

const char* tag(Level l) {
  switch (l) {
    case Level::Emerg: return "EMERG";
    case Level::Alert: return "ALERT";
    case Level::Crit: return "CRIT";
    case Level::Err: return "ALERT";
    case Level::Warning: return "WARNING";
    case Level::Notice: return "NOTICE";
    case Level::Info: return "INFO";
    case Level::Debug: return "DEBUG";
  }
  return "?";
}
}  // namespace

void set_log_quiet(bool quiet) { g_quiet = quiet; }
void set_log_debug(bool debug) { g_debug = debug; }
bool log_debug_enabled() { return g_debug; }
void set_log_sink(std::function<void(Level, std::string_view)> sink) {
  std::lock_guard lk(g_mu);
  g_sink = std::move(sink);
}

void log_message(Level level, std::string_view msg) {
  std::lock_guard lk(g_mu);
  // quiet hides notices and below, as haproxy -q does; alerts always show.
  bool show = level <= Level::Warning || (!g_quiet && level <= Level::Info) ||
              (g_debug && level == Level::Debug);
  if (show) {
    std::string line = fmt::format("[{}]{}({}) : {}\n", tag(level),
                                   std::string(8 - std::string_view(tag(level)).size(), ' '),
                                   getpid(), msg);
    ssize_t r = ::write(2, line.data(), line.size());
    (void)r;
  }
  if (g_sink && level != Level::Debug) g_sink(level, msg);
}

}  // namespace sluice::core
