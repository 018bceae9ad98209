// BudgetedArrayBufferAllocator: ArrayBuffer backing stores live outside the V8 heap, so the heap
// limit does not see them. This allocator gives each isolate a byte budget and returns nullptr
// past it, which V8 turns into a RangeError ("Array buffer allocation failed") in JavaScript
// instead of the process running out of memory. WebAssembly memories are charged to the same
// budget (reserve/reserve_anyway/release, called by worker/wasm_memory_budget.h).
//
// One per isolate. Hand it to V8 as CreateParams::array_buffer_allocator_shared so it lives as
// long as the isolate's last backing store.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>

#include <v8-array-buffer.h>

namespace wsup::worker::limits {

class BudgetedArrayBufferAllocator final : public v8::ArrayBuffer::Allocator {
 public:
  explicit BudgetedArrayBufferAllocator(size_t budget_bytes) : budget_bytes_(budget_bytes) {}

  static std::shared_ptr<BudgetedArrayBufferAllocator> create(size_t budget_bytes) {
    return std::make_shared<BudgetedArrayBufferAllocator>(budget_bytes);
  }

  void* Allocate(size_t length) override;
  void* AllocateUninitialized(size_t length) override;
  void Free(void* data, size_t length) override;
  void* Reallocate(void* data, size_t old_length, size_t new_length) override;

  size_t budget_bytes() const { return budget_bytes_; }
  // Bytes of live backing stores (status and metrics). Any thread.
  size_t bytes_in_use() const { return bytes_in_use_.load(std::memory_order_relaxed); }
  // Allocations refused because they would have gone past the budget.
  size_t refusals() const { return refusals_.load(std::memory_order_relaxed); }

  // For memory V8 takes elsewhere but that counts against the same budget (WebAssembly
  // memories, worker/wasm_memory_budget.h). Any thread.
  bool reserve(size_t length);  // false, nothing reserved, past the budget
  // What cannot be refused: reserved even past the budget. False when it went past.
  bool reserve_anyway(size_t length);
  void release(size_t length);
  bool has_room() const { return bytes_in_use() < budget_bytes_; }

 private:
  const size_t budget_bytes_;
  // Relaxed: these are counters; no other memory is published through them. Free() can run on
  // a V8 background thread (concurrent ArrayBuffer sweeping), hence atomics at all.
  std::atomic<size_t> bytes_in_use_{0};
  std::atomic<size_t> refusals_{0};
};

}  // namespace wsup::worker::limits
