#include "core/buffer.h"

#include <gtest/gtest.h>

#include <vector>

namespace sluice::core {
namespace {

TEST(BufferPoolTest, ReusesReturnedBlocksUpToKeep) {
  BufferPool pool(64, 2);
  char* a = pool.get();
  char* b = pool.get();
  char* c = pool.get();
  EXPECT_EQ(pool.in_use(), 3u);
  pool.put(a);
  pool.put(b);
  pool.put(c);   // beyond `keep`: freed at once
  EXPECT_EQ(pool.cached(), 2u);
  EXPECT_EQ(pool.in_use(), 0u);
  char* d = pool.get();
  EXPECT_TRUE(d == a || d == b);
  pool.put(d);
  EXPECT_EQ(pool.purge(), 64u);   // c, counted when put() freed it
}

TEST(BufferPoolTest, PurgeHalvesOnlyWhatTheLastPeriodDidNotUse) {
  BufferPool pool(64, 16);
  std::vector<char*> burst;
  for (int i = 0; i < 8; ++i) burst.push_back(pool.get());
  for (char* p : burst) pool.put(p);
  EXPECT_EQ(pool.cached(), 8u);
  pool.purge();   // the burst's period: it needed every block, nothing is surplus
  EXPECT_EQ(pool.cached(), 8u);
  // A quiet period using at most 2 blocks at a time: 6 were surplus, half of them go.
  for (int i = 0; i < 3; ++i) {
    char* x = pool.get();
    char* y = pool.get();
    pool.put(x);
    pool.put(y);
  }
  EXPECT_EQ(pool.purge(), 3u * 64u);
  EXPECT_EQ(pool.cached(), 5u);
  // Idle periods: the cache decays towards empty.
  size_t freed = 0;
  for (int i = 0; i < 8; ++i) freed += pool.purge();
  EXPECT_EQ(pool.cached(), 1u);   // halving rounds down: one block stays for the next request
  EXPECT_EQ(freed, 4u * 64u);
}

}  // namespace
}  // namespace sluice::core
