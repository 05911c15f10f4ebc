// proc. variables set outside traffic: `set-var` / `set-var-fmt` in the global section (at
// load, in file order, -c included) and the runtime API's `get var` / `set var`.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/model.h"
#include "rules/registry.h"

namespace sluice::rules {

// Evaluates each line into the process store; each error is "file:line: message".
void set_global_vars(const std::vector<config::GlobalSetVar>& vars, const Resolver* resolver,
                     std::vector<std::string>& errors);

// `get var NAME`: "proc.x: type=sint value=<5>", or HAProxy's messages when there is none.
std::string cli_get_var(std::string_view name);
// `set var NAME [expr] EXPR` / `set var NAME fmt FMT`: "" when done, else the message.
std::string cli_set_var(std::string_view name, bool fmt, std::string_view text);

}  // namespace sluice::rules
