#include "backend/server.h"

#include <algorithm>
#include <cmath>

#include "core/clock.h"
#include "net/socket.h"

namespace sluice::backend {

std::string_view to_string(AdminState s) {
  switch (s) {
    case AdminState::Ready: return "READY";
    case AdminState::Drain: return "DRAIN";
    case AdminState::Maint: return "MAINT";
  }
  return "?";
}

std::string_view to_string(OpState s) {
  switch (s) {
    case OpState::Down: return "DOWN";
    case OpState::Up: return "UP";
    case OpState::Nolb: return "NOLB";
  }
  return "?";
}

std::string_view to_string(CheckStatus s) {
  switch (s) {
    case CheckStatus::None: return "";
    case CheckStatus::Ini: return "INI";
    case CheckStatus::L4Ok: return "L4OK";
    case CheckStatus::L4Tout: return "L4TOUT";
    case CheckStatus::L4Con: return "L4CON";
    case CheckStatus::L6Ok: return "L6OK";
    case CheckStatus::L6Tout: return "L6TOUT";
    case CheckStatus::L6Rsp: return "L6RSP";
    case CheckStatus::L7Ok: return "L7OK";
    case CheckStatus::L7Okc: return "L7OKC";
    case CheckStatus::L7Tout: return "L7TOUT";
    case CheckStatus::L7Rsp: return "L7RSP";
    case CheckStatus::L7Sts: return "L7STS";
    case CheckStatus::SockErr: return "SOCKERR";
  }
  return "?";
}

// The wording of HAProxy's check_reason_string table (src/check.c), used in state logs.
std::string_view describe(CheckStatus s) {
  switch (s) {
    case CheckStatus::None: return "";
    case CheckStatus::Ini: return "Initializing";
    case CheckStatus::L4Ok: return "Layer4 check passed";
    case CheckStatus::L4Tout: return "Layer4 timeout";
    case CheckStatus::L4Con: return "Layer4 connection problem";
    case CheckStatus::L6Ok: return "Layer6 check passed";
    case CheckStatus::L6Tout: return "Layer6 timeout";
    case CheckStatus::L6Rsp: return "Layer6 invalid response";
    case CheckStatus::L7Ok: return "Layer7 check passed";
    case CheckStatus::L7Okc: return "Layer7 check conditionally passed";
    case CheckStatus::L7Tout: return "Layer7 timeout";
    case CheckStatus::L7Rsp: return "Layer7 invalid response";
    case CheckStatus::L7Sts: return "Layer7 wrong status";
    case CheckStatus::SockErr: return "Socket error";
  }
  return "?";
}

Server::Server(Backend& backend, const config::ServerConfig& cfg, uint32_t global_index)
    : backend_(backend), cfg_(cfg), name_(cfg.name), index_(global_index) {
  cookie_ = cfg.cookie;
  uweight_ = cfg.weight;
  if (cfg.id) id_ = *cfg.id;
  admin_ = cfg.disabled ? AdminState::Maint : AdminState::Ready;
  set_addr(cfg.addr.sa);
  last_change_s = static_cast<uint64_t>(core::wall_seconds());
}

uint32_t Server::weight() const {
  if (admin_ != AdminState::Ready || op_ != OpState::Up) return 0;
  if (uweight_ == 0) return 0;
  uint32_t full = uweight_ * lb::kWeightScale;
  if (slowstart_factor_ >= 1.0) return full;
  auto w = static_cast<uint32_t>(std::ceil(full * slowstart_factor_));
  return w == 0 ? 1 : w;
}

uint32_t Server::conn_limit(uint32_t backend_conns, uint32_t fullconn) const {
  uint32_t maxc = cfg_.maxconn;
  if (maxc == 0) return 0;
  uint32_t minc = cfg_.minconn;
  if (slowstart_factor_ < 1.0) {
    // slowstart ramps the connection limit along with the weight
    maxc = std::max<uint32_t>(1, static_cast<uint32_t>(maxc * slowstart_factor_));
  }
  if (minc == 0 || minc >= maxc || fullconn == 0) return maxc;
  // Between minconn and maxconn in proportion to the backend's load against fullconn.
  if (backend_conns >= fullconn) return maxc;
  uint64_t dyn = static_cast<uint64_t>(maxc) * backend_conns / fullconn;
  return std::max<uint32_t>(minc, static_cast<uint32_t>(dyn));
}

bool Server::usable() const { return admin_ != AdminState::Maint && op_ == OpState::Up; }

void Server::set_addr(const sockaddr_storage& ss) {
  addr_ = ss;
  addr_len_ = net::sockaddr_len(ss);
}

void Server::set_admin_state(AdminState s) {
  if (admin_ == s) return;
  admin_ = s;
  last_change_s = static_cast<uint64_t>(core::wall_seconds());
}

void Server::set_op_state(OpState s) {
  if (op_ == s) return;
  if (s == OpState::Down) counters.down_transitions.fetch_add(1, std::memory_order_relaxed);
  uint64_t now = core::monotonic_ms();
  if (s == OpState::Down) {
    down_since_ms_.store(now, std::memory_order_relaxed);
  } else if (op_ == OpState::Down) {
    uint64_t since = down_since_ms_.exchange(0, std::memory_order_relaxed);
    if (since != 0 && now > since) downtime_ms_.fetch_add(now - since, std::memory_order_relaxed);
  }
  op_ = s;
  last_change_s = static_cast<uint64_t>(core::wall_seconds());
}

void Server::set_user_weight(uint32_t w) { uweight_ = w; }
void Server::set_slowstart_factor(double f) { slowstart_factor_ = f <= 0 ? 0.0 : (f > 1 ? 1.0 : f); }

}  // namespace sluice::backend
