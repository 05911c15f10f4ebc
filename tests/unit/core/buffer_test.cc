#include "core/buffer.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace sluice::core {
namespace {

TEST(BufferPoolTest, ReusesTheMostRecentlyReturnedBlock) {
  BufferPool pool(4096);
  char* a = pool.get();
  char* b = pool.get();
  EXPECT_NE(a, b);
  EXPECT_EQ(pool.in_use(), 2u);
  std::memset(a, 'x', 4096);   // the blocks are writable, whole
  std::memset(b, 'y', 4096);
  pool.put(a);
  pool.put(b);
  EXPECT_EQ(pool.in_use(), 0u);
  EXPECT_EQ(pool.cached(), 2u);
  EXPECT_EQ(pool.get(), b);    // hot, last in first out
  EXPECT_EQ(pool.mapped_bytes(), 1u << 20);   // one slab so far
}

// Pages given back for n blocks of kSize: at least the whole pages inside each block (all
// of them when blocks are page-aligned; ASan builds add a red zone after each block).
constexpr size_t kSize = 16384;
constexpr size_t kInner = kSize - 4096;

TEST(BufferPoolTest, PurgeGivesBackHalfOfWhatTheLastPeriodDidNotUse) {
  BufferPool pool(kSize);
  std::vector<char*> burst;
  for (int i = 0; i < 8; ++i) burst.push_back(pool.get());
  for (char* p : burst) {
    std::memset(p, 'z', kSize);
    pool.put(p);
  }
  EXPECT_EQ(pool.cached(), 8u);
  EXPECT_EQ(pool.purge(), 0u);   // the burst's period needed every block: nothing is surplus
  // A quiet period using at most 2 blocks at a time: 6 were surplus, half of them go.
  for (int i = 0; i < 3; ++i) {
    char* x = pool.get();
    char* y = pool.get();
    pool.put(x);
    pool.put(y);
  }
  size_t given = pool.purge();
  EXPECT_GE(given, 3 * kInner);
  EXPECT_LE(given, 3 * kSize);
  EXPECT_EQ(pool.cached(), 5u);
  // Idle periods: the resident cache decays; the blocks stay usable (zeroed when reused).
  given = 0;
  for (int i = 0; i < 8; ++i) given += pool.purge();
  EXPECT_EQ(pool.cached(), 1u);
  EXPECT_GE(given, 4 * kInner);
  std::vector<char*> again;
  for (int i = 0; i < 8; ++i) again.push_back(pool.get());
  EXPECT_EQ(pool.in_use(), 8u);
  size_t zeroed = 0;
  for (char* p : again) zeroed += p[kSize / 2] == 0 ? 1 : 0;
  EXPECT_GE(zeroed, 7u);   // every cold block came back as fresh zero pages
  for (char* p : again) pool.put(p);
}

TEST(BufferPoolTest, GrowsBySlabsAndHandlesSizesThatAreNotPageMultiples) {
  BufferPool pool(10000);
  std::vector<char*> v;
  for (int i = 0; i < 300; ++i) {
    v.push_back(pool.get());
    std::memset(v.back(), 1, 10000);
  }
  EXPECT_GE(pool.mapped_bytes(), 300u * 10000u);
  for (char* p : v) pool.put(p);
  EXPECT_EQ(pool.cached(), 256u);   // beyond that, given back as they come
  EXPECT_GE(pool.purge(), 44u * 4096u);   // at least one whole page inside each 10000-byte block
  for (int i = 0; i < 12; ++i) pool.purge();
  EXPECT_LE(pool.cached(), 1u);
}

#ifdef SLUICE_ASAN
// The pool keeps AddressSanitizer's protection although blocks are not malloc'd.
TEST(BufferPoolDeathTest, AsanCatchesOverflowAndUseAfterPut) {
  BufferPool pool(kSize);
  char* p = pool.get();
  EXPECT_DEATH(p[kSize] = 1, "use-after-poison");
  pool.put(p);
  EXPECT_DEATH(p[0] = 1, "use-after-poison");
}
#endif

}  // namespace
}  // namespace sluice::core
