#include "worker/deserialization_gc_guard.h"

#include <v8-statistics.h>

#include <algorithm>
#include <cstring>

namespace wsup::worker {
namespace {

// V8 10.2's load-mode overshoot margin for small heaps (Heap::AllocationLimitOvershotByLargeMargin:
// max(limit / 2, 32 MB), at most half the way from the limit to the maximum).
constexpr size_t kSmallHeapMarginBytes = size_t{32} << 20;

bool is_young_space(const char* name) {
  return std::strcmp(name, "new_space") == 0 || std::strcmp(name, "new_large_object_space") == 0;
}

}  // namespace

DeserializationGcGuard::DeserializationGcGuard(v8::Isolate* isolate,
                                               size_t old_generation_max_bytes)
    : isolate_(isolate),
      old_generation_max_bytes_(old_generation_max_bytes),
      live_after_full_gc_(old_generation_bytes()) {
  isolate_->AddGCEpilogueCallback(on_full_gc, this, v8::kGCTypeMarkSweepCompact);
}

DeserializationGcGuard::~DeserializationGcGuard() {
  isolate_->RemoveGCEpilogueCallback(on_full_gc, this);
}

void DeserializationGcGuard::on_full_gc(v8::Isolate*, v8::GCType, v8::GCCallbackFlags, void* self) {
  auto* guard = static_cast<DeserializationGcGuard*>(self);
  guard->live_after_full_gc_ = guard->old_generation_bytes();
  ++guard->full_gcs_;
}

size_t DeserializationGcGuard::old_generation_bytes() const {
  size_t bytes = 0;
  v8::HeapSpaceStatistics space;
  for (size_t i = 0; i < isolate_->NumberOfHeapSpaces(); ++i) {
    if (!isolate_->GetHeapSpaceStatistics(&space, i)) continue;
    if (!is_young_space(space.space_name())) bytes += space.space_used_size();
  }
  return bytes;
}

size_t DeserializationGcGuard::room_bytes() const {
  const size_t live = live_after_full_gc_;
  const size_t max = std::max(old_generation_max_bytes_, live);
  return std::min({live + kSmallHeapMarginBytes, live + (max - live) / 2, max / 8 * 7});
}

bool DeserializationGcGuard::make_room(size_t blob_bytes) {
  const size_t needed = 2 * (context_bytes_ != 0 ? context_bytes_ : blob_bytes);
  if (old_generation_bytes() + needed <= room_bytes()) return true;
  // kCritical collects now, synchronously (the caller holds the Locker); kNone right after, or
  // V8 would keep optimizing for memory (no load-mode growth).
  isolate_->MemoryPressureNotification(v8::MemoryPressureLevel::kCritical);
  isolate_->MemoryPressureNotification(v8::MemoryPressureLevel::kNone);
  return old_generation_bytes() + needed <= room_bytes();
}

v8::MaybeLocal<v8::Context> DeserializationGcGuard::deserialize(
    const std::function<v8::MaybeLocal<v8::Context>()>& make_context) {
  const size_t gcs_before = full_gcs_;
  const size_t before = old_generation_bytes();
  isolate_->SetRAILMode(v8::PERFORMANCE_LOAD);
  v8::MaybeLocal<v8::Context> context = make_context();
  isolate_->SetRAILMode(v8::PERFORMANCE_ANIMATION);
  const size_t after = old_generation_bytes();
  if (full_gcs_ == gcs_before && after > before) {
    context_bytes_ = std::max(context_bytes_, after - before);
  }
  return context;
}

}  // namespace wsup::worker
