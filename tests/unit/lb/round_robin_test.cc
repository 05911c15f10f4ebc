#include "lb/round_robin.h"

#include <gtest/gtest.h>

#include <map>

#include "unit/lb/fake_server.h"

namespace sluice::lb {
namespace {

using testing::FakeServerSet;
using testing::pick_names;

std::map<std::string, int> count_picks(Algorithm& algo, int n) {
  std::map<std::string, int> counts;
  for (int i = 0; i < n; ++i) {
    Candidate* c = algo.pick({});
    counts[c != nullptr ? std::string(c->name()) : "-"]++;
  }
  return counts;
}

TEST(LbRoundRobin, SmoothWeightsInterleave) {
  FakeServerSet servers{{"a", 2}, {"b", 1}};
  RoundRobin rr(servers);
  EXPECT_EQ(pick_names(rr, 6), "abaaba");  // not "aab": weight spreads evenly
}

TEST(LbRoundRobin, EqualWeightsRotateInDeclarationOrder) {
  FakeServerSet servers{{"a", 1}, {"b", 1}, {"c", 1}};
  RoundRobin rr(servers);
  EXPECT_EQ(pick_names(rr, 9), "abcabcabc");
}

TEST(LbRoundRobin, ExactProportionsOverEachCycle) {
  FakeServerSet servers{{"a", 12}, {"b", 12}, {"c", 26}, {"d", 26}};
  RoundRobin rr(servers);
  for (int cycle = 0; cycle < 5; ++cycle) {
    const auto counts = count_picks(rr, 76);
    EXPECT_EQ(counts.at("a"), 12) << "cycle " << cycle;
    EXPECT_EQ(counts.at("b"), 12);
    EXPECT_EQ(counts.at("c"), 26);
    EXPECT_EQ(counts.at("d"), 26);
  }
}

TEST(LbRoundRobin, PeriodicWithExactCountsInEveryWindow) {
  FakeServerSet servers{{"a", 5}, {"b", 1}, {"c", 1}};
  RoundRobin rr(servers);
  const std::string seq = pick_names(rr, 70);
  for (size_t start = 0; start + 7 <= seq.size(); ++start) {
    const std::string window = seq.substr(start, 7);
    EXPECT_EQ(std::ranges::count(window, 'a'), 5) << seq;
    EXPECT_EQ(std::ranges::count(window, 'b'), 1) << seq;
  }
  EXPECT_NE(seq.substr(0, 5), "aaaaa") << seq;  // b and c are interleaved into a's run
}

TEST(LbRoundRobin, IsDeterministic) {
  FakeServerSet servers{{"a", 3}, {"b", 7}, {"c", 2}};
  RoundRobin one(servers);
  RoundRobin two(servers);
  EXPECT_EQ(pick_names(one, 100), pick_names(two, 100));
}

TEST(LbRoundRobin, WeightChangeTakesEffectAtRunTime) {
  FakeServerSet servers{{"a", 1}, {"b", 1}};
  RoundRobin rr(servers);
  pick_names(rr, 3);
  servers["b"].weight_ = 3;
  rr.on_server_changed(servers["b"]);
  const auto counts = count_picks(rr, 400);
  EXPECT_NEAR(counts.at("a"), 100, 1);
  EXPECT_NEAR(counts.at("b"), 300, 1);
}

TEST(LbRoundRobin, WeightChangeKeepsOthersInPlace) {
  FakeServerSet servers{{"a", 1}, {"b", 1}, {"c", 1}, {"d", 1}};
  RoundRobin rr(servers);
  EXPECT_EQ(pick_names(rr, 2), "ab");
  servers["a"].weight_ = 4;  // slowstart step up for a
  rr.on_server_changed(servers["a"]);
  const std::string next = pick_names(rr, 70);
  // c and d still get their turn before b's next one; a gets 4/7 from now on.
  EXPECT_EQ(next.substr(0, 2), "cd") << next;
  EXPECT_LT(next.find('a'), next.find('b')) << next;
  EXPECT_NEAR(std::ranges::count(next, 'a'), 40, 1) << next;
  EXPECT_NEAR(std::ranges::count(next, 'b'), 10, 1) << next;
}

TEST(LbRoundRobin, WeightZeroDrains) {
  FakeServerSet servers{{"a", 1}, {"b", 0}, {"c", 1}};
  RoundRobin rr(servers);
  EXPECT_EQ(pick_names(rr, 4), "acac");
  servers["a"].weight_ = 0;
  rr.on_server_changed(servers["a"]);
  EXPECT_EQ(pick_names(rr, 3), "ccc");
  servers["b"].weight_ = 1;
  rr.on_server_changed(servers["b"]);
  const std::string seq = pick_names(rr, 6);
  EXPECT_EQ(std::ranges::count(seq, 'b'), 3) << seq;
  EXPECT_EQ(seq.find('a'), std::string::npos) << seq;
}

TEST(LbRoundRobin, MissedNotificationNeverReturnsDrainedOrDown) {
  FakeServerSet servers{{"a", 1}, {"b", 1}, {"c", 1}};
  RoundRobin rr(servers);
  servers["a"].weight_ = 0;  // no on_server_changed()
  servers["b"].usable_ = false;
  EXPECT_EQ(pick_names(rr, 4), "cccc");
}

TEST(LbRoundRobin, UnusableSkippedThenRejoins) {
  FakeServerSet servers{{"a", 1}, {"b", 1}, {"c", 1}};
  RoundRobin rr(servers);
  servers["b"].usable_ = false;
  rr.on_server_changed(servers["b"]);
  EXPECT_EQ(pick_names(rr, 4), "acac");
  servers["b"].usable_ = true;
  rr.on_server_changed(servers["b"]);
  const auto counts = count_picks(rr, 30);
  EXPECT_EQ(counts.at("a"), 10);
  EXPECT_EQ(counts.at("b"), 10);
  EXPECT_EQ(counts.at("c"), 10);
}

TEST(LbRoundRobin, SkipsTriedServersOnRetry) {
  FakeServerSet servers{{"a", 1}, {"b", 1}};
  RoundRobin rr(servers);
  const Candidate* tried[] = {&servers["a"]};
  EXPECT_EQ(rr.pick({.tried = tried})->name(), "b");
  // a did not lose its turn: the next ordinary request goes to it.
  EXPECT_EQ(pick_names(rr, 4), "abab");
}

TEST(LbRoundRobin, AllDownOrTriedGivesNull) {
  FakeServerSet servers{{"a", 1}, {"b", 1}};
  RoundRobin rr(servers);
  const Candidate* tried[] = {&servers["a"], &servers["b"]};
  EXPECT_EQ(rr.pick({.tried = tried}), nullptr);
  servers["a"].usable_ = false;
  servers["b"].weight_ = 0;
  rr.on_server_changed(servers["a"]);
  rr.on_server_changed(servers["b"]);
  EXPECT_EQ(rr.pick({}), nullptr);
  RoundRobin empty(std::span<Candidate* const>{});
  EXPECT_EQ(empty.pick({}), nullptr);
}

TEST(LbRoundRobin, SetServersAddsAndRemoves) {
  FakeServerSet servers{{"a", 1}, {"b", 1}};
  RoundRobin rr(servers);
  EXPECT_EQ(pick_names(rr, 2), "ab");
  servers.add("c", 1);
  rr.set_servers(servers);
  auto counts = count_picks(rr, 30);
  EXPECT_EQ(counts.at("a"), 10);
  EXPECT_EQ(counts.at("c"), 10);
  servers.remove("a");
  rr.set_servers(servers);
  EXPECT_EQ(pick_names(rr, 20).find('a'), std::string::npos);
  rr.on_server_changed(servers["a"]);  // a removed server is ignored
  counts = count_picks(rr, 20);
  EXPECT_EQ(counts.at("b"), 10);
  EXPECT_EQ(counts.at("c"), 10);
}

TEST(LbStaticRR, KeepsEntryWeightButHonoursDrainAndDown) {
  FakeServerSet servers{{"a", 2}, {"b", 1}};
  RoundRobin rr(servers, RoundRobin::Weights::Static);
  EXPECT_EQ(pick_names(rr, 6), "abaaba");
  servers["b"].weight_ = 5;  // ignored while b stays in the farm
  rr.on_server_changed(servers["b"]);
  EXPECT_EQ(pick_names(rr, 6), "abaaba");
  servers["b"].weight_ = 0;  // drain works
  rr.on_server_changed(servers["b"]);
  EXPECT_EQ(pick_names(rr, 3), "aaa");
  servers["b"].weight_ = 4;  // re-entry takes the new weight
  rr.on_server_changed(servers["b"]);
  const auto counts = count_picks(rr, 60);
  EXPECT_EQ(counts.at("a"), 20);
  EXPECT_EQ(counts.at("b"), 40);
}

}  // namespace
}  // namespace sluice::lb
