// Test fakes for lb/: a Candidate with settable state, and a set of them that hands
// out the span the algorithms take.
#pragma once

#include <algorithm>
#include <cstdlib>
#include <deque>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

#include "lb/algorithm.h"

namespace sluice::lb::testing {

class FakeServer final : public Candidate {
 public:
  FakeServer(std::string name, uint32_t weight) : name_(std::move(name)), weight_(weight) {}

  std::string_view name() const override { return name_; }
  uint32_t weight() const override { return weight_ * kWeightScale; }   // weight_: user units
  uint32_t active_conns() const override { return conns_; }
  uint32_t max_conns() const override { return max_conns_; }
  bool usable() const override { return usable_; }

  // Public on purpose: tests poke the state, then call on_server_changed() (or not).
  std::string name_;
  uint32_t weight_ = 1;
  uint32_t conns_ = 0;
  uint32_t max_conns_ = 0;
  bool usable_ = true;
};

struct FakeSpec {
  std::string name;
  uint32_t weight = 1;
};

class FakeServerSet {
 public:
  FakeServerSet() = default;
  FakeServerSet(std::initializer_list<FakeSpec> specs) {
    for (const FakeSpec& s : specs) add(s.name, s.weight);
  }
  // n servers named s0..s{n-1}.
  static FakeServerSet numbered(int n, uint32_t weight = 1) {
    FakeServerSet set;
    for (int i = 0; i < n; ++i) set.add("s" + std::to_string(i), weight);
    return set;
  }

  FakeServer& add(const std::string& name, uint32_t weight) {
    FakeServer& s = storage_.emplace_back(name, weight);  // deque: stable addresses
    ptrs_.push_back(&s);
    return s;
  }
  void remove(const std::string& name) {
    std::erase_if(ptrs_, [&](Candidate* c) { return c->name() == name; });
  }
  FakeServer& operator[](std::string_view name) {
    for (FakeServer& s : storage_) {
      if (s.name() == name) return s;
    }
    std::abort();
  }
  FakeServer& at(size_t i) { return static_cast<FakeServer&>(*ptrs_[i]); }
  size_t size() const { return ptrs_.size(); }
  std::span<Candidate* const> span() const { return ptrs_; }
  operator std::span<Candidate* const>() const { return ptrs_; }  // NOLINT: test sugar

 private:
  std::deque<FakeServer> storage_;
  std::vector<Candidate*> ptrs_;
};

// Names of the next n picks, concatenated ("-" for nullptr). Names are one letter in
// pattern tests.
inline std::string pick_names(Algorithm& algo, int n, const PickContext& ctx = {}) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    Candidate* c = algo.pick(ctx);
    out += c != nullptr ? std::string(c->name()) : std::string("-");
  }
  return out;
}

}  // namespace sluice::lb::testing
