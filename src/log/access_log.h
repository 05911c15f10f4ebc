// Access logging entry point. emit() formats a record according to the frontend's options
// (option httplog / tcplog / log-format, dontlognull, log-separate-errors) and hands it to
// the log targets without blocking (a ring buffer drained by the log writer; a full ring
// drops the line and counts it). Safe to call from any worker thread.
#pragma once

#include "log/record.h"

namespace sluice::log {

void emit(const TxRecord& rec);

}  // namespace sluice::log
