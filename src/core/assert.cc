#include "core/assert.h"

namespace sluice::core {

std::atomic<uint64_t> g_bug_count{0};

void check_failed(const char* file, int line, const char* expr, const char* msg) {
  std::fprintf(stderr, "FATAL: %s:%d: check failed: %s: %s\n", file, line, expr, msg);
  std::abort();
}

void bug_reported(const char* file, int line, const char* msg) {
  std::fprintf(stderr, "BUG: %s:%d: %s (reported once; counted)\n", file, line, msg);
#ifndef NDEBUG
  std::abort();
#endif
}

}  // namespace sluice::core
