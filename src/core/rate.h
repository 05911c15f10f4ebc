// Event rate over a sliding second, as haproxy's freq_ctr: the previous second's count,
// weighted by the part of it still inside the window, plus the current second's count.
// Relaxed atomics: with several threads the figure is an approximation, never a race.
#pragma once

#include <atomic>
#include <cstdint>

namespace sluice::core {

class RateCounter {
 public:
  void hit(uint64_t now_ms) {
    uint64_t s = now_ms / 1000;
    uint64_t cur_sec = sec_.load(std::memory_order_relaxed);
    if (s != cur_sec && sec_.compare_exchange_strong(cur_sec, s, std::memory_order_relaxed)) {
      prev_.store(s == cur_sec + 1 ? cur_.load(std::memory_order_relaxed) : 0, std::memory_order_relaxed);
      cur_.store(0, std::memory_order_relaxed);
    }
    cur_.fetch_add(1, std::memory_order_relaxed);
    uint32_t r = rate(now_ms);
    if (r > max_.load(std::memory_order_relaxed)) max_.store(r, std::memory_order_relaxed);
  }
  uint32_t rate(uint64_t now_ms) const {
    uint64_t s = now_ms / 1000, frac = now_ms % 1000;
    uint64_t sec = sec_.load(std::memory_order_relaxed);
    uint64_t cur = cur_.load(std::memory_order_relaxed), prev = prev_.load(std::memory_order_relaxed);
    if (s == sec) return static_cast<uint32_t>(prev * (1000 - frac) / 1000 + cur);
    if (s == sec + 1) return static_cast<uint32_t>(cur * (1000 - frac) / 1000);
    return 0;
  }
  uint32_t max() const { return max_.load(std::memory_order_relaxed); }
  void clear_max() { max_.store(0, std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> sec_{0};
  std::atomic<uint32_t> cur_{0}, prev_{0}, max_{0};
};

}  // namespace sluice::core
