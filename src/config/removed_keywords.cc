#include "config/removed_keywords.h"

#include <fmt/format.h>

#include <string_view>

namespace sluice::config {
namespace {

struct Removed {
  std::string_view name;
  std::string_view since;   // the HAProxy release that refuses it, where its message says
  std::string_view advice;  // what to write now
};

// Case-insensitive 1.x variants (`reqi*`, `rspi*`) take the same replacement: the modern rules
// match with `-i` or with a regex that starts with `(?i)`.
constexpr Removed kRemoved[] = {
    {"reqadd", "2.1", "use 'http-request add-header' instead"},
    {"reqrep", "2.1", "use 'http-request replace-header', 'http-request replace-uri' or 'http-request replace-path' instead"},
    {"reqirep", "2.1", "use 'http-request replace-header', 'replace-uri' or 'replace-path' with a '(?i)' regex instead"},
    {"reqdel", "2.1", "use 'http-request del-header' instead"},
    {"reqidel", "2.1", "use 'http-request del-header' instead"},
    {"reqdeny", "2.1", "use 'http-request deny' with a condition instead"},
    {"reqideny", "2.1", "use 'http-request deny' with a condition instead"},
    {"reqallow", "2.1", "use 'http-request allow' with a condition instead"},
    {"reqiallow", "2.1", "use 'http-request allow' with a condition instead"},
    {"reqtarpit", "2.1", "use 'http-request tarpit' with a condition instead"},
    {"reqitarpit", "2.1", "use 'http-request tarpit' with a condition instead"},
    {"reqpass", "2.1", "put an 'unless' condition on the 'http-request' rules it let requests skip"},
    {"reqipass", "2.1", "put an 'unless' condition on the 'http-request' rules it let requests skip"},
    {"reqsetbe", "", "use 'use_backend <backend> if <condition>' instead"},
    {"reqisetbe", "", "use 'use_backend <backend> if <condition>' instead"},
    {"rspadd", "2.1", "use 'http-response add-header' instead"},
    {"rsprep", "2.1", "use 'http-response replace-header' or 'http-response replace-value' instead"},
    {"rspirep", "2.1", "use 'http-response replace-header' or 'http-response replace-value' with a '(?i)' regex instead"},
    {"rspdel", "2.1", "use 'http-response del-header' instead"},
    {"rspidel", "2.1", "use 'http-response del-header' instead"},
    {"rspdeny", "2.1", "use 'http-response deny' with a condition instead"},
    {"rspideny", "2.1", "use 'http-response deny' with a condition instead"},
    {"block", "2.1", "use 'http-request deny' instead (same condition)"},
    {"appsession", "1.6", "use 'cookie <name> prefix' or a stick-table with 'stick on req.cook(<name>)' instead"},
    {"grace", "", "use 'grace' in the 'global' section instead"},
};

constexpr Removed kRemovedOptions[] = {
    {"http-tunnel", "2.1", "remove the line: HAProxy 2.x keeps tunnels after CONNECT and upgrades by itself"},
    {"http_proxy", "2.5", "use 'http-request set-dst' with 'http-request set-uri' instead"},
};

std::string message(std::string_view what, const Removed& r) {
  return fmt::format("{} is not supported by sluice: HAProxy removed it{}{}; {}", what,
                     r.since.empty() ? "" : " in ", r.since, r.advice);
}

}  // namespace

std::optional<std::string> removed_keyword_error(std::span<const std::string> words) {
  if (words.empty()) return std::nullopt;
  size_t i = words[0] == "no" ? 1 : 0;
  if (words.size() > i + 1 && words[i] == "option") {
    for (const auto& r : kRemovedOptions)
      if (words[i + 1] == r.name) return message(fmt::format("'option {}'", r.name), r);
    return std::nullopt;
  }
  for (const auto& r : kRemoved)
    if (words[0] == r.name) return message(fmt::format("'{}'", r.name), r);
  return std::nullopt;
}

}  // namespace sluice::config
