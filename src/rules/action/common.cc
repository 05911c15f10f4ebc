#include "rules/domains.h"

namespace sluice::rules {

std::span<const ActionDef> action_common() { return {}; }

}  // namespace sluice::rules
