#include "rules/domains.h"

namespace sluice::rules {

std::span<const ConvDef> conv_net() { return {}; }

}  // namespace sluice::rules
