#pragma once

#include <cstdint>
#include <ctime>

namespace sluice::core {

// Monotonic milliseconds. The event loop caches it once per iteration (EventLoop::now()).
inline uint64_t monotonic_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000u + static_cast<uint64_t>(ts.tv_nsec) / 1000000u;
}

inline uint64_t monotonic_us() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000u + static_cast<uint64_t>(ts.tv_nsec) / 1000u;
}

// Wall-clock seconds since the epoch, for logs and `show info`.
inline int64_t wall_seconds() { return static_cast<int64_t>(time(nullptr)); }

}  // namespace sluice::core
