#include "rules/domains.h"

namespace sluice::rules {

std::span<const ConvDef> conv_hash() { return {}; }

}  // namespace sluice::rules
