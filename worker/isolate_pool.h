// The worker's V8 isolates, created once at start-up from the runtime's startup snapshot, each
// holding every service-worker script compiled once (bound to a fresh context per request).
// One request runs on an isolate at a time; requests that find every isolate busy wait in
// FIFO order (see Runtime).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include <v8.h>

#include "worker/baked_context.h"
#include "worker/limits/fatal_handlers.h"
#include "worker/limits/heap_limit_guard.h"
#include "worker/script_loader.h"
#include "worker/spare_context_maker.h"
#include "worker/web/family_scripts.h"

namespace wsup::worker {

struct IsolateSettings {
  // The snapshot context its requests' contexts are made from (Runtime picks it from the
  // scripts' words: baked_context_for).
  BakedContext baked_context = BakedContext::plain;
  // Where V8's fatal out-of-memory reports go before the process aborts (null: stderr).
  limits::FatalCallback on_fatal = nullptr;
  void* on_fatal_data = nullptr;
  size_t heap_bytes = 128u << 20;          // V8 heap (young + old generation)
  size_t array_buffer_bytes = 128u << 20;  // ArrayBuffer backing stores, outside the heap
};

class WorkerIsolate {
 public:
  // Creates the isolate and compiles every service-worker script of `scripts` into it.
  // Throws StartupError. `scripts` must outlive the isolate.
  WorkerIsolate(const std::vector<LoadedScript>& scripts, const IsolateSettings& settings);
  // Needs nobody but the calling thread to hold the isolate.
  ~WorkerIsolate();
  WorkerIsolate(const WorkerIsolate&) = delete;
  WorkerIsolate& operator=(const WorkerIsolate&) = delete;

  // Which thread may touch the isolate: the loop thread for a request, the spare-context
  // maker's thread, or nobody. Every use goes through v8::Locker, as V8 requires once an isolate
  // is used from two threads; the holder word makes sure the two never wait on each other.
  enum class Holder : uint8_t { nobody, request, spare_maker };
  // Claims an unheld isolate (compare-and-swap from nobody). A request claim also takes the
  // loop thread's v8::Locker, kept until unclaim().
  bool try_claim(Holder holder);
  void unclaim();

  v8::Isolate* isolate() const { return isolate_.get(); }
  // The snapshot context its requests' contexts are made from.
  BakedContext baked_context() const { return baked_context_; }
  // The compiled service-worker script number `index` (empty for a module script).
  v8::Local<v8::UnboundScript> service_worker(size_t index) const;
  // True once the heap hit its limit: the isolate must be replaced after its request.
  bool heap_exhausted() const { return heap_guard_->exceeded(); }
  const limits::HeapLimitGuard* heap_guard() const { return heap_guard_.get(); }

  // Takes a dropped request context's MicrotaskQueue and frees it once V8 has collected the
  // context, which points at it. (Context::DetachGlobal would release it at once, but costs
  // ~40 µs per request.) Nothing ever runs the queue again, so its leftovers stay dead.
  void retire_microtask_queue(v8::Local<v8::Context> context,
                              std::unique_ptr<v8::MicrotaskQueue> queue);
  size_t retired_microtask_queues() const { return retired_.size(); }
  // A full GC, then frees the queues of the contexts it collected (diagnostics, tests). By the
  // holder of the isolate's Locker.
  void collect_garbage();

  // A fresh context made ahead of time by the spare-context maker's thread, so the next request
  // on this isolate does not wait for Context::New. Never used for anything before that
  // request takes it.
  struct SpareContext {
    std::unique_ptr<v8::MicrotaskQueue> queue;
    v8::Global<v8::Context> context;  // reset before the queue goes (declared last)
  };
  // Runs what V8 queued for this isolate's thread (finalization callbacks, GC follow-ups). By
  // its holder, while no JavaScript runs on it.
  void run_pending_tasks();

  // Read by the loop thread to prefer an isolate whose spare is ready.
  bool has_spare_context() const { return spare_ready_.load(std::memory_order_relaxed); }
  // Makes the spare context (and runs pending tasks first). By its holder.
  void prepare_spare_context();
  std::optional<SpareContext> take_spare_context();

 private:
  struct Disposer {
    void operator()(v8::Isolate* isolate) const { isolate->Dispose(); }
  };
  // Declaration order is teardown order in reverse: scripts, then the isolate, then the
  // allocator its backing stores came from.
  std::shared_ptr<v8::ArrayBuffer::Allocator> allocator_;
  std::unique_ptr<v8::Isolate, Disposer> isolate_;
  std::unique_ptr<limits::HeapLimitGuard> heap_guard_;  // unregistered before Dispose
  std::vector<v8::Global<v8::UnboundScript>> service_workers_;
  // The large web platform families compiled once for all of this isolate's contexts.
  std::unique_ptr<web::FamilyScriptCache> family_scripts_;
  BakedContext baked_context_ = BakedContext::plain;

  struct RetiredQueue {
    WorkerIsolate* owner = nullptr;
    std::unique_ptr<v8::MicrotaskQueue> queue;
    v8::Global<v8::Context> context;  // weak; reset first on teardown (declared last)
  };
  static void on_context_collected(const v8::WeakCallbackInfo<RetiredQueue>& info);
  void free_collected_queues();
  // Freed before the isolate is disposed (declared after it).
  std::unordered_map<RetiredQueue*, std::unique_ptr<RetiredQueue>> retired_;
  std::vector<RetiredQueue*> collected_;  // contexts the GC took; their queues go next time
  std::optional<SpareContext> spare_;
  // A hint for picking isolates; spare_ itself is only touched by the isolate's holder.
  std::atomic<bool> spare_ready_{false};
  // acq_rel on claim / release on unclaim: the next holder sees everything the last one did.
  std::atomic<Holder> holder_{Holder::nobody};
  std::unique_ptr<v8::Locker> request_lock_;  // the loop thread's, while a request holds it
};

// The pool lives on the loop thread; only the spare-context maker runs elsewhere.
class IsolatePool {
 public:
  // With `on_spare_made` (called on the maker's thread), idle isolates get spare contexts made
  // on a thread of their own; without it, none are made.
  IsolatePool(const std::vector<LoadedScript>& scripts, const IsolateSettings& settings,
              size_t size, std::function<void()> on_spare_made = nullptr);
  ~IsolatePool();  // stops the maker before any isolate goes

  size_t size() const { return isolates_.size(); }
  size_t idle() const { return free_.size(); }
  // Claims an idle isolate for a request, preferring one whose spare context is ready; nothing
  // when every isolate is busy with a request or with its spare.
  std::optional<size_t> acquire();
  // Gives a request's isolate back (and queues it for a spare context).
  void release(size_t index);
  // Wall time spent making spare contexts so far, in nanoseconds.
  uint64_t spare_context_ns() const { return maker_ ? maker_->busy_ns() : 0; }
  // Disposes isolate `index` (claimed by the caller) and puts a fresh one, claimed, in its place.
  void replace(size_t index);
  WorkerIsolate& at(size_t index) { return *isolates_[index]; }

 private:
  const std::vector<LoadedScript>& scripts_;
  IsolateSettings settings_;
  std::vector<std::unique_ptr<WorkerIsolate>> isolates_;
  std::vector<size_t> free_;  // LIFO: the most recently used isolate has the warmest caches
  std::unique_ptr<SpareContextMaker> maker_;  // declared last: stopped first
};

}  // namespace wsup::worker
