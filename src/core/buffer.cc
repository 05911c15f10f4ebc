#include "core/buffer.h"

#include <sys/mman.h>
#include <unistd.h>

#include <utility>

#include "core/assert.h"

namespace sluice::core {

namespace {
constexpr size_t kSlabTarget = 1u << 20;

size_t page_size() {
  static const size_t p = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  return p;
}
}  // namespace

#ifdef SLUICE_ASAN
constexpr size_t kRedZone = 64;
#else
constexpr size_t kRedZone = 0;
#endif

BufferPool::BufferPool(uint32_t size) : size_(size), stride_(size + kRedZone) {
  SLUICE_CHECK(size > 0, "buffer size must be positive");
  size_t per_slab = std::max<size_t>(1, kSlabTarget / stride_);
  size_t bytes = per_slab * stride_;
  slab_bytes_ = (bytes + page_size() - 1) / page_size() * page_size();
}

BufferPool::~BufferPool() {
  for (char* s : slabs_) {
    SLUICE_UNPOISON(s, slab_bytes_);
    ::munmap(s, slab_bytes_);
  }
}

void BufferPool::grow() {
  void* m = ::mmap(nullptr, slab_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  SLUICE_CHECK(m != MAP_FAILED, "out of memory for I/O buffers");
  char* base = static_cast<char*>(m);
  SLUICE_POISON(base, slab_bytes_);   // free blocks and red zones
  slabs_.push_back(base);
  size_t n = slab_bytes_ / stride_;
  // Handed out from the slab's start: the blocks touched first are adjacent.
  for (size_t i = n; i-- > 0;) cold_.push_back(base + i * stride_);
}

void BufferPool::make_cold(char* p) {
  // Only the pages entirely inside the block: a neighbour may share the others.
  const size_t page = page_size();
  auto lo = (reinterpret_cast<uintptr_t>(p) + page - 1) / page * page;
  auto hi = (reinterpret_cast<uintptr_t>(p) + size_) / page * page;
  if (hi > lo) {
    ::madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_DONTNEED);
    given_ += hi - lo;
  }
  cold_.push_back(p);
}

size_t BufferPool::purge() {
  size_t surplus = std::min(low_water_, hot_.size()) / 2;
  // The oldest hot blocks (bottom of the stack) go; the most recently used stay.
  for (size_t i = 0; i < surplus; ++i) make_cold(hot_[i]);
  hot_.erase(hot_.begin(), hot_.begin() + static_cast<std::ptrdiff_t>(surplus));
  low_water_ = hot_.size();
  return std::exchange(given_, 0);
}

}  // namespace sluice::core
