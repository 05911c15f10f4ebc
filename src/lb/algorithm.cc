#include "lb/algorithm.h"

#include "lb/first.h"
#include "lb/hash_balancer.h"
#include "lb/least_conn.h"
#include "lb/random.h"
#include "lb/round_robin.h"

namespace sluice::lb {

std::string_view to_string(Kind kind) {
  switch (kind) {
    case Kind::RoundRobin: return "roundrobin";
    case Kind::StaticRR: return "static-rr";
    case Kind::LeastConn: return "leastconn";
    case Kind::First: return "first";
    case Kind::Source: return "source";
    case Kind::Uri: return "uri";
    case Kind::Hdr: return "hdr";
    case Kind::Random: return "random";
  }
  return "?";
}

std::unique_ptr<Algorithm> make_algorithm(Kind kind, HashType hash_type,
                                          std::span<Candidate* const> servers, uint64_t seed) {
  switch (kind) {
    case Kind::RoundRobin: return std::make_unique<RoundRobin>(servers);
    case Kind::StaticRR:
      return std::make_unique<RoundRobin>(servers, RoundRobin::Weights::Static);
    case Kind::LeastConn: return std::make_unique<LeastConn>(servers);
    case Kind::First: return std::make_unique<First>(servers);
    case Kind::Source:
    case Kind::Uri:
    case Kind::Hdr:
      if (hash_type == HashType::Consistent) return std::make_unique<ConsistentHash>(servers);
      return std::make_unique<MapHash>(servers);
    case Kind::Random: return std::make_unique<Random>(servers, seed);
  }
  return std::make_unique<RoundRobin>(servers);
}

}  // namespace sluice::lb
