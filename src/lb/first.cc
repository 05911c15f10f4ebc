#include "lb/first.h"

#include "lb/server_list.h"

namespace sluice::lb {

Candidate* First::pick(const PickContext& ctx) {
  for (Candidate* c : servers_) {
    if (!pickable(*c, ctx.tried)) continue;
    const uint32_t max = c->max_conns();
    if (max == 0 || c->active_conns() < max) return c;
  }
  return nullptr;
}

}  // namespace sluice::lb
