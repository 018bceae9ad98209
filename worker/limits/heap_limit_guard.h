// HeapLimitGuard: keeps a JavaScript allocation loop from aborting the worker process.
//
// V8 calls the near-heap-limit callback when its heap is about to hit the configured maximum.
// The guard flags the isolate, asks V8 to terminate the running JavaScript and returns a somewhat
// higher limit, so V8 has room to unwind instead of dying with FatalProcessOutOfMemory. An
// isolate whose guard reports exceeded() is near its limit for good: the runtime answers the
// request with 503, then disposes the isolate and creates a fresh one.
//
//   v8::Isolate::CreateParams params;
//   HeapLimitGuard::configure(params, 128 << 20);
//   v8::Isolate* isolate = v8::Isolate::New(params);
//   HeapLimitGuard heap(isolate, 128 << 20);   // destroy before isolate->Dispose()
#pragma once

#include <cstddef>

#include <v8-isolate.h>

namespace wsup::worker::limits {

class HeapLimitGuard {
 public:
  // Sets `params.constraints` for a heap (young + old generation) of at most heap_limit_bytes.
  static void configure(v8::Isolate::CreateParams& params, size_t heap_limit_bytes);

  // Registers the near-heap-limit callback on `isolate`, whose heap was configured with
  // heap_limit_bytes. The first time V8 nears the limit the guard raises it by headroom_bytes
  // (default: half the limit, at least 16 MiB) so the terminated JavaScript can unwind; it never
  // raises it again, so an isolate that fills that too goes out of memory for real (see
  // fatal_handlers.h). Dispose a flagged isolate promptly.
  HeapLimitGuard(v8::Isolate* isolate, size_t heap_limit_bytes, size_t headroom_bytes = 0);
  // Unregisters the callback. Destroy before disposing the isolate.
  ~HeapLimitGuard();
  HeapLimitGuard(const HeapLimitGuard&) = delete;
  HeapLimitGuard& operator=(const HeapLimitGuard&) = delete;

  // True once the heap reached its limit; sticky for the isolate's lifetime. Isolate thread.
  bool exceeded() const { return exceeded_; }
  // Memory the isolate holds outside its heap went past its budget where it could not be refused
  // (a WebAssembly memory's initial pages): the isolate counts as out of memory all the same.
  // The caller also terminates its JavaScript. Isolate thread.
  void mark_exceeded() { exceeded_ = true; }
  // How often V8 asked for more room (for tests and logs).
  int near_limit_calls() const { return near_limit_calls_; }

 private:
  static size_t on_near_heap_limit(void* data, size_t current_heap_limit,
                                   size_t initial_heap_limit);

  v8::Isolate* const isolate_;
  size_t ceiling_bytes_ = 0;  // V8's limit is never raised above this
  // Plain fields: V8 calls the callback on the isolate's own thread, during a GC it started.
  bool exceeded_ = false;
  int near_limit_calls_ = 0;
};

}  // namespace wsup::worker::limits
