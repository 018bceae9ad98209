#pragma once

#include <v8-context.h>
#include <v8-isolate.h>

#include <cstddef>
#include <functional>

namespace wsup::worker {

// Keeps V8 10.2's full mark-compact out of Context::FromSnapshot for contexts that hold an
// ephemeron table (a WeakMap or WeakSet). A collection that starts while the deserializer is
// part-way through such a context crashes the marker (segfaults in ConcurrentMarking::Run,
// MarkCompactCollector::ProcessMarkingWorklist or IncrementalMarking::Step; nodejs/node#50971 is
// the same class), whether marking is atomic or incremental. Two levers, both public API:
// - make_room(): if the old generation could reach V8's allocation limit while one more context
//   is deserialized, a full collection runs first, at this safe point (a critical
//   memory-pressure notification). If even then it could not fit, it says so: the isolate is out
//   of heap (the caller fails the request and the isolate is replaced) instead of crashing.
// - deserialize(): the isolate is in RAIL "load" mode meanwhile, where V8 grows the old
//   generation past its limit on a slow allocation instead of collecting, up to a margin
//   (Heap::AllocationLimitOvershotByLargeMargin) that make_room() stays inside.
// V8's limit itself is not public; what is known of it: after a full collection it is at least
// what survived. make_room() keeps the old generation plus twice the largest context seen below
// the least V8 allows in load mode from there: min(survived + 32 MB, halfway from survived to
// the heap's maximum, 7/8 of the maximum, past which V8 collects regardless).
// Incremental marking stays off (v8_engine.cc): with it on, marking steps and the concurrent
// marker run during deserialization, which crashes the same way.
// One per isolate, used by whichever thread holds the isolate's Locker.
class DeserializationGcGuard {
 public:
  DeserializationGcGuard(v8::Isolate* isolate, size_t old_generation_max_bytes);
  ~DeserializationGcGuard();
  DeserializationGcGuard(const DeserializationGcGuard&) = delete;
  DeserializationGcGuard& operator=(const DeserializationGcGuard&) = delete;

  // Before deserializing a context holding weak collections: collects if needed; false when the
  // heap has no room for one more such context without collecting inside its deserialization.
  // `blob_bytes` bounds what a context adds until one deserialization has measured it.
  bool make_room(size_t blob_bytes);
  // Runs `make_context` (Context::FromSnapshot) in load mode and measures what it added.
  v8::MaybeLocal<v8::Context> deserialize(
      const std::function<v8::MaybeLocal<v8::Context>()>& make_context);

 private:
  static void on_full_gc(v8::Isolate* isolate, v8::GCType type, v8::GCCallbackFlags flags,
                         void* self);
  size_t old_generation_bytes() const;
  // The old generation up to which a deserialization cannot start a full collection.
  size_t room_bytes() const;

  v8::Isolate* isolate_;
  size_t old_generation_max_bytes_;
  size_t live_after_full_gc_;  // the old generation after the last full collection
  size_t full_gcs_ = 0;
  size_t context_bytes_ = 0;  // the most one deserialization added to the old generation
};

}  // namespace wsup::worker
