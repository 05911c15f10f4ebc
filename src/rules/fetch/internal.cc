#include "rules/domains.h"

namespace sluice::rules {

std::span<const FetchDef> fetch_internal() { return {}; }

}  // namespace sluice::rules
