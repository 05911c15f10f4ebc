// A bounded multi-producer queue (Dmitry Vyukov's array queue): workers push log lines
// without taking a lock, the log writer pops them. A full ring refuses the push at once,
// so a slow log destination costs lines (counted by the caller), never worker latency.
//
// Each cell carries a sequence number: seq == pos means "free for the producer at pos",
// seq == pos + 1 means "filled, for the consumer at pos". Capacity is a power of two.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <utility>

#include "core/assert.h"

namespace sluice::log {

template <class T>
class Ring {
 public:
  explicit Ring(size_t capacity) : mask_(capacity - 1), cells_(new Cell[capacity]) {
    SLUICE_CHECK(capacity >= 2 && (capacity & (capacity - 1)) == 0, "ring capacity must be a power of two");
    for (size_t i = 0; i < capacity; ++i) cells_[i].seq.store(i, std::memory_order_relaxed);
  }
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;

  // Any thread. False when the ring is full (`v` is left untouched).
  bool push(T& v) {
    size_t pos = head_.load(std::memory_order_relaxed);
    for (;;) {
      Cell& c = cells_[pos & mask_];
      size_t seq = c.seq.load(std::memory_order_acquire);
      auto diff = static_cast<std::ptrdiff_t>(seq) - static_cast<std::ptrdiff_t>(pos);
      if (diff == 0) {
        if (head_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
          c.value = std::move(v);
          c.seq.store(pos + 1, std::memory_order_release);
          return true;
        }
      } else if (diff < 0) {
        return false;   // full
      } else {
        pos = head_.load(std::memory_order_relaxed);
      }
    }
  }

  // Any thread (the log writer, in practice). False when empty.
  bool pop(T& out) {
    size_t pos = tail_.load(std::memory_order_relaxed);
    for (;;) {
      Cell& c = cells_[pos & mask_];
      size_t seq = c.seq.load(std::memory_order_acquire);
      auto diff = static_cast<std::ptrdiff_t>(seq) - static_cast<std::ptrdiff_t>(pos + 1);
      if (diff == 0) {
        if (tail_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
          out = std::move(c.value);
          c.value = T{};
          c.seq.store(pos + mask_ + 1, std::memory_order_release);
          return true;
        }
      } else if (diff < 0) {
        return false;   // empty
      } else {
        pos = tail_.load(std::memory_order_relaxed);
      }
    }
  }

  size_t capacity() const { return mask_ + 1; }

 private:
  struct Cell {
    std::atomic<size_t> seq{0};
    T value{};
  };
  const size_t mask_;
  std::unique_ptr<Cell[]> cells_;
  alignas(64) std::atomic<size_t> head_{0};
  alignas(64) std::atomic<size_t> tail_{0};
};

}  // namespace sluice::log
