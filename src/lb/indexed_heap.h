// A binary min-heap of small integer ids that knows where each id sits, so an entry
// can be removed or re-keyed in O(log n). Used by round robin and leastconn.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace sluice::lb {

// Less is a callable `bool(uint32_t a, uint32_t b)` comparing the current keys of two
// ids; the owner keeps the keys and calls update() after changing one.
template <class Less>
class IndexedHeap {
 public:
  static constexpr uint32_t kAbsent = UINT32_MAX;

  explicit IndexedHeap(Less less) : less_(std::move(less)) {}

  // Makes room for ids [0, n) and empties the heap.
  void reset(uint32_t n) {
    heap_.clear();
    pos_.assign(n, kAbsent);
  }
  bool empty() const { return heap_.empty(); }
  uint32_t size() const { return static_cast<uint32_t>(heap_.size()); }
  bool contains(uint32_t id) const { return pos_[id] != kAbsent; }
  uint32_t top() const { return heap_.front(); }

  void push(uint32_t id) {
    pos_[id] = size();
    heap_.push_back(id);
    sift_up(pos_[id]);
  }
  void erase(uint32_t id) {
    const uint32_t at = pos_[id];
    const uint32_t last = heap_.back();
    heap_.pop_back();
    pos_[id] = kAbsent;
    if (last == id) return;
    heap_[at] = last;
    pos_[last] = at;
    update_at(at);
  }
  uint32_t pop() {
    const uint32_t id = top();
    erase(id);
    return id;
  }
  // The key of `id` changed, in either direction.
  void update(uint32_t id) { update_at(pos_[id]); }

 private:
  void update_at(uint32_t at) {
    if (at > 0 && less_(heap_[at], heap_[(at - 1) / 2])) {
      sift_up(at);
    } else {
      sift_down(at);
    }
  }
  void place(uint32_t at, uint32_t id) {
    heap_[at] = id;
    pos_[id] = at;
  }
  void sift_up(uint32_t at) {
    const uint32_t id = heap_[at];
    while (at > 0) {
      const uint32_t parent = (at - 1) / 2;
      if (!less_(id, heap_[parent])) break;
      place(at, heap_[parent]);
      at = parent;
    }
    place(at, id);
  }
  void sift_down(uint32_t at) {
    const uint32_t id = heap_[at];
    const uint32_t n = size();
    while (true) {
      uint32_t child = 2 * at + 1;
      if (child >= n) break;
      if (child + 1 < n && less_(heap_[child + 1], heap_[child])) ++child;
      if (!less_(heap_[child], id)) break;
      place(at, heap_[child]);
      at = child;
    }
    place(at, id);
  }

  Less less_;
  std::vector<uint32_t> heap_;  // ids, heap-ordered
  std::vector<uint32_t> pos_;   // id -> index in heap_, or kAbsent
};

}  // namespace sluice::lb
