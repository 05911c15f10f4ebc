#include "rules/domains.h"

namespace sluice::rules {

std::span<const FetchDef> fetch_http_req() { return {}; }

}  // namespace sluice::rules
