#include <gtest/gtest.h>

#include <map>

#include "lb/first.h"
#include "lb/random.h"
#include "unit/lb/fake_server.h"

namespace sluice::lb {
namespace {

using testing::FakeServer;
using testing::FakeServerSet;
using testing::pick_names;

TEST(LbFirst, FillsServersInDeclarationOrder) {
  FakeServerSet servers{{"a", 1}, {"b", 1}, {"c", 1}};
  for (size_t i = 0; i < servers.size(); ++i) servers.at(i).max_conns_ = 2;
  First first(servers);
  std::string seq;
  for (int i = 0; i < 7; ++i) {
    Candidate* c = first.pick({});
    if (c == nullptr) {
      seq += '-';
      continue;
    }
    seq += std::string(c->name());
    static_cast<FakeServer*>(c)->conns_++;
    first.on_server_changed(*c);
  }
  EXPECT_EQ(seq, "aabbcc-");  // all full: the caller queues
  servers["a"].conns_ = 1;   // a connection on a closed
  EXPECT_EQ(first.pick({})->name(), "a");
}

TEST(LbFirst, UnlimitedStaysOnFirstAndSkipsDownTriedDrained) {
  FakeServerSet servers{{"a", 1}, {"b", 1}, {"c", 1}};
  First first(servers);
  servers["a"].conns_ = 1000;
  EXPECT_EQ(pick_names(first, 3), "aaa");
  servers["a"].usable_ = false;
  EXPECT_EQ(first.pick({})->name(), "b");
  servers["b"].weight_ = 0;
  EXPECT_EQ(first.pick({})->name(), "c");
  const Candidate* tried[] = {&servers["c"]};
  EXPECT_EQ(first.pick({.tried = tried}), nullptr);
}

TEST(LbRandom, SeededSequenceIsReproducible) {
  FakeServerSet servers{{"a", 1}, {"b", 2}, {"c", 3}};
  Random one(servers, 42);
  Random two(servers, 42);
  Random other(servers, 43);
  const std::string s1 = pick_names(one, 200);
  EXPECT_EQ(s1, pick_names(two, 200));
  EXPECT_NE(s1, pick_names(other, 200));
}

TEST(LbRandom, FollowsWeightsAndSkipsUnpickable) {
  FakeServerSet servers{{"a", 1}, {"b", 3}, {"c", 5}, {"d", 1}};
  servers["c"].weight_ = 0;
  servers["d"].usable_ = false;
  Random rnd(servers, 7);
  std::map<std::string, int> counts;
  for (int i = 0; i < 40000; ++i) counts[std::string(rnd.pick({})->name())]++;
  EXPECT_EQ(counts.count("c"), 0u);
  EXPECT_EQ(counts.count("d"), 0u);
  EXPECT_NEAR(counts["a"], 10000, 500);
  EXPECT_NEAR(counts["b"], 30000, 500);
  const Candidate* tried[] = {&servers["b"]};
  EXPECT_EQ(pick_names(rnd, 5, {.tried = tried}), "aaaaa");
  servers["a"].usable_ = false;
  EXPECT_EQ(rnd.pick({.tried = tried}), nullptr);
}

}  // namespace
}  // namespace sluice::lb
