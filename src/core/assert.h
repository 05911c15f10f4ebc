// Invariant checks (STYLE.md section 3).
//   SLUICE_CHECK(cond, msg): always on; aborts with file:line when an invariant breaks.
//   SLUICE_ASSERT(cond, msg): debug builds only.
//   SLUICE_BUG(msg): "should not happen but we can continue": logged once per site, counted.
#pragma once

#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace sluice::core {
[[noreturn]] void check_failed(const char* file, int line, const char* expr, const char* msg);
void bug_reported(const char* file, int line, const char* msg);
extern std::atomic<uint64_t> g_bug_count;
}  // namespace sluice::core

#define SLUICE_CHECK(cond, msg)                                            \
  do {                                                                     \
    if (!(cond)) [[unlikely]]                                              \
      ::sluice::core::check_failed(__FILE__, __LINE__, #cond, (msg));      \
  } while (0)

#ifdef NDEBUG
#define SLUICE_ASSERT(cond, msg) \
  do {                           \
  } while (0)
#else
#define SLUICE_ASSERT(cond, msg) SLUICE_CHECK(cond, msg)
#endif

#define SLUICE_BUG(msg)                                                    \
  do {                                                                     \
    static std::atomic<bool> reported_{false};                             \
    if (!reported_.exchange(true))                                         \
      ::sluice::core::bug_reported(__FILE__, __LINE__, (msg));             \
    ::sluice::core::g_bug_count.fetch_add(1, std::memory_order_relaxed);   \
  } while (0)
