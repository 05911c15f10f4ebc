#include "backend/tx_times.h"

#include <gtest/gtest.h>

namespace sluice::backend {
namespace {

TEST(TxTimesTest, ExactAverageUntilTheWindowIsFull) {
  TxTimes t;
  EXPECT_EQ(t.get().r, 0u);
  t.add(0, 1, 100, 150);
  t.add(10, 3, 300, 400);
  auto s = t.get();
  EXPECT_EQ(s.q, 5u);
  EXPECT_EQ(s.c, 2u);
  EXPECT_EQ(s.r, 200u);
  EXPECT_EQ(s.t, 275u);
  EXPECT_EQ(s.r_max, 300u);
  EXPECT_EQ(s.q_max, 10u);
}

TEST(TxTimesTest, IncompleteExchangesAreNotAveraged) {
  TxTimes t;
  t.add(0, 2, 50, 60);
  t.add(0, -1, -1, 5000);   // connect failed
  t.add(0, 2, -1, 5000);    // no response
  auto s = t.get();
  EXPECT_EQ(s.r, 50u);
  EXPECT_EQ(s.t, 60u);
  EXPECT_EQ(s.t_max, 60u);
}

TEST(TxTimesTest, SlidesTowardsRecentValuesOnceFull) {
  TxTimes t;
  for (uint32_t i = 0; i < TxTimes::kWindow; ++i) t.add(0, 0, 100, 100);
  EXPECT_EQ(t.get().r, 100u);
  for (uint32_t i = 0; i < 4 * TxTimes::kWindow; ++i) t.add(0, 0, 500, 500);
  // After four windows of the new value, the old one weighs e^-4 (about 2%).
  auto r = t.get().r;
  EXPECT_GT(r, 485u);
  EXPECT_LE(r, 500u);
}

}  // namespace
}  // namespace sluice::backend
