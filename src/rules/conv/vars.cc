#include "rules/domains.h"

namespace sluice::rules {

std::span<const ConvDef> conv_vars() { return {}; }

}  // namespace sluice::rules
