// The worker's V8 isolates, created once at start-up from the runtime's startup snapshot, each
// holding every service-worker script compiled once (bound to a fresh context per request).
//
// Many requests live on one isolate at once, each in a context of its own; an isolate is busy
// only while one of them runs JavaScript. The loop thread holds an isolate for one *turn* (an
// IsolateTurn: a request's slice of JavaScript, making or dropping its context) and lets go
// after it, so a request awaiting a timer, a subrequest or a client costs its isolate nothing.
// The spare-context maker's thread takes idle isolates between turns (spare_context_maker.h).
// Work for an isolate the maker holds waits in that isolate's queue of deferred turns and runs
// when the maker lets go (at most one Context::New later).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include <v8.h>

#include "worker/deserialization_gc_guard.h"
#include "worker/limits/fatal_handlers.h"
#include "worker/limits/heap_limit_guard.h"
#include "worker/script_loader.h"
#include "worker/script_snapshot.h"
#include "worker/shared_context.h"
#include "worker/spare_context_maker.h"
#include "worker/web/family_scripts.h"

namespace wsup::worker {

struct IsolateSettings {
  // The snapshot its isolates are made from, and their requests' contexts (Runtime builds it);
  // null: the process's startup snapshot, contexts from its plain context.
  std::shared_ptr<const ScriptSnapshot> snapshot;
  // Where V8's fatal out-of-memory reports go before the process aborts (null: stderr).
  limits::FatalCallback on_fatal = nullptr;
  void* on_fatal_data = nullptr;
  size_t heap_bytes = 128u << 20;          // V8 heap (young + old generation)
  size_t array_buffer_bytes = 128u << 20;  // ArrayBuffer backing stores, outside the heap
};

class WorkerIsolate {
 public:
  // Creates the isolate from the settings' snapshot and compiles into it every service-worker
  // script the snapshot does not hold evaluated. Throws StartupError. `scripts` must outlive
  // the isolate.
  WorkerIsolate(const std::vector<LoadedScript>& scripts, const IsolateSettings& settings);
  // Needs nobody but the calling thread to hold the isolate.
  ~WorkerIsolate();
  WorkerIsolate(const WorkerIsolate&) = delete;
  WorkerIsolate& operator=(const WorkerIsolate&) = delete;

  // Which thread may touch the isolate: the loop thread (for a turn), the spare-context maker's
  // thread, or nobody. Every use goes through v8::Locker, as V8 requires once an isolate is used
  // from two threads; the holder word, claimed by compare-and-swap, makes sure neither thread
  // ever waits on the other's Locker. (Runtime::stats keeps to it too: it reads the heap of the
  // isolates it can claim and reports the last figures of the others.)
  enum class Holder : uint8_t { nobody, loop, spare_maker };
  // Claims an unheld isolate. A loop claim also takes the loop thread's v8::Locker, kept until
  // unclaim(). Loop claims go through IsolateTurn.
  bool try_claim(Holder holder);
  void unclaim();

  v8::Isolate* isolate() const { return isolate_.get(); }
  // The snapshot its requests' contexts are made from.
  const ScriptSnapshot& snapshot() const { return *snapshot_; }
  // A new context for script `script` from the snapshot (ScriptSnapshot::new_context), made
  // where no full collection can start inside the deserialization of a context holding weak
  // collections (deserialization_gc_guard.h). The caller holds the isolate.
  v8::MaybeLocal<v8::Context> new_context(size_t script, v8::MicrotaskQueue* microtasks);
  // The compiled service-worker script number `index` (empty for a module script, and for one
  // the snapshot holds evaluated).
  v8::Local<v8::UnboundScript> service_worker(size_t index) const;
  // True once the heap hit its limit: every request on it fails and it is replaced.
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
    size_t key = 0;  // ScriptSnapshot::context_key of the scripts it serves
    std::unique_ptr<v8::MicrotaskQueue> queue;
    v8::Global<v8::Context> context;  // reset before the queue goes (declared last)
  };
  // Runs what V8 queued for this isolate's thread (finalization callbacks, GC follow-ups,
  // WebAssembly compilation results). By its holder, while no JavaScript runs on it.
  void run_pending_tasks();

  // Read by the loop thread to prefer an isolate whose spare is ready (for scripts whose
  // ScriptSnapshot::context_key is `key`).
  bool has_spare_context() const {
    return spare_ready_key_.load(std::memory_order_relaxed) != kNoSpare;
  }
  bool has_spare_context_for(size_t key) const {
    return spare_ready_key_.load(std::memory_order_relaxed) == key;
  }
  // Makes the spare context (and runs pending tasks first), for the script the last request
  // on the isolate ran. By its holder.
  void prepare_spare_context();
  // The spare context, if it serves requests of a script with context key `key`.
  std::optional<SpareContext> take_spare_context(size_t key);
  // Loop thread: the script the next spare context should serve.
  void set_spare_script(size_t script) { spare_script_.store(script, std::memory_order_relaxed); }

  // --- Loop thread only: the requests living on this isolate.
  size_t live_requests() const { return live_requests_; }
  void add_live_request() { ++live_requests_; }
  void remove_live_request() { --live_requests_; }
  // Set once a request on it hit the heap limit: it takes no new request, its live ones fail
  // (503) and it is replaced once none is left.
  bool condemned() const { return condemned_; }
  void condemn() { condemned_ = true; }
  // Set once V8 gave up on it and the thread that held it was stranded (loop_rescue.h): nothing
  // may touch it again, not even to dispose of it. No turn is held on it, deferred work is
  // dropped, and the pool has a fresh isolate in its place.
  bool lost() const { return lost_; }
  void mark_lost() {
    lost_ = true;
    deferred_.clear();
  }
  // Work that needs the isolate while the maker holds it: runs, in order, when run_deferred()
  // finds the isolate free (the runtime calls it whenever the maker lets go).
  void defer(std::function<void()> work) {
    if (!lost_) deferred_.push_back(std::move(work));
  }
  void run_deferred();
  // Deferred turns wait and the loop is in none: a new turn must queue behind them (defer), or
  // it would overtake them in the window between the maker's let-go and run_deferred(), and a
  // request could see a subrequest's end before its head.
  bool turns_waiting() const { return turn_depth_ == 0 && !deferred_.empty(); }
  // isolation: isolate: the contexts its requests of such scripts share (loop thread).
  SharedContexts& shared_contexts() { return shared_contexts_; }
  // The heap in use right after its last full (mark-compact) collection, and how many there
  // were: what is still alive, where used_heap_size counts garbage too.
  size_t live_heap_bytes() const { return live_heap_bytes_.load(std::memory_order_relaxed); }
  uint64_t major_gcs() const { return major_gcs_.load(std::memory_order_relaxed); }
  // What Runtime::stats last read of it (reported again while the maker holds it).
  struct Report {
    v8::HeapStatistics heap;
    size_t retired_microtask_queues = 0;
  };
  Report& last_report() { return last_report_; }
  // Where IsolateTurn asks for spare contexts (null: none are made). Set by the pool.
  void set_spare_maker(SpareContextMaker* maker) { maker_ = maker; }

 private:
  friend class IsolateTurn;
  struct Disposer {
    void operator()(v8::Isolate* isolate) const { isolate->Dispose(); }
  };
  // Declaration order is teardown order in reverse: scripts, then the isolate, then the
  // allocator its backing stores came from.
  std::shared_ptr<v8::ArrayBuffer::Allocator> allocator_;
  std::unique_ptr<v8::Isolate, Disposer> isolate_;
  std::unique_ptr<limits::HeapLimitGuard> heap_guard_;  // unregistered before Dispose
  std::unique_ptr<DeserializationGcGuard> gc_guard_;    // unregistered before Dispose
  std::vector<v8::Global<v8::UnboundScript>> service_workers_;
  // The large web platform families compiled once for all of this isolate's contexts.
  std::unique_ptr<web::FamilyScriptCache> family_scripts_;
  std::shared_ptr<const ScriptSnapshot> snapshot_;

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
  // A hint for picking isolates, the key of the spare ready (kNoSpare: none); spare_ itself is
  // only touched by the isolate's holder.
  static constexpr size_t kNoSpare = SIZE_MAX;
  std::atomic<size_t> spare_ready_key_{kNoSpare};
  // Written by the loop, read by the maker: relaxed, it is a hint (a stale read makes a spare
  // for the script before, which the next request of that script takes).
  std::atomic<size_t> spare_script_{0};
  // acq_rel on claim / release on unclaim: the next holder sees everything the last one did.
  std::atomic<Holder> holder_{Holder::nobody};
  std::unique_ptr<v8::Locker> loop_lock_;  // the loop thread's, while it holds the isolate
  static void on_major_gc(v8::Isolate* isolate, v8::GCType type, v8::GCCallbackFlags flags,
                          void* self);
  // Written by whichever thread holds the isolate when it collects, read by the loop: relaxed,
  // they are statistics (a stale read delays a recycling decision by a request).
  std::atomic<size_t> live_heap_bytes_{0};
  std::atomic<uint64_t> major_gcs_{0};
  SpareContextMaker* maker_ = nullptr;

  // Loop thread only.
  SharedContexts shared_contexts_;  // cleared under the lock before the isolate goes
  size_t live_requests_ = 0;
  bool condemned_ = false;
  bool lost_ = false;
  int turn_depth_ = 0;  // nested IsolateTurns of the loop thread
  std::deque<std::function<void()>> deferred_;
  Report last_report_;
};

// The loop thread's hold on an isolate for one turn: claims it (with its Locker and
// Isolate::Scope) unless the spare maker has it, and lets go at the end, when it also asks the
// maker for a spare context if the isolate has none (asked only then: the maker cannot claim an
// isolate during a turn). Turns nest: an inner one on an isolate the loop already holds just
// goes along.
//
//   IsolateTurn turn(isolate);
//   if (!turn.held()) return isolate.defer(...);   // the maker has it: try again later
class IsolateTurn {
 public:
  explicit IsolateTurn(WorkerIsolate& isolate);
  ~IsolateTurn();
  IsolateTurn(const IsolateTurn&) = delete;
  IsolateTurn& operator=(const IsolateTurn&) = delete;
  bool held() const { return held_; }

 private:
  WorkerIsolate& isolate_;
  bool held_ = false;
  std::optional<v8::Isolate::Scope> scope_;
};

// The pool lives on the loop thread; only the spare-context maker runs elsewhere.
class IsolatePool {
 public:
  // Called on any thread; only the isolate's address may be used there (see WorkerPlatform).
  using IsolateEvent = std::function<void(WorkerIsolate&)>;
  using TasksPosted = std::function<void(WorkerIsolate&, double delay_s)>;
  // With `on_maker_done` (called on the maker's thread each time it lets go of an isolate),
  // isolates get spare contexts made on a thread of their own; without it, none are made.
  // `on_tasks_posted`: V8 queued work for an isolate's thread (WorkerPlatform::listen_for_tasks).
  IsolatePool(const std::vector<LoadedScript>& scripts, const IsolateSettings& settings,
              size_t size, IsolateEvent on_maker_done = nullptr,
              TasksPosted on_tasks_posted = nullptr);
  ~IsolatePool();  // stops the maker before any isolate goes
  // Stops the maker now (runtime shutdown): afterwards only the loop thread touches isolates.
  void stop_maker();

  size_t size() const { return isolates_.size(); }
  // The isolate a new request should live on: not condemned, its spare context ready for the
  // request's context key if any is, then the one with the fewest live requests. nullopt when
  // every isolate is condemned.
  std::optional<size_t> choose(size_t context_key) const;
  // Wall time spent making spare contexts so far, in nanoseconds.
  uint64_t spare_context_ns() const { return maker_ ? maker_->busy_ns() : 0; }
  // Disposes isolate `index` and puts a fresh one in its place. Needs the isolate free (no
  // live request, no turn, not held by the maker): false, doing nothing, while the maker has it.
  bool replace(size_t index);
  // Puts a fresh isolate in place of the lost one (or of one whose creation was stranded, which
  // left its place empty) and hands the lost one over, undisposed: V8 still holds it locked on
  // a stranded thread. nullptr when `isolate` is not in the pool.
  std::unique_ptr<WorkerIsolate> replace_lost(v8::Isolate* isolate);
  // Every place holds an isolate, except while one is being created (or was, when its thread
  // was stranded: replace_lost fills it again).
  WorkerIsolate& at(size_t index) { return *isolates_[index]; }
  const WorkerIsolate& at(size_t index) const { return *isolates_[index]; }
  // The index of `isolate` in the pool.
  size_t index_of(const WorkerIsolate& isolate) const;

 private:
  // Creates isolate `index` (in place of whatever was there) and hooks it up.
  void make_isolate(size_t index);

  const std::vector<LoadedScript>& scripts_;
  IsolateSettings settings_;
  TasksPosted on_tasks_posted_;
  std::vector<std::unique_ptr<WorkerIsolate>> isolates_;
  std::unique_ptr<SpareContextMaker> maker_;  // declared last: stopped first
};

}  // namespace wsup::worker
