#include "rules/domains.h"

namespace sluice::rules {

std::span<const ConvDef> conv_map() { return {}; }

}  // namespace sluice::rules
