#include "rules/domains.h"

namespace sluice::rules {

std::span<const FetchDef> fetch_l4() { return {}; }

}  // namespace sluice::rules
