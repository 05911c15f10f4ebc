#include <gtest/gtest.h>

#include "core/rate.h"

namespace sluice::core {
namespace {

TEST(CoreRateTest, CountsOverASlidingSecond) {
  RateCounter r;
  for (int i = 0; i < 10; ++i) r.hit(5000 + i);      // 10 events early in second 5
  EXPECT_EQ(r.rate(5500), 10u);
  EXPECT_EQ(r.rate(6000), 10u);                       // whole previous second still in the window
  EXPECT_EQ(r.rate(6500), 5u);                        // half of it slid out
  for (int i = 0; i < 4; ++i) r.hit(6500);
  EXPECT_EQ(r.rate(6500), 9u);                        // 5 carried + 4 new
  EXPECT_EQ(r.rate(9000), 0u);                        // idle: nothing left
  EXPECT_EQ(r.max(), 10u);
}

TEST(CoreRateTest, AGapResetsThePreviousSecond) {
  RateCounter r;
  for (int i = 0; i < 8; ++i) r.hit(1000);
  r.hit(4000);                                        // seconds 2 and 3 were empty
  EXPECT_EQ(r.rate(4000), 1u);
}

}  // namespace
}  // namespace sluice::core
