// Fixed-size I/O buffers (tune.bufsize) from a per-thread pool, given back while a
// connection is idle so that thousands of idle keep-alive connections cost little memory.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::core {

// Not thread-safe: one pool per event loop.
class BufferPool {
 public:
  explicit BufferPool(uint32_t size, size_t keep = 256) : size_(size), keep_(keep) {}
  ~BufferPool() {
    for (char* p : free_) delete[] p;
  }
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  char* get() {
    ++in_use_;
    if (free_.empty()) {
      low_water_ = 0;
      return new char[size_];
    }
    char* p = free_.back();
    free_.pop_back();
    if (free_.size() < low_water_) low_water_ = free_.size();
    return p;
  }
  void put(char* p) {
    --in_use_;
    if (free_.size() < keep_) {
      free_.push_back(p);
    } else {
      delete[] p;
      freed_bytes_ += size_;
    }
  }
  // Called periodically (once a second): frees half of the cached buffers that no get()
  // needed since the last call, so a burst's buffers go back to the system within seconds
  // while a steady load keeps its working set. Returns the bytes freed since the last call
  // (purged here or deleted by put()), for the caller to decide on a malloc_trim().
  size_t purge() {
    size_t surplus = std::min(low_water_, free_.size()) / 2;
    for (size_t i = 0; i < surplus; ++i) {
      delete[] free_.back();
      free_.pop_back();
    }
    freed_bytes_ += surplus * size_;
    low_water_ = free_.size();
    return std::exchange(freed_bytes_, 0);
  }
  uint32_t size() const { return size_; }
  size_t in_use() const { return in_use_; }
  size_t cached() const { return free_.size(); }

 private:
  uint32_t size_;
  size_t keep_;
  size_t in_use_ = 0;
  size_t low_water_ = 0;     // fewest cached buffers since the last purge()
  size_t freed_bytes_ = 0;
  std::vector<char*> free_;
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
