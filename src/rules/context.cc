#include "rules/context.h"

namespace sluice::rules {

bool get_var(Ctx& c, const VarRef& v, Sample& out) {
  if (v.scope == Scope::Proc) {
    // The copy lives in the arena: the process store may change under other threads.
    static thread_local std::string copy;
    if (!ProcVars::instance().get(v.id, out, copy)) return false;
    if (!out.str.empty() && c.arena != nullptr) out.str = c.arena->copy(out.str);
    return true;
  }
  VarStore* s = c.vars(v.scope);
  return s != nullptr && s->get(v.id, out);
}

void set_var(Ctx& c, const VarRef& v, const Sample& s) {
  if (v.scope == Scope::Proc) return ProcVars::instance().set(v.id, s);
  if (VarStore* st = c.vars(v.scope)) st->set(v.id, s);
}

void unset_var(Ctx& c, const VarRef& v) {
  if (v.scope == Scope::Proc) return ProcVars::instance().unset(v.id);
  if (VarStore* st = c.vars(v.scope)) st->unset(v.id);
}

}  // namespace sluice::rules
