// Average queue, connect, response and total times of the last transactions, per server
// and per backend: HAProxy's qtime / ctime / rtime / ttime (and their *_max) in `show stat`,
// the stats page and the Prometheus exporter.
//
// A sliding average over the last kWindow samples (exact while fewer have been seen), kept
// as a sum scaled by the window, as HAProxy's swrate. Updated by every worker with relaxed
// atomics and no lock: two racing updates may lose one sample, never corrupt the value.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>

namespace sluice::backend {

class TxTimes {
 public:
  static constexpr uint32_t kWindow = 1024;

  // One finished transaction, in ms. A negative value (phase not reached) skips that
  // transaction entirely, as HAProxy only averages complete exchanges; `response_ms` is
  // 0 for TCP.
  void add(int64_t queue_ms, int64_t connect_ms, int64_t response_ms, int64_t total_ms) {
    if (queue_ms < 0 || connect_ms < 0 || response_ms < 0 || total_ms < 0) return;
    // Until the window is full the sum is a plain sum (the average is exact); then each
    // sample replaces one window-th of it.
    bool full = samples_.load(std::memory_order_relaxed) >= kWindow;
    if (!full) samples_.fetch_add(1, std::memory_order_relaxed);
    q_.add(queue_ms, full);
    c_.add(connect_ms, full);
    r_.add(response_ms, full);
    t_.add(total_ms, full);
  }
  struct Snapshot {
    uint64_t q, c, r, t, q_max, c_max, r_max, t_max;
  };
  Snapshot get() const {
    uint32_t n = std::min(samples_.load(std::memory_order_relaxed), kWindow);
    return {q_.avg(n), c_.avg(n), r_.avg(n), t_.avg(n), q_.max(), c_.max(), r_.max(), t_.max()};
  }

 private:
  class Avg {
   public:
    void add(int64_t v, bool full) {
      auto u = static_cast<uint64_t>(v);
      uint64_t s = sum_.load(std::memory_order_relaxed);
      sum_.store((full ? s - s / kWindow : s) + u, std::memory_order_relaxed);
      if (u > max_.load(std::memory_order_relaxed)) max_.store(u, std::memory_order_relaxed);
    }
    uint64_t avg(uint32_t n) const { return n ? sum_.load(std::memory_order_relaxed) / n : 0; }
    uint64_t max() const { return max_.load(std::memory_order_relaxed); }

   private:
    std::atomic<uint64_t> sum_{0}, max_{0};
  };
  std::atomic<uint32_t> samples_{0};
  Avg q_, c_, r_, t_;
};

}  // namespace sluice::backend
