// Pure helpers of the runtime API: the line tokenizer, access levels, small value parsers.
// No I/O and no Runtime here, so the fuzzer and the unit tests use them directly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/model.h"
#include "core/result.h"

namespace sluice::admin {

using Level = config::StatsSocket::Level;   // User < Operator < Admin (as HAProxy)

std::string_view to_string(Level l);
inline bool allowed(Level have, Level need) {
  return static_cast<int>(have) >= static_cast<int>(need);
}

using Words = std::vector<std::string>;

// One input line -> its commands, each a list of words. Commands are separated by an
// unquoted, unescaped `;`; words by spaces or tabs. A backslash escapes the next character
// (outside single quotes); '...' and "..." group words. Empty commands are dropped.
// Errors (unterminated quote, trailing backslash) come back as a message.
Result<std::vector<Words>> tokenize(std::string_view line);

constexpr size_t kMaxLine = 16384;   // longer lines are refused

// "B/S" -> {B, S}; nullopt without exactly one '/' separating two non-empty names.
std::optional<std::pair<std::string, std::string>> split_server(std::string_view s);

// Decimal unsigned number, whole string; nullopt on anything else or overflow.
std::optional<uint64_t> parse_uint(std::string_view s);

// `set weight` value: "N" absolute (0..256) or "N%" of the initial weight.
// Returns the new user weight or the HAProxy-style error message.
Result<uint32_t> parse_weight(std::string_view v, uint32_t initial);

// `wait` delay: a number with optional us/ms/s/m/h/d unit (bare = milliseconds).
std::optional<uint64_t> parse_delay_ms(std::string_view s);

}  // namespace sluice::admin
