#include "worker/limits/budgeted_array_buffer_allocator.h"

#include <cstdlib>
#include <cstring>

namespace wsup::worker::limits {

bool BudgetedArrayBufferAllocator::reserve(size_t length) {
  size_t in_use = bytes_in_use_.load(std::memory_order_relaxed);
  do {
    // in_use may be past the budget after reserve_anyway.
    if (in_use > budget_bytes_ || length > budget_bytes_ - in_use) {
      refusals_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
  } while (
      !bytes_in_use_.compare_exchange_weak(in_use, in_use + length, std::memory_order_relaxed));
  return true;
}

bool BudgetedArrayBufferAllocator::reserve_anyway(size_t length) {
  const size_t in_use = bytes_in_use_.fetch_add(length, std::memory_order_relaxed) + length;
  return in_use <= budget_bytes_;
}

void BudgetedArrayBufferAllocator::release(size_t length) {
  bytes_in_use_.fetch_sub(length, std::memory_order_relaxed);
}

void* BudgetedArrayBufferAllocator::Allocate(size_t length) {
  if (!reserve(length)) return nullptr;
  // calloc(0) may return nullptr, which V8 would read as failure.
  void* data = std::calloc(length == 0 ? 1 : length, 1);
  if (data == nullptr) release(length);
  return data;
}

void* BudgetedArrayBufferAllocator::AllocateUninitialized(size_t length) {
  if (!reserve(length)) return nullptr;
  void* data = std::malloc(length == 0 ? 1 : length);
  if (data == nullptr) release(length);
  return data;
}

void BudgetedArrayBufferAllocator::Free(void* data, size_t length) {
  std::free(data);
  release(length);
}

void* BudgetedArrayBufferAllocator::Reallocate(void* data, size_t old_length, size_t new_length) {
  if (new_length > old_length && !reserve(new_length - old_length)) return nullptr;
  void* moved = std::realloc(data, new_length == 0 ? 1 : new_length);
  if (moved == nullptr) {
    if (new_length > old_length) release(new_length - old_length);
    return nullptr;
  }
  if (new_length < old_length) release(old_length - new_length);
  // realloc leaves the grown tail uninitialized; V8's default Reallocate zero-fills it.
  if (new_length > old_length) {
    std::memset(static_cast<char*>(moved) + old_length, 0, new_length - old_length);
  }
  return moved;
}

}  // namespace wsup::worker::limits
