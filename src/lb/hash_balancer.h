// Hash-based balancing (`balance source|uri|hdr(...)`): PickContext::hash_key chooses
// the server, so the same key keeps going to the same server.
//
// MapHash (`hash-type map-based`): a table of sum(weight) slots where each server holds
// `weight` slots, interleaved as smooth round robin would order them; key % size picks
// the slot. O(1) pick. Static weights (see weights_are_dynamic()); the table is rebuilt,
// O(W log n), only when a server enters or leaves, and then most keys move.
//
// ConsistentHash (`hash-type consistent`): a ring with weight * kPointsPerWeight points
// per server, placed by hashing the server's name (not its position), so a reload or a
// re-ordered config keeps the ring. O(log P) pick. A server going down only moves its
// own keys; a weight change adds or removes its highest-numbered points only.
//
// Both: without a hash_key they fall back to smooth round robin. When the hashed server
// is tried, unusable or drained, they walk on (next table slot / next ring point) to the
// first pickable server, deterministically.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "lb/algorithm.h"
#include "lb/round_robin.h"
#include "lb/server_list.h"

namespace sluice::lb {

// murmur3 fmix64: a cheap bijective mixer with full avalanche.
constexpr uint64_t mix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

class MapHash final : public Algorithm {
 public:
  explicit MapHash(std::span<Candidate* const> servers);
  MapHash(const MapHash&) = delete;
  MapHash& operator=(const MapHash&) = delete;

  // lb::Algorithm
  Candidate* pick(const PickContext& ctx) override;
  void on_server_changed(Candidate& server) override;
  void set_servers(std::span<Candidate* const> servers) override;

  // The table, as slot indexes into the server list (tests, `show` commands).
  std::span<const uint32_t> table() const { return table_; }

 private:
  void rebuild();

  ServerList servers_;
  std::vector<uint32_t> weight_;  // weight each server has in table_ (0 = absent)
  std::vector<uint32_t> table_;
  RoundRobin fallback_;
};

class ConsistentHash final : public Algorithm {
 public:
  static constexpr uint32_t kPointsPerWeight = 16;

  explicit ConsistentHash(std::span<Candidate* const> servers);
  ConsistentHash(const ConsistentHash&) = delete;
  ConsistentHash& operator=(const ConsistentHash&) = delete;

  // lb::Algorithm
  Candidate* pick(const PickContext& ctx) override;
  void on_server_changed(Candidate& server) override;
  void set_servers(std::span<Candidate* const> servers) override;

  size_t ring_size() const { return ring_.size(); }

 private:
  struct Point {
    uint64_t pos;
    uint32_t slot;
    friend bool operator<(const Point& a, const Point& b) {
      return a.pos != b.pos ? a.pos < b.pos : a.slot < b.slot;
    }
  };
  void sync(uint32_t slot);

  ServerList servers_;
  std::vector<uint32_t> weight_;  // weight each server has on the ring (0 = absent)
  std::vector<Point> ring_;       // sorted
  RoundRobin fallback_;
};

}  // namespace sluice::lb
