#include "rules/domains.h"

namespace sluice::rules {

std::span<const FetchDef> fetch_consts() { return {}; }

}  // namespace sluice::rules
