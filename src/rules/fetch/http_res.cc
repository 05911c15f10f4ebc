#include "rules/domains.h"

namespace sluice::rules {

std::span<const FetchDef> fetch_http_res() { return {}; }

}  // namespace sluice::rules
