#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

#include "lb/algorithm.h"
#include "unit/lb/fake_server.h"

namespace sluice::lb {
namespace {

using testing::FakeServer;
using testing::FakeServerSet;

constexpr Kind kAllKinds[] = {Kind::RoundRobin, Kind::StaticRR, Kind::LeastConn, Kind::First,
                              Kind::Source,     Kind::Uri,      Kind::Hdr,       Kind::Random};

TEST(LbFactory, BuildsEveryKindAndNamesIt) {
  FakeServerSet servers{{"a", 1}, {"b", 1}};
  for (const Kind kind : kAllKinds) {
    for (const HashType type : {HashType::MapBased, HashType::Consistent}) {
      auto algo = make_algorithm(kind, type, servers);
      ASSERT_NE(algo, nullptr) << to_string(kind);
      EXPECT_NE(algo->pick({.hash_key = 1}), nullptr) << to_string(kind);
    }
  }
  EXPECT_EQ(to_string(Kind::StaticRR), "static-rr");
  EXPECT_FALSE(weights_are_dynamic(Kind::StaticRR, HashType::MapBased));
  EXPECT_FALSE(weights_are_dynamic(Kind::Source, HashType::MapBased));
  EXPECT_TRUE(weights_are_dynamic(Kind::Source, HashType::Consistent));
  EXPECT_TRUE(weights_are_dynamic(Kind::RoundRobin, HashType::MapBased));
}

TEST(LbFactory, EveryKindHonoursDrainDownAndTried) {
  for (const Kind kind : kAllKinds) {
    for (const HashType type : {HashType::MapBased, HashType::Consistent}) {
      FakeServerSet servers{{"a", 1}, {"b", 0}, {"c", 1}, {"d", 1}};
      auto algo = make_algorithm(kind, type, servers);
      servers["c"].usable_ = false;
      algo->on_server_changed(servers["c"]);
      const Candidate* tried[] = {&servers["a"]};
      for (uint64_t key = 0; key < 50; ++key) {
        Candidate* c = algo->pick({.hash_key = key, .tried = tried});
        ASSERT_NE(c, nullptr) << to_string(kind);
        EXPECT_EQ(c->name(), "d") << to_string(kind);
      }
      servers["d"].weight_ = 0;
      algo->on_server_changed(servers["d"]);
      EXPECT_EQ(algo->pick({.hash_key = 3, .tried = tried}), nullptr) << to_string(kind);
    }
  }
}

// Not a benchmark (shared CI cores): prints the order of magnitude for the doc, and
// catches an accidental O(n) path at n=1000 with a very loose bound.
double ns_per_pick(Kind kind, HashType type, int n) {
  FakeServerSet servers = FakeServerSet::numbered(n);
  for (int i = 0; i < n; ++i) servers.at(i).weight_ = 1 + static_cast<uint32_t>(i % 7);
  auto algo = make_algorithm(kind, type, servers);
  constexpr int kPicks = 200000;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kPicks; ++i) {
    Candidate* c = algo->pick({.hash_key = static_cast<uint64_t>(i) * 0x9e3779b97f4a7c15ULL});
    if (kind == Kind::LeastConn) {  // a connection opens, and another one closes
      auto* s = static_cast<FakeServer*>(c);
      s->conns_++;
      algo->on_server_changed(*s);
      FakeServer& other = servers.at(static_cast<size_t>(i * 7919) % servers.size());
      if (other.conns_ > 0) {
        other.conns_--;
        algo->on_server_changed(other);
      }
    }
  }
  const std::chrono::duration<double, std::nano> took = std::chrono::steady_clock::now() - start;
  return took.count() / kPicks;
}

TEST(LbPerf, PickCostAtFourAndThousandServers) {
  struct Case {
    Kind kind;
    HashType type;
    const char* label;
  };
  const Case cases[] = {{Kind::RoundRobin, HashType::MapBased, "roundrobin"},
                        {Kind::LeastConn, HashType::MapBased, "leastconn(+2 updates)"},
                        {Kind::Source, HashType::MapBased, "source map-based"},
                        {Kind::Source, HashType::Consistent, "source consistent"},
                        {Kind::Random, HashType::MapBased, "random"},
                        {Kind::First, HashType::MapBased, "first"}};
  for (const Case& c : cases) {
    const double small = ns_per_pick(c.kind, c.type, 4);
    const double large = ns_per_pick(c.kind, c.type, 1000);
    std::printf("[ LbPerf   ] %-24s n=4: %7.1f ns/pick   n=1000: %7.1f ns/pick\n", c.label,
                small, large);
    EXPECT_LT(large, 100000.0) << c.label;  // sanity only
  }
}

}  // namespace
}  // namespace sluice::lb
