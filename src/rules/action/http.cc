#include "rules/domains.h"

namespace sluice::rules {

std::span<const ActionDef> action_http() { return {}; }

}  // namespace sluice::rules
