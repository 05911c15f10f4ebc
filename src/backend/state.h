// Server state changes: the one place where a server's administrative state, operational
// state and weight change. Each takes the backend's lock, commits the change, notifies the
// balancing algorithms once, and logs the transition the way haproxy does, e.g.
//   Server app/web1 is DOWN, reason: Layer4 connection problem, info: "Connection refused",
//   check duration: 0ms. 2 active and 0 backup servers left. 0 sessions active, 0 requeued,
//   0 remaining in queue.
// Callers: the health checks (check/), agents, the runtime API (admin/), server-state loading.
// Any thread may call them.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "backend/server.h"

namespace sluice::backend {

struct Transition {
  std::string reason;     // "Layer4 connection problem", "Layer7 wrong status", "changed from CLI"
  std::string info;       // e.g. "Connection refused", "HTTP status check returned code <404>"
  int64_t check_duration_ms = -1;
  int code = -1;          // HTTP status of a layer-7 check ("code: 200"), -1 when none
};

// The log lines match haproxy 2.6 word for word:
//   DOWN / MAINT: "... N active and M backup servers left.[ Running on backup.] S sessions
//                  active, 0 requeued, 0 remaining in queue."
//   UP / NOLB ("is stopping"): "... N active and M backup servers online.[ Running on
//                  backup.] 0 sessions requeued, 0 total in queue."
// Observers of committed changes (e.g. on-marked-down shutdown-sessions, stats, logs).
// Registered at startup, before workers run.
using StateObserver = std::function<void(Server&, AdminState old_admin, OpState old_op)>;
void add_state_observer(StateObserver obs);

void set_admin_state(Server& s, AdminState st, const Transition& why);
void set_op_state(Server& s, OpState st, const Transition& why);
void set_weight(Server& s, uint32_t weight, std::string_view why);
// Recomputes the effective weight during slowstart; factor in (0,1].
void set_slowstart(Server& s, double factor);

}  // namespace sluice::backend
