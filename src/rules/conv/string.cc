#include "rules/domains.h"

namespace sluice::rules {

std::span<const ConvDef> conv_string() { return {}; }

}  // namespace sluice::rules
