// Load-balancing algorithms: the view of a server they get, and the Algorithm interface.
//
// lb/ never sees a Server, a Backend or an HTTP message. backend/ wraps each Server in a
// Candidate, and proxy/ computes hash keys (see hash_bytes / hash_address below) and
// passes them in a PickContext. See docs/internals/balancing.md.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

struct sockaddr;

namespace sluice::lb {

// Effective weights are in 1/kWeightScale steps of the user weight (HAProxy scales by 16
// too), so that slowstart can ramp a server of weight 1 and the runtime API's percentages
// stay fine-grained. Algorithms only compare weights with each other; whatever counts in
// user units (hash table slots, ring points) goes through user_units().
inline constexpr uint32_t kWeightScale = 16;
constexpr uint32_t user_units(uint32_t scaled) { return (scaled + kWeightScale - 1) / kWeightScale; }

// What an algorithm may know of a server. Never owned through this view: the
// Candidate must outlive the Algorithm, or be removed from it with set_servers().
class Candidate {
 public:
  virtual std::string_view name() const = 0;
  // Effective weight, user weight x kWeightScale scaled by slowstart etc. 0 = takes no
  // new load-balanced traffic (drain).
  virtual uint32_t weight() const = 0;
  virtual uint32_t active_conns() const = 0;  // current connections (leastconn, first)
  virtual uint32_t max_conns() const = 0;     // 0 = unlimited (first)
  virtual bool usable() const = 0;            // operationally up and not in maintenance

 protected:
  ~Candidate() = default;
};

struct PickContext {
  std::optional<uint64_t> hash_key{};         // for hash algorithms; computed by proxy/
  std::span<const Candidate* const> tried{};  // skipped (retry after a failed connect)
};

enum class Kind : uint8_t { RoundRobin, StaticRR, LeastConn, First, Source, Uri, Hdr, Random };
enum class HashType : uint8_t { MapBased, Consistent };  // `hash-type map-based|consistent`

std::string_view to_string(Kind kind);

// Whether the algorithm follows run-time weight changes between two non-zero values
// (HAProxy's "dynamic" algorithms). Static ones (static-rr, map-based hashing) keep the
// weight a server had when it entered the farm; only 0 (drain) and up/down take effect.
// backend/ should not ramp slowstart for them, and admin/ may refuse `set weight` other
// than 0 or the configured weight, as HAProxy does.
constexpr bool weights_are_dynamic(Kind kind, HashType hash_type) {
  switch (kind) {
    case Kind::StaticRR: return false;
    case Kind::Source:
    case Kind::Uri:
    case Kind::Hdr: return hash_type == HashType::Consistent;
    case Kind::RoundRobin:
    case Kind::LeastConn:
    case Kind::First:
    case Kind::Random: return true;
  }
  return true;
}

// One per server group (active or backup) of a backend. Not thread-safe: the caller
// serializes every call (the backend's owning loop). No call re-enters the caller.
class Algorithm {
 public:
  virtual ~Algorithm() = default;

  // The server for the next request, or nullptr when no usable server with weight > 0
  // (and not in ctx.tried, and for `first` below its maxconn) exists: the caller queues
  // or answers 503. Never returns a server with weight() == 0 or !usable().
  virtual Candidate* pick(const PickContext& ctx) = 0;

  // Once per committed change of a server's weight, usability or connection count.
  // Unknown candidates are ignored. The algorithms also re-check the server they are
  // about to return, so a missed notification cannot hand out a drained server.
  virtual void on_server_changed(Candidate& server) = 0;

  // Replaces the server list (add/del server at run time). Servers present before and
  // after keep their position in the rotation; new ones join at the current position.
  virtual void set_servers(std::span<Candidate* const> servers) = 0;
};

inline constexpr uint64_t kDefaultRandomSeed = 0x9e3779b97f4a7c15ULL;

// Builds the algorithm for `balance <kind>`. hash_type matters only for Source/Uri/Hdr;
// seed only for Random. The Candidates must outlive the returned object.
std::unique_ptr<Algorithm> make_algorithm(Kind kind, HashType hash_type,
                                          std::span<Candidate* const> servers,
                                          uint64_t seed = kDefaultRandomSeed);

// Hash helpers used by proxy/ to build PickContext::hash_key. The values are fixed by
// this code alone (no per-process seed), so a reload or another process keeps clients
// on the same server.
// `hash-type ... FUNCTION [avalanche]`: sluice's own hash (Own) or HAProxy's sdbm, djb2,
// wt6, crc32 over the key, optionally mixed by HAProxy's avalanche (full_hash).
enum class HashFn : uint8_t { Own, Sdbm, Djb2, Wt6, Crc32 };
struct HashSpec {
  HashFn fn = HashFn::Own;
  bool avalanche = false;
};
uint64_t hash_bytes(std::string_view data, HashSpec spec = {});
// Hashes the address only, not the port. An IPv4-mapped IPv6 address hashes like the
// plain IPv4 one. Returns 0 for a null pointer or another family.
uint64_t hash_address(const sockaddr* sa, HashSpec spec = {});

}  // namespace sluice::lb
