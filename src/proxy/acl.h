// Conditions and the rule context of the proxy layer are the rules engine's (rules/acl.h,
// rules/context.h); these names keep the proxy code short.
#pragma once

#include "rules/acl.h"
#include "rules/context.h"

namespace sluice::proxy {

using Condition = rules::Condition;
using AclContext = rules::Ctx;

}  // namespace sluice::proxy
