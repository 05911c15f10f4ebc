// Log destinations (`log` lines) and the process-wide writer that feeds them.
//
// Workers call submit() with a finished message; it goes into one lock-free ring (capacity
// kRingLines) and a dedicated writer thread adds each target's syslog header and sends it:
// UDP (non-blocking sendto), a unix datagram socket, or fd 1/2 (stdout/stderr, one line
// each). A full ring drops the line and counts it (dropped_lines(), `show info`
// DroppedLogs, haproxy_process_dropped_logs_total). The writer starts on first use and is
// stopped, after draining, at process exit.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/model.h"

namespace sluice::log {

// syslog severities (RFC 5424 §6.2.1).
enum class Severity : uint8_t { Emerg, Alert, Crit, Err, Warning, Notice, Info, Debug };

enum class Format : uint8_t { Rfc3164, Rfc5424, Short, Raw, Local, Priority, Timed, Iso };

struct Target {
  config::LogTarget cfg;
  Format format = Format::Local;
  int facility = 16;                 // local0
  int max_level = 7;                 // messages less severe than this are not sent
  int min_level = -1;                // messages more severe are sent at this level (-1: off)
  int fd = -1;                       // socket for udp/unix targets, 1/2 for stdout/stderr
  bool connected = false;            // unix: connected at open, so that it still works after chroot
};

// The targets a message goes to, shared by the proxies that use them (immutable).
struct TargetSet {
  std::vector<Target> targets;
  ~TargetSet();
};

// Opens sockets for the targets (a `log global` entry expands to `global`). Targets that
// cannot be opened are reported in `errors` and skipped.
std::shared_ptr<const TargetSet> open_targets(const std::vector<config::LogTarget>& own,
                                              const std::vector<config::LogTarget>& global,
                                              std::vector<std::string>& errors);

struct HeaderEnv {
  std::string_view tag;         // log-tag; "sluice" by default
  std::string_view hostname;    // rfc5424 host; rfc3164 only when log-send-hostname is set
  bool send_hostname = false;
  int pid = 0;
};
// The syslog header of one message for one target (everything before the message).
std::string header(Format f, int facility, int level, uint64_t wall_us, const HeaderEnv& env);
Format parse_format(std::string_view name);
int parse_facility(std::string_view name);
int parse_level(std::string_view name);   // -1 when empty/unknown

// Any thread; never blocks. Returns false (and counts a drop) when the ring is full.
bool submit(std::shared_ptr<const TargetSet> targets, Severity level, std::string msg,
            uint64_t wall_us);
uint64_t dropped_lines();
uint64_t sent_lines();
// Tag / hostname for headers; set from the global section (log-tag, log-send-hostname).
void set_header_env(std::string tag, std::string hostname, bool send_hostname);
// Waits until every line submitted so far has been written (tests, shutdown).
void flush();

}  // namespace sluice::log
