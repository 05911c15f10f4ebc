#include "rules/domains.h"

namespace sluice::rules {

std::span<const ConvDef> conv_arith() { return {}; }

}  // namespace sluice::rules
