#include "worker/limits/heap_limit_guard.h"

#include <algorithm>

namespace wsup::worker::limits {
namespace {
constexpr size_t kMinHeadroomBytes = size_t{16} << 20;
}

void HeapLimitGuard::configure(v8::Isolate::CreateParams& params, size_t heap_limit_bytes) {
  params.constraints.ConfigureDefaultsFromHeapSize(0, heap_limit_bytes);
}

HeapLimitGuard::HeapLimitGuard(v8::Isolate* isolate, size_t heap_limit_bytes, size_t headroom_bytes)
    : isolate_(isolate) {
  if (headroom_bytes == 0) headroom_bytes = std::max(heap_limit_bytes / 2, kMinHeadroomBytes);
  ceiling_bytes_ = heap_limit_bytes + headroom_bytes;
  isolate_->AddNearHeapLimitCallback(&HeapLimitGuard::on_near_heap_limit, this);
}

HeapLimitGuard::~HeapLimitGuard() {
  // heap_limit 0: leave V8's current limit as it is.
  isolate_->RemoveNearHeapLimitCallback(&HeapLimitGuard::on_near_heap_limit, 0);
}

size_t HeapLimitGuard::on_near_heap_limit(void* data, size_t current_heap_limit,
                                          size_t initial_heap_limit) {
  auto* guard = static_cast<HeapLimitGuard*>(data);
  guard->exceeded_ = true;
  ++guard->near_limit_calls_;
  // Takes effect at the next interrupt check of the running JavaScript (a loop back edge or a
  // call); the room granted below must cover the allocations until then, including the one
  // that triggered this GC (easily megabytes). So all of it is granted at once: trickling it
  // out in small steps leaves V8 short of the pending allocation, and it aborts.
  guard->isolate_->TerminateExecution();
  return std::max(guard->ceiling_bytes_, current_heap_limit);
}

}  // namespace wsup::worker::limits
