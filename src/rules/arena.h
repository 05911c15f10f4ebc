// Bytes that live as long as one transaction: converter results, rewritten header values,
// variable copies. Blocks are kept across reset() so that a warm connection evaluates rules
// without allocating. Addresses are stable until reset().
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

namespace sluice::rules {

class Arena {
 public:
  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  char* alloc(size_t n) {
    if (n > kBlock / 4) return big(n);
    if (blocks_.empty() || used_ + n > kBlock) next_block();
    char* p = blocks_[cur_].get() + used_;
    used_ += n;
    return p;
  }
  std::string_view copy(std::string_view s) {
    if (s.empty()) return {};
    char* p = alloc(s.size());
    std::memcpy(p, s.data(), s.size());
    return {p, s.size()};
  }
  // Concatenation without an intermediate string.
  std::string_view concat(std::string_view a, std::string_view b) {
    if (a.size() + b.size() == 0) return {};
    char* p = alloc(a.size() + b.size());
    std::memcpy(p, a.data(), a.size());
    std::memcpy(p + a.size(), b.data(), b.size());
    return {p, a.size() + b.size()};
  }
  void reset() {
    cur_ = 0;
    used_ = 0;
    big_.clear();
    if (blocks_.size() > 4) blocks_.resize(4);   // a burst does not pin memory forever
  }
  size_t blocks() const { return blocks_.size(); }

 private:
  static constexpr size_t kBlock = 8192;
  void next_block() {
    if (!blocks_.empty() && cur_ + 1 < blocks_.size()) {
      ++cur_;
    } else {
      blocks_.push_back(std::make_unique<char[]>(kBlock));
      cur_ = blocks_.size() - 1;
    }
    used_ = 0;
  }
  char* big(size_t n) {
    big_.push_back(std::make_unique<char[]>(n));
    return big_.back().get();
  }
  std::vector<std::unique_ptr<char[]>> blocks_, big_;
  size_t cur_ = 0, used_ = 0;
};

}  // namespace sluice::rules
