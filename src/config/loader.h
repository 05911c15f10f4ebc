// Entry points of the configuration module: HAProxy-dialect text in, a validated Config out.
// Everything here runs at load time on the main thread (or on the admin loop for the helpers
// used by `add server` / `set server addr`); nothing is cached between calls.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/model.h"
#include "core/result.h"

namespace sluice::config {

struct LoadOptions {
  // Environment lookup for `$VAR` / `${VAR}`; unset = ::getenv. Tests inject a map.
  std::function<std::optional<std::string>(std::string_view)> getenv;
  bool resolve = true;   // resolve host names with getaddrinfo at load time
};

struct LoadResult {
  std::optional<Config> config;          // set only when there is no error
  std::vector<Diagnostic> diagnostics;   // ALL errors and warnings, in file order
  bool ok() const { return config.has_value(); }
};

// Paths may be files or directories (a directory's *.cfg files, sorted), read in order and
// concatenated like `haproxy -f a -f b`: a section may not span two files.
LoadResult load_files(const std::vector<std::string>& paths, const LoadOptions& opts = {});
LoadResult load_string(std::string_view text, std::string_view file_name,
                       const LoadOptions& opts = {});

// "us ms s m h d"; a bare number is milliseconds. `us` rounds up to whole milliseconds.
Result<Millis> parse_duration(std::string_view text);
// Bytes with optional k/m/g suffix (powers of 1024).
Result<uint64_t> parse_size(std::string_view text);
// HAProxy address syntax: [ipv4@|ipv6@|unix@|fd@]HOST[:PORT], /path, *:port, :port.
// for_bind: a port (or range, first port kept) is required for inet addresses.
// resolve=false leaves sa unset (AF_UNSPEC) for names and still parses literals.
Result<Address> parse_address(std::string_view text, bool for_bind, bool resolve = true);
// "10.0.0.0/8", "192.168.1.1" (host = /32 or /128), "10.0.0.0/255.0.0.0".
Result<Cidr> parse_cidr(std::string_view text);

// Applies the keyword tail of `server NAME ADDR kw...` (or `default-server kw...`) onto s.
// runtime_only restricts to the keywords the runtime API `add server` accepts.
Result<void> apply_server_keywords(ServerConfig& s, std::span<const std::string> words,
                                   bool runtime_only);

}  // namespace sluice::config
