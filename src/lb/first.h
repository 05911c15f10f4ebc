// `balance first`: the first server in declaration order that is usable, has weight > 0
// and is below its maxconn (max_conns() == 0 = no limit) takes the connection, so
// server 1 fills up before server 2 gets any. Weights only matter as 0 (drain).
// O(n) per pick; `first` farms are small by design (the point is to power spares off).
#pragma once

#include <span>
#include <vector>

#include "lb/algorithm.h"

namespace sluice::lb {

class First final : public Algorithm {
 public:
  explicit First(std::span<Candidate* const> servers) { set_servers(servers); }

  // lb::Algorithm
  Candidate* pick(const PickContext& ctx) override;
  void on_server_changed(Candidate&) override {}  // reads live state on each pick
  void set_servers(std::span<Candidate* const> servers) override {
    servers_.assign(servers.begin(), servers.end());
  }

 private:
  std::vector<Candidate*> servers_;
};

}  // namespace sluice::lb
