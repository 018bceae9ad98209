// A v8::PageAllocator that passes every call to the allocator it wraps: the base of the page
// allocators that change what a few calls do (recycling_page_allocator.h, wasm_memory_budget.h)
// and must forward the rest unchanged.
#pragma once

#include <cstddef>

#include <v8-platform.h>

namespace wsup::worker {

class ForwardingPageAllocator : public v8::PageAllocator {
 public:
  explicit ForwardingPageAllocator(v8::PageAllocator& next) : next_(next) {}

  size_t AllocatePageSize() override { return next_.AllocatePageSize(); }
  size_t CommitPageSize() override { return next_.CommitPageSize(); }
  void SetRandomMmapSeed(int64_t seed) override { next_.SetRandomMmapSeed(seed); }
  void* GetRandomMmapAddr() override { return next_.GetRandomMmapAddr(); }
  void* AllocatePages(void* hint, size_t length, size_t alignment,
                      Permission permissions) override {
    return next_.AllocatePages(hint, length, alignment, permissions);
  }
  bool FreePages(void* address, size_t length) override { return next_.FreePages(address, length); }
  bool ReleasePages(void* address, size_t length, size_t new_length) override {
    return next_.ReleasePages(address, length, new_length);
  }
  bool SetPermissions(void* address, size_t length, Permission permissions) override {
    return next_.SetPermissions(address, length, permissions);
  }
  bool DiscardSystemPages(void* address, size_t size) override {
    return next_.DiscardSystemPages(address, size);
  }
  bool DecommitPages(void* address, size_t size) override {
    return next_.DecommitPages(address, size);
  }

 protected:
  v8::PageAllocator& next_;
};

}  // namespace wsup::worker
