// Proxy-section keywords HAProxy dropped (the 1.x header-regex rules and their kin). HAProxy
// 2.6 refuses them and names what replaces them; sluice does the same, in its own words, so
// that an old configuration fails at the line to rewrite instead of "unknown keyword".
//
// Only keywords sluice does not implement are listed: the 1.x forms sluice still accepts with
// a warning (`redispatch`, `contimeout`/`clitimeout`/`srvtimeout`, `monitor-net`, `option
// forceclose`) are parsed where they always were (proxy_keywords.cc).
#pragma once

#include <optional>
#include <span>
#include <string>

namespace sluice::config {

// The error for a line whose keyword (or `option NAME`, `no option NAME`) HAProxy removed,
// or nullopt. The text contains "not supported by sluice" and the replacement.
std::optional<std::string> removed_keyword_error(std::span<const std::string> words);

}  // namespace sluice::config
