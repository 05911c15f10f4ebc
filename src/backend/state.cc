#include "backend/state.h"

#include <mutex>
#include <vector>

#include "backend/backend.h"
#include "core/log.h"

namespace sluice::backend {

namespace {
std::vector<StateObserver>& observers() {
  static std::vector<StateObserver> v;
  return v;
}

void notify(Server& s, AdminState old_admin, OpState old_op) {
  for (auto& o : observers()) o(s, old_admin, old_op);
}

std::string tail(Server& s, const Transition& why) {
  Backend& b = s.backend();
  std::string out;
  if (!why.reason.empty()) out += ", reason: " + why.reason;
  if (why.code >= 0) out += fmt::format(", code: {}", why.code);
  if (!why.info.empty()) out += ", info: \"" + why.info + "\"";
  if (why.check_duration_ms >= 0) out += fmt::format(", check duration: {}ms", why.check_duration_ms);
  uint32_t act = b.usable_active(), bck = b.usable_backup();
  bool online = s.usable() || (s.op_state() == OpState::Nolb && s.admin_state() != AdminState::Maint);
  out += fmt::format(". {} active and {} backup servers {}.", act, bck, online ? "online" : "left");
  if (act == 0 && bck > 0) out += " Running on backup.";
  if (online) out += " 0 sessions requeued, 0 total in queue.";
  else out += fmt::format(" {} sessions active, 0 requeued, 0 remaining in queue.", s.counters.cur_sess.load());
  return out;
}

void log_no_server(Backend& b) {
  if (b.usable_active() == 0 && b.usable_backup() == 0)
    core::log(core::Level::Emerg, "backend {} has no server available!", b.name());
}
}  // namespace

void add_state_observer(StateObserver obs) { observers().push_back(std::move(obs)); }

namespace {
// One state change: `apply` runs under the backend lock with the states from before and
// returns false when there is nothing to change (otherwise it changes, re-balances and
// logs); the observers hear of it after the lock is released.
template <class Apply>
void commit(Server& s, Apply apply) {
  Backend& b = s.backend();
  AdminState old_admin;
  OpState old_op;
  {
    std::lock_guard lk(b.mutex());
    old_admin = s.admin_state();
    old_op = s.op_state();
    if (!apply(b, old_admin, old_op)) return;
  }
  notify(s, old_admin, old_op);
}
}  // namespace

void set_admin_state(Server& s, AdminState st, const Transition& why) {
  commit(s, [&](Backend& b, AdminState old_admin, OpState) {
    if (old_admin == st) return false;
    s.set_admin_state(st);
    b.server_changed_locked(s);
    const char* what = st == AdminState::Maint ? "is going DOWN for maintenance"
                       : st == AdminState::Drain ? "enters drain mode"
                       : old_admin == AdminState::Maint ? "is UP (leaving forced maintenance)"
                                                        : "leaves drain mode";
    core::log(core::Level::Notice, "Server {}/{} {}{}", b.name(), s.name(), what, tail(s, why));
    if (st == AdminState::Maint) log_no_server(b);
    return true;
  });
}

void set_op_state(Server& s, OpState st, const Transition& why) {
  commit(s, [&](Backend& b, AdminState, OpState old_op) {
    if (old_op == st) return false;
    s.set_op_state(st);
    b.server_changed_locked(s);
    const char* what = st == OpState::Down ? "DOWN" : st == OpState::Nolb ? "stopping" : "UP";
    core::log(st == OpState::Down ? core::Level::Alert : core::Level::Notice, "{} {}/{} is {}{}",
              s.is_backup() ? "Backup Server" : "Server", b.name(), s.name(), what, tail(s, why));
    if (st == OpState::Down) log_no_server(b);
    return true;
  });
}

void set_weight(Server& s, uint32_t weight, std::string_view why) {
  Backend& b = s.backend();
  std::lock_guard lk(b.mutex());
  if (s.user_weight() == weight) return;
  s.set_user_weight(weight);
  b.server_changed_locked(s);
  core::debug("Server {}/{} weight set to {} ({})", b.name(), s.name(), weight, why);
}

void set_slowstart(Server& s, double factor) {
  Backend& b = s.backend();
  std::lock_guard lk(b.mutex());
  s.set_slowstart_factor(factor);
  b.server_changed_locked(s);
}

}  // namespace sluice::backend
