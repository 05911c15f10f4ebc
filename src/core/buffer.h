// Fixed-size I/O buffers (tune.bufsize) from a per-thread pool, given back while a
// connection is idle so that thousands of idle keep-alive connections cost little memory.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

// Under AddressSanitizer the pool poisons free blocks and keeps a poisoned red zone after
// each one, so an overflow out of a buffer is still caught although blocks are not malloc'd.
#if defined(__SANITIZE_ADDRESS__)
#define SLUICE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SLUICE_ASAN 1
#endif
#endif
#ifdef SLUICE_ASAN
#include <sanitizer/asan_interface.h>
#define SLUICE_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define SLUICE_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define SLUICE_POISON(p, n) ((void)(p), (void)(n))
#define SLUICE_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

namespace sluice::core {

// Not thread-safe: one pool per event loop.
//
// Blocks come from slabs mapped apart from the malloc heap (1 MiB each), so a burst of
// buffers never interleaves with long-lived small objects such as sessions, and their pages
// can be given back exactly. Free blocks are `hot` (resident, reused first, last in first
// out) or `cold` (pages given back with MADV_DONTNEED; reused when no hot one is left, the
// kernel then supplies zeroed pages). Slabs stay mapped until the pool is destroyed: only
// resident memory goes back, which is what matters and costs no unmapping churn.
class BufferPool {
 public:
  explicit BufferPool(uint32_t size);
  ~BufferPool();
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  char* get() {
    ++in_use_;
    char* p;
    if (hot_.empty()) {
      low_water_ = 0;
      if (cold_.empty()) grow();
      p = cold_.back();
      cold_.pop_back();
    } else {
      p = hot_.back();
      hot_.pop_back();
      if (hot_.size() < low_water_) low_water_ = hot_.size();
    }
    SLUICE_UNPOISON(p, size_);
    return p;
  }
  void put(char* p) {
    --in_use_;
    SLUICE_POISON(p, size_);
    if (hot_.size() < kMaxHot) hot_.push_back(p);
    else make_cold(p);   // beyond a burst's worth: give the pages back at once
  }
  // Called periodically (once a second): half of the hot blocks that no get() needed since
  // the last call become cold, so a burst's buffers go back to the system within seconds
  // while a steady load keeps its working set resident. Returns the bytes given back.
  size_t purge();

  uint32_t size() const { return size_; }
  size_t in_use() const { return in_use_; }
  size_t cached() const { return hot_.size(); }    // resident free blocks
  size_t cold() const { return cold_.size(); }
  size_t mapped_bytes() const { return slabs_.size() * slab_bytes_; }

 private:
  void grow();   // maps one more slab; its blocks start cold (never touched)
  void make_cold(char* p);

  static constexpr size_t kMaxHot = 256;   // resident free blocks kept at most

  uint32_t size_;
  size_t stride_;            // size_, plus a red zone under ASan
  size_t slab_bytes_;
  size_t in_use_ = 0;
  size_t low_water_ = 0;     // fewest hot blocks since the last purge()
  size_t given_ = 0;         // bytes given back since the last purge()
  std::vector<char*> slabs_;
  std::vector<char*> hot_, cold_;
};

// A byte window [head, tail) over a pooled block. Storage is taken lazily and released when
// empty (release_if_empty), so an idle connection holds no buffer.
class Buffer {
 public:
  Buffer() = default;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer() { release(); }

  void attach(BufferPool& pool) { pool_ = &pool; }
  bool allocated() const { return data_ != nullptr; }
  size_t size() const { return tail_ - head_; }
  bool empty() const { return tail_ == head_; }
  uint32_t capacity() const { return pool_ ? pool_->size() : 0; }
  bool full() const { return data_ != nullptr && head_ == 0 && tail_ == capacity(); }

  const char* data() const { return data_ + head_; }
  char* data() { return data_ + head_; }
  std::string_view view() const { return {data_ + head_, size()}; }

  // Space to receive into; compacts and allocates as needed. Returns 0 when full.
  size_t prepare(char*& out) {
    if (data_ == nullptr) data_ = pool_->get();
    if (tail_ == capacity() && head_ > 0) compact();
    out = data_ + tail_;
    return capacity() - tail_;
  }
  void produce(size_t n) { tail_ += static_cast<uint32_t>(n); }
  void consume(size_t n) {
    head_ += static_cast<uint32_t>(n);
    if (head_ == tail_) head_ = tail_ = 0;
  }
  bool append(std::string_view s) {
    char* p;
    size_t room = prepare(p);
    if (room < s.size()) return false;
    std::memcpy(p, s.data(), s.size());
    produce(s.size());
    return true;
  }
  void compact() {
    if (head_ == 0) return;
    std::memmove(data_, data_ + head_, tail_ - head_);
    tail_ -= head_;
    head_ = 0;
  }
  void release_if_empty() {
    if (empty()) release();
  }
  void release() {
    if (data_ != nullptr) {
      pool_->put(data_);
      data_ = nullptr;
    }
    head_ = tail_ = 0;
  }

 private:
  BufferPool* pool_ = nullptr;
  char* data_ = nullptr;
  uint32_t head_ = 0, tail_ = 0;
};

}  // namespace sluice::core
