#include "rules/domains.h"

namespace sluice::rules {

std::span<const ConvDef> conv_encode() { return {}; }

}  // namespace sluice::rules
