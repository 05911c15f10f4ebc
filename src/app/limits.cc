#include "app/limits.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "core/log.h"

namespace sluice::app {

namespace {
// Standard streams, pid file, state files, the log writer, a handover or master channel,
// the ready pipe: a few descriptors any process holds besides its sockets.
constexpr uint64_t kFixedReserve = 16;
constexpr uint64_t kPerThread = 3;   // epoll, its wakeup eventfd, a timer or signalfd
// A soft limit of "unlimited" (or a huge one) would give an absurd automatic maxconn.
constexpr uint64_t kMaxAutoFds = uint64_t{1} << 20;
}  // namespace

uint64_t reserved_fds(const config::Config& cfg) {
  const auto& g = cfg.global;
  uint64_t n = kFixedReserve + kPerThread * std::max<uint32_t>(1, g.nbthread);
  n += g.stats_sockets.size() + std::max<uint32_t>(1, g.stats_maxconn);   // runtime API and its clients
  n += g.logs.size();
  for (const auto& p : cfg.proxies) {
    n += p.binds.size() + p.logs.size();
    for (const auto& s : p.servers) n += (s.check ? 1 : 0) + (s.agent_check ? 1 : 0);   // one probe at a time each
  }
  return n;
}

Result<FdPlan> plan_fds(const config::Config& cfg, uint64_t soft, uint64_t hard) {
  const auto& g = cfg.global;
  FdPlan plan;
  uint64_t reserve = reserved_fds(cfg);
  if (g.maxconn) {
    plan.maxconn = *g.maxconn;
    plan.maxsock = 2 * uint64_t{*g.maxconn} + reserve;
    if (g.ulimit_n) {
      plan.nofile = *g.ulimit_n;
      if (plan.nofile < plan.maxsock)
        plan.warnings.push_back(fmt::format(
            "ulimit-n {} is lower than the {} file descriptors that maxconn {} needs: connections "
            "beyond the limit wait in the listen queue",
            plan.nofile, plan.maxsock, plan.maxconn));
    } else {
      plan.nofile = std::max(soft, plan.maxsock);
    }
    plan.above_hard = plan.nofile > hard;
    return plan;
  }
  // As haproxy: the soft limit goes up to the hard one (anyone may do that), and maxconn
  // follows from it.
  uint64_t raised = g.ulimit_n ? uint64_t{*g.ulimit_n} : std::max(soft, std::min(hard, kMaxAutoFds));
  uint64_t limit = std::min(raised, kMaxAutoFds);
  if (limit < reserve + 2)
    return fail(fmt::format("the file descriptor limit ({}) is too low: this configuration needs at least {} "
                            "(raise 'ulimit -n' or set 'ulimit-n')",
                            limit, reserve + 2));
  plan.maxconn = static_cast<uint32_t>(std::min<uint64_t>((limit - reserve) / 2, UINT32_MAX));
  plan.maxsock = 2 * uint64_t{plan.maxconn} + reserve;
  plan.nofile = raised;
  plan.above_hard = plan.nofile > hard;
  return plan;
}

Result<FdPlan> apply_fd_limits(config::Config& cfg) {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return fail(fmt::format("getrlimit: {}", std::strerror(errno)));
  auto plan = plan_fds(cfg, rl.rlim_cur, rl.rlim_max);
  if (!plan) return plan;
  bool automatic = !cfg.global.maxconn && !cfg.global.ulimit_n;
  if (automatic && plan->nofile != rl.rlim_cur) {
    // Nothing asked for: if the kernel refuses the raise (fs.nr_open), live with the soft limit.
    rlimit want{static_cast<rlim_t>(plan->nofile), rl.rlim_max};
    if (::setrlimit(RLIMIT_NOFILE, &want) != 0) plan = plan_fds(cfg, rl.rlim_cur, rl.rlim_cur);
    if (!plan) return plan;
  } else if (plan->nofile != rl.rlim_cur) {
    rlimit want{static_cast<rlim_t>(plan->nofile), std::max<rlim_t>(rl.rlim_max, static_cast<rlim_t>(plan->nofile))};
    if (plan->above_hard && ::geteuid() != 0)
      return fail(fmt::format("cannot raise the file descriptor limit to {}: the hard limit is {} and only root "
                              "may raise it (lower maxconn or ulimit-n, or raise 'ulimit -Hn')",
                              plan->nofile, rl.rlim_max));
    if (::setrlimit(RLIMIT_NOFILE, &want) != 0)
      return fail(fmt::format("cannot set the file descriptor limit to {} (hard limit {}): {}", plan->nofile,
                              rl.rlim_max, std::strerror(errno)));
  }
  for (const auto& w : plan->warnings) core::log(core::Level::Warning, "{}", w);
  cfg.global.maxconn = plan->maxconn;
  return plan;
}

}  // namespace sluice::app
