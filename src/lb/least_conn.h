// `balance leastconn`: the server with the lowest (active_conns + 1) / weight.
//
// The +1 (as HAProxy does) lets weight matter on an idle farm: with weights 3 and 1,
// the heavier server takes the first three connections. Equal loads rotate: the server
// picked least recently wins. Servers sit in an indexed heap keyed on the exact ratio
// (compared by cross-multiplication), so pick() and on_server_changed() are O(log n).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "lb/algorithm.h"
#include "lb/indexed_heap.h"
#include "lb/server_list.h"

namespace sluice::lb {

class LeastConn final : public Algorithm {
 public:
  explicit LeastConn(std::span<Candidate* const> servers);
  LeastConn(const LeastConn&) = delete;
  LeastConn& operator=(const LeastConn&) = delete;

  // lb::Algorithm
  Candidate* pick(const PickContext& ctx) override;
  // Must be called when active_conns() changes, not only weight or usability: the heap
  // orders on the values seen here. pick() re-checks the head before returning it.
  void on_server_changed(Candidate& server) override;
  void set_servers(std::span<Candidate* const> servers) override;

 private:
  struct Slot {
    uint64_t seq = 0;  // last pick (or entry): lower wins ties
    uint32_t conns = 0;
    uint32_t weight = 0;  // 0 = not in the heap
  };
  struct LessLoaded {
    const LeastConn* lc;
    bool operator()(uint32_t a, uint32_t b) const;
  };

  void sync(uint32_t slot);
  bool stale(uint32_t slot) const;

  ServerList servers_;
  std::vector<Slot> slots_;
  IndexedHeap<LessLoaded> heap_{LessLoaded{this}};
  std::vector<uint32_t> skipped_;
  uint64_t seq_ = 0;
};

}  // namespace sluice::lb
