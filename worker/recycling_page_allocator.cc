#include "worker/recycling_page_allocator.h"

#include <cstdint>
#include <cstring>

#include <sys/mman.h>

namespace wsup::worker {
namespace {

bool is_executable(v8::PageAllocator::Permission permissions) {
  // Code pages keep the system allocator's handling (W^X, JIT hints).
  return permissions == v8::PageAllocator::kReadWriteExecute ||
         permissions == v8::PageAllocator::kReadExecute ||
         permissions == v8::PageAllocator::kNoAccessWillJitLater;
}

// mprotect directly: the system allocator's SetPermissions(kNoAccess) also discards the pages
// (madvise), which is the very cost this allocator exists to avoid.
bool protect(void* region, size_t length, v8::PageAllocator::Permission permissions) {
  int prot = PROT_NONE;
  if (permissions == v8::PageAllocator::kRead) prot = PROT_READ;
  if (permissions == v8::PageAllocator::kReadWrite) prot = PROT_READ | PROT_WRITE;
  return ::mprotect(region, length, prot) == 0;
}

}  // namespace

RecyclingPageAllocator::RecyclingPageAllocator(v8::PageAllocator& system, size_t recycled_size,
                                               size_t capacity)
    : ForwardingPageAllocator(system), recycled_size_(recycled_size), capacity_(capacity) {
  parked_.reserve(capacity);
}

RecyclingPageAllocator::~RecyclingPageAllocator() {
  for (void* region : parked_) next_.FreePages(region, recycled_size_);
}

void* RecyclingPageAllocator::AllocatePages(void* hint, size_t length, size_t alignment,
                                            Permission permissions) {
  if (length == recycled_size_ && !is_executable(permissions)) {
    void* region = nullptr;
    {
      std::lock_guard lock(mutex_);
      for (size_t i = parked_.size(); i-- > 0;) {
        if (reinterpret_cast<uintptr_t>(parked_[i]) % alignment != 0) continue;
        region = parked_[i];
        parked_[i] = parked_.back();
        parked_.pop_back();
        ++reused_;
        break;
      }
    }
    if (region != nullptr) {
      // Zero-filled, like a fresh mapping: V8 may rely on it. Writing 256 KiB costs far less
      // than the 64 page faults that would do the same. A region asked for with no access is
      // handed out writable: V8 reserves heap pages that way only to commit all of them at
      // once right after (SetPermissions kReadWrite), and each mprotect saved is ~4 µs.
      if (protect(region, length, kReadWrite)) {
        std::memset(region, 0, length);
        if (permissions == kNoAccess || permissions == kReadWrite ||
            protect(region, length, permissions))
          return region;
      }
      next_.FreePages(region, length);
    }
  }
  return next_.AllocatePages(hint, length, alignment, permissions);
}

bool RecyclingPageAllocator::FreePages(void* address, size_t length) {
  if (length == recycled_size_) {
    std::lock_guard lock(mutex_);
    // Parked as it is (its pages stay resident): reuse makes it writable and zeroes it anyway.
    if (parked_.size() < capacity_) {
      parked_.push_back(address);
      return true;
    }
  }
  return next_.FreePages(address, length);
}

size_t RecyclingPageAllocator::parked() const {
  std::lock_guard lock(mutex_);
  return parked_.size();
}

size_t RecyclingPageAllocator::reused() const {
  std::lock_guard lock(mutex_);
  return reused_;
}

}  // namespace wsup::worker
