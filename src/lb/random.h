// `balance random`: weighted random choice, from a seeded xorshift64* generator so a
// given seed gives the same sequence (tests, reproducible runs). Weights are cached in a
// Fenwick tree: O(log n) per pick and per on_server_changed(). A sample that lands on a
// tried or stale server is redrawn a few times, then an O(n) scan decides.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "lb/algorithm.h"
#include "lb/server_list.h"

namespace sluice::lb {

// xorshift64* (Vigna). Any seed works; 0 is replaced by a fixed non-zero constant.
class XorShift64 {
 public:
  explicit XorShift64(uint64_t seed) : state_(seed != 0 ? seed : kDefaultRandomSeed) {}
  uint64_t next() {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return state_ * 0x2545f4914f6cdd1dULL;
  }
  // In [0, bound), bound > 0. Modulo bias is below bound / 2^64: bound is a sum of
  // weights (at most 2^8 * 2^32), so it is negligible.
  uint64_t below(uint64_t bound) { return next() % bound; }

 private:
  uint64_t state_;
};

class Random final : public Algorithm {
 public:
  Random(std::span<Candidate* const> servers, uint64_t seed) : rng_(seed) {
    set_servers(servers);
  }

  // lb::Algorithm
  Candidate* pick(const PickContext& ctx) override;
  void on_server_changed(Candidate& server) override;
  void set_servers(std::span<Candidate* const> servers) override;

 private:
  void sync(uint32_t slot);
  uint32_t find(uint64_t r) const;  // slot whose cumulative weight range holds r
  Candidate* scan(const PickContext& ctx);

  ServerList servers_;
  std::vector<uint32_t> weight_;  // cached weight, 0 when !usable
  std::vector<uint64_t> tree_;    // Fenwick tree over weight_, 1-based
  uint64_t total_ = 0;
  XorShift64 rng_;
};

}  // namespace sluice::lb
