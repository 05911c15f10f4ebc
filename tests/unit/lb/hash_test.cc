#include "lb/hash_balancer.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <map>
#include <vector>

#include "core/hash.h"
#include "unit/lb/fake_server.h"

namespace sluice::lb {
namespace {

using testing::FakeServerSet;
using testing::pick_names;

uint64_t v4_key(uint32_t host_order_addr, uint16_t port = 0) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  sin.sin_addr.s_addr = htonl(host_order_addr);
  return hash_address(reinterpret_cast<const sockaddr*>(&sin));
}

// 1000 client addresses 10.0.0.1 ...
std::vector<uint64_t> client_keys(int n = 1000) {
  std::vector<uint64_t> keys;
  for (int i = 0; i < n; ++i) keys.push_back(v4_key(0x0a000001u + static_cast<uint32_t>(i)));
  return keys;
}

std::vector<std::string> owners(Algorithm& algo, const std::vector<uint64_t>& keys) {
  std::vector<std::string> out;
  for (const uint64_t k : keys) {
    Candidate* c = algo.pick({.hash_key = k});
    out.emplace_back(c != nullptr ? c->name() : "-");
  }
  return out;
}

void expect_fair(const std::vector<std::string>& owned, std::map<std::string, double> share) {
  std::map<std::string, int> counts;
  for (const auto& o : owned) counts[o]++;
  for (const auto& [name, fraction] : share) {
    const double fair = fraction * static_cast<double>(owned.size());
    EXPECT_NEAR(counts[name], fair, 0.15 * fair) << name;
  }
}

TEST(LbHash, HashesAreStableAndPortFree) {
  // Pinned values: changing them breaks client stickiness across a reload/upgrade.
  EXPECT_EQ(hash_bytes(""), mix64(0xcbf29ce484222325ULL));
  EXPECT_EQ(hash_bytes("/index.html"), hash_bytes("/index.html"));
  EXPECT_NE(hash_bytes("/a"), hash_bytes("/b"));
  EXPECT_EQ(v4_key(0x0a000001u, 1234), v4_key(0x0a000001u, 80));
  EXPECT_NE(v4_key(0x0a000001u), v4_key(0x0a000002u));
  sockaddr_in6 six{};
  six.sin6_family = AF_INET6;
  inet_pton(AF_INET6, "::ffff:10.0.0.1", &six.sin6_addr);
  EXPECT_EQ(hash_address(reinterpret_cast<const sockaddr*>(&six)), v4_key(0x0a000001u));
  inet_pton(AF_INET6, "2001:db8::1", &six.sin6_addr);
  EXPECT_NE(hash_address(reinterpret_cast<const sockaddr*>(&six)), v4_key(0x0a000001u));
  EXPECT_EQ(hash_address(nullptr), 0u);
}

TEST(LbHash, MapBasedSourceSpreadsWithinFifteenPercent) {
  FakeServerSet servers{{"a", 1}, {"b", 1}, {"c", 1}, {"d", 1}};
  MapHash map(servers);
  expect_fair(owners(map, client_keys()), {{"a", .25}, {"b", .25}, {"c", .25}, {"d", .25}});
  FakeServerSet weighted{{"a", 1}, {"b", 3}};
  MapHash wmap(weighted);
  expect_fair(owners(wmap, client_keys()), {{"a", .25}, {"b", .75}});
}

TEST(LbHash, ConsistentSourceSpreadsWithinFifteenPercent) {
  FakeServerSet servers{{"a", 10}, {"b", 10}, {"c", 10}, {"d", 10}};
  ConsistentHash ring(servers);
  EXPECT_EQ(ring.ring_size(), 4u * 10 * ConsistentHash::kPointsPerWeight);
  expect_fair(owners(ring, client_keys()), {{"a", .25}, {"b", .25}, {"c", .25}, {"d", .25}});
}

TEST(LbHash, MapBasedIsDeterministicAndInterleaved) {
  FakeServerSet servers{{"a", 2}, {"b", 1}, {"c", 3}};
  MapHash one(servers);
  MapHash two(servers);
  const auto keys = client_keys(200);
  EXPECT_EQ(owners(one, keys), owners(two, keys));
  EXPECT_EQ(owners(one, keys), owners(one, keys));  // stable over time
  std::string table;
  for (const uint32_t slot : one.table()) table += "abc"[slot];
  EXPECT_EQ(table.size(), 6u);
  EXPECT_EQ(std::ranges::count(table, 'c'), 3);
  EXPECT_EQ(table.find("cc"), std::string::npos) << table;
}

TEST(LbHash, MapBasedRebuildsOnlyWhenTheSetChanges) {
  FakeServerSet servers{{"a", 1}, {"b", 1}, {"c", 1}};
  MapHash map(servers);
  const auto keys = client_keys();
  const auto before = owners(map, keys);
  servers["b"].weight_ = 7;  // static: a non-zero weight change is ignored
  map.on_server_changed(servers["b"]);
  EXPECT_EQ(owners(map, keys), before);
  servers["b"].usable_ = false;  // leaves the set: table rebuilt, b never chosen
  map.on_server_changed(servers["b"]);
  EXPECT_EQ(map.table().size(), 2u);
  for (const auto& o : owners(map, keys)) EXPECT_NE(o, "b");
  servers["b"].usable_ = true;
  servers["b"].weight_ = 1;
  map.on_server_changed(servers["b"]);
  EXPECT_EQ(owners(map, keys), before);  // same set, same table
}

TEST(LbHash, ConsistentMovesOnlyTheDownServersKeys) {
  FakeServerSet servers = FakeServerSet::numbered(8);
  ConsistentHash ring(servers);
  const auto keys = client_keys(4000);
  const auto before = owners(ring, keys);
  servers["s3"].usable_ = false;
  ring.on_server_changed(servers["s3"]);
  const auto after = owners(ring, keys);
  int moved = 0;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (before[i] == "s3") {
      EXPECT_NE(after[i], "s3");
      ++moved;
    } else {
      EXPECT_EQ(after[i], before[i]) << "key " << i << " moved off a healthy server";
    }
  }
  EXPECT_NEAR(moved, 4000 / 8, 4000 / 8 * 0.5);  // ~1/n of the keys
  servers["s3"].usable_ = true;
  ring.on_server_changed(servers["s3"]);
  EXPECT_EQ(owners(ring, keys), before);  // back up: its keys come back
}

TEST(LbHash, ConsistentRingDependsOnNamesNotOrder) {
  FakeServerSet forward{{"a", 2}, {"b", 1}, {"c", 1}};
  FakeServerSet backward{{"c", 1}, {"b", 1}, {"a", 2}};
  ConsistentHash one(forward);
  ConsistentHash two(backward);
  const auto keys = client_keys(500);
  EXPECT_EQ(owners(one, keys), owners(two, keys));
}

TEST(LbHash, ConsistentWeightChangeMovesFewKeys) {
  FakeServerSet servers = FakeServerSet::numbered(4, 4);
  ConsistentHash ring(servers);
  const auto keys = client_keys(4000);
  const auto before = owners(ring, keys);
  servers["s0"].weight_ = 8;
  ring.on_server_changed(servers["s0"]);
  const auto after = owners(ring, keys);
  for (size_t i = 0; i < keys.size(); ++i) {
    if (after[i] != before[i]) {
      EXPECT_EQ(after[i], "s0");  // only gains, no reshuffle
    }
  }
}

TEST(LbHash, WalksOnWhenHashedServerIsTriedOrDown) {
  for (const HashType type : {HashType::MapBased, HashType::Consistent}) {
    FakeServerSet servers{{"a", 1}, {"b", 1}, {"c", 1}};
    auto algo = make_algorithm(Kind::Source, type, servers);
    const uint64_t key = v4_key(0x0a000001u);
    Candidate* first = algo->pick({.hash_key = key});
    ASSERT_NE(first, nullptr);
    const Candidate* tried[] = {first};
    Candidate* second = algo->pick({.hash_key = key, .tried = tried});
    ASSERT_NE(second, nullptr);
    EXPECT_NE(second, first);
    EXPECT_EQ(algo->pick({.hash_key = key, .tried = tried}), second);  // deterministic
    // Down without a notification: the same walk happens.
    static_cast<testing::FakeServer*>(first)->usable_ = false;
    EXPECT_EQ(algo->pick({.hash_key = key}), second);
    for (size_t i = 0; i < servers.size(); ++i) servers.at(i).usable_ = false;
    EXPECT_EQ(algo->pick({.hash_key = key}), nullptr);
  }
}

TEST(LbHash, DrainedServerNeverPicked) {
  for (const HashType type : {HashType::MapBased, HashType::Consistent}) {
    FakeServerSet servers{{"a", 1}, {"b", 1}, {"c", 1}};
    auto algo = make_algorithm(Kind::Uri, type, servers);
    servers["b"].weight_ = 0;
    algo->on_server_changed(servers["b"]);
    for (const auto& o : owners(*algo, client_keys(300))) EXPECT_NE(o, "b");
    EXPECT_EQ(pick_names(*algo, 6).find('b'), std::string::npos);
  }
}

TEST(LbHash, WithoutKeyFallsBackToRoundRobin) {
  for (const HashType type : {HashType::MapBased, HashType::Consistent}) {
    FakeServerSet servers{{"a", 2}, {"b", 1}};
    auto algo = make_algorithm(Kind::Hdr, type, servers);
    EXPECT_EQ(pick_names(*algo, 6), "abaaba");
  }
}

TEST(LbHash, SetServersAddAndRemove) {
  FakeServerSet servers{{"a", 1}, {"b", 1}};
  ConsistentHash ring(servers);
  MapHash map(servers);
  const auto keys = client_keys(2000);
  const auto before = owners(ring, keys);
  servers.add("c", 1);
  ring.set_servers(servers);
  map.set_servers(servers);
  const auto after = owners(ring, keys);
  for (size_t i = 0; i < keys.size(); ++i) {
    if (after[i] != before[i]) {
      EXPECT_EQ(after[i], "c");  // only moves to the newcomer
    }
  }
  EXPECT_EQ(map.table().size(), 3u);
  servers.remove("a");
  ring.set_servers(servers);
  map.set_servers(servers);
  for (const auto& o : owners(ring, keys)) EXPECT_NE(o, "a");
  for (const auto& o : owners(map, keys)) EXPECT_NE(o, "a");
}

}  // namespace
}  // namespace sluice::lb

namespace sluice::lb {
namespace {

TEST(LbHash, HashTypeFunctionIsUsed) {
  // hash-type ... sdbm|djb2|wt6|crc32 [avalanche]: HAProxy's function, in both halves.
  const HashSpec djb2{HashFn::Djb2, false}, djb2_av{HashFn::Djb2, true}, crc{HashFn::Crc32, false};
  uint32_t h = core::hash_djb2("/index.html");
  EXPECT_EQ(hash_bytes("/index.html", djb2), (uint64_t{h} << 32) | h);
  uint32_t a = core::full_hash(h);
  EXPECT_EQ(hash_bytes("/index.html", djb2_av), (uint64_t{a} << 32) | a);
  EXPECT_EQ(hash_bytes("abc", crc) & 0xffffffffu, 0x352441c2u);
  EXPECT_NE(hash_bytes("/index.html", djb2), hash_bytes("/index.html"));
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_addr.s_addr = htonl(0x0a000001);
  EXPECT_EQ(hash_address(reinterpret_cast<const sockaddr*>(&in), crc),
            hash_bytes({reinterpret_cast<const char*>(&in.sin_addr), 4}, crc));
}

}  // namespace
}  // namespace sluice::lb
