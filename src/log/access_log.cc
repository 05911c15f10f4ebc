#include "log/access_log.h"

namespace sluice::log {

// Placeholder until the logging module lands: access logs are not written yet.
void emit(const TxRecord&) {}

}  // namespace sluice::log
