#include "rules/domains.h"

namespace sluice::rules {

std::span<const ConvDef> conv_time() { return {}; }

}  // namespace sluice::rules
