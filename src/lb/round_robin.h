// Smooth weighted round robin (`balance roundrobin` and `balance static-rr`).
//
// Each server in rotation has a virtual deadline; pick() serves the earliest one and
// moves it kSpan / weight further, so over a cycle of sum(weight) picks every server is
// served exactly weight times, interleaved (2:1 gives "abaaba", never "aab"). Ties go to
// the server that has waited longest, then declaration order. O(log n) per pick.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "lb/algorithm.h"
#include "lb/indexed_heap.h"
#include "lb/server_list.h"

namespace sluice::lb {

class RoundRobin final : public Algorithm {
 public:
  // Dynamic: weight changes take effect at once (roundrobin).
  // Static: a server keeps the weight it had when it entered the rotation (at build,
  // when it comes back up, or when its weight leaves 0); only drain (0) and up/down
  // take effect at run time (static-rr, as in HAProxy).
  enum class Weights : uint8_t { Dynamic, Static };

  explicit RoundRobin(std::span<Candidate* const> servers, Weights mode = Weights::Dynamic);
  RoundRobin(const RoundRobin&) = delete;
  RoundRobin& operator=(const RoundRobin&) = delete;

  // lb::Algorithm
  Candidate* pick(const PickContext& ctx) override;
  void on_server_changed(Candidate& server) override;
  void set_servers(std::span<Candidate* const> servers) override;

  // Virtual time for one full turn of every server (a server moves kSpan / weight per pick).
  static constexpr uint64_t kSpan = uint64_t{1} << 24;

 private:
  struct Slot {
    uint64_t deadline = 0;  // virtual time of its next turn
    uint64_t seq = 0;       // when it was last (re)scheduled: older wins ties
    uint32_t weight = 0;    // weight the schedule uses; 0 = out of rotation
    uint32_t rem = 0;       // carried remainder of kSpan / weight, keeps cycles exact
  };
  struct Earlier {
    const RoundRobin* rr;
    bool operator()(uint32_t a, uint32_t b) const;
  };

  void sync(uint32_t slot);  // re-reads the server's state, (re)queues or removes it
  bool stale(uint32_t slot) const;
  void enter(uint32_t slot, uint32_t weight);
  void advance(uint32_t slot);
  void rebuild_heap();

  Weights mode_;
  ServerList servers_;
  std::vector<Slot> slots_;
  IndexedHeap<Earlier> heap_{Earlier{this}};
  std::vector<uint32_t> skipped_;  // scratch for pick(), kept to avoid allocations
  uint64_t now_ = 0;               // deadline of the latest pick; monotonic
  uint64_t seq_ = 0;
};

}  // namespace sluice::lb
