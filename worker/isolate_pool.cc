#include "worker/isolate_pool.h"

#include <algorithm>

#include <unistd.h>

#include "worker/api/js_host.h"
#include "worker/js_error.h"
#include "worker/limits/budgeted_array_buffer_allocator.h"
#include "worker/startup_error.h"
#include "worker/v8_engine.h"
#include "worker/wasm_memory_budget.h"

namespace wsup::worker {
namespace {

// Uncaught exceptions that no TryCatch of the runtime sees (a queueMicrotask callback that
// throws) go to the log of the request whose context was running.
void on_uncaught_message(v8::Local<v8::Message> message, v8::Local<v8::Value> exception) {
  v8::Isolate* isolate = v8::Isolate::GetCurrent();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  JsHost* host = JsHost::of(context);
  if (host == nullptr) return;
  JsError error = describe_js_error(context, exception, message);
  host->console_message(log::Level::error, "uncaught exception: " + compiler_style(error) +
                                               (error.stack.empty() ? "" : "\n" + error.stack));
}

// A promise rejected with no handler, or handled after that, goes to the request whose context
// made it; promises of contexts that are no request's (the snapshot's, the spare's before its
// request attaches) are not tracked.
void on_promise_reject(v8::PromiseRejectMessage message) {
  v8::Local<v8::Promise> promise = message.GetPromise();
  v8::Local<v8::Context> context;
  if (!promise->GetCreationContext().ToLocal(&context)) return;
  JsHost* host = JsHost::of(context);
  if (host == nullptr) return;
  switch (message.GetEvent()) {
    case v8::kPromiseRejectWithNoHandler:
      host->promise_rejected_unhandled(promise, message.GetValue());
      break;
    case v8::kPromiseHandlerAddedAfterReject:
      host->promise_handled_late(promise);
      break;
    default:  // resolving or rejecting a settled promise: nothing to report
      break;
  }
}

// The default fatal report: one line on stderr, written without allocating.
void report_fatal_to_stderr(const limits::FatalReport& report, void*) {
  char line[512];
  static constexpr char kPrefix[] = "level=error msg=\"V8 fatal error\" ";
  size_t length = limits::format_fatal_report(report, line, sizeof(line) - 1);
  line[length++] = '\n';
  [[maybe_unused]] ssize_t ignored = ::write(2, kPrefix, sizeof(kPrefix) - 1);
  ignored = ::write(2, line, length);
}

}  // namespace

WorkerIsolate::WorkerIsolate(const std::vector<LoadedScript>& scripts,
                             const IsolateSettings& settings)
    : snapshot_(settings.snapshot ? settings.snapshot
                                  : std::make_shared<const ScriptSnapshot>(
                                        BakedContext::plain, std::vector<ScriptStart>{})) {
  auto buffers = limits::BudgetedArrayBufferAllocator::create(settings.array_buffer_bytes);
  allocator_ = buffers;
  v8::Isolate::CreateParams params;
  params.array_buffer_allocator_shared = allocator_;
  params.snapshot_blob = snapshot_->blob();
  params.external_references = snapshot_->external_references();
  limits::HeapLimitGuard::configure(params, settings.heap_bytes);
  // A young generation of an eighth of the heap (V8's default for this size is ~1/32): each
  // request allocates a context's worth of short-lived objects, and fewer scavenges of a
  // larger nursery cost less per request. The total stays at heap_bytes.
  const size_t young = settings.heap_bytes / 8;
  params.constraints.set_max_young_generation_size_in_bytes(young);
  params.constraints.set_max_old_generation_size_in_bytes(settings.heap_bytes - young);
  isolate_.reset(v8::Isolate::New(params));
  v8::Isolate* isolate = isolate_.get();
  v8::Locker lock(isolate);  // every use of a pool isolate is under its Locker (SpareContextMaker)
  limits::install_fatal_handlers(isolate,
                                 settings.on_fatal ? settings.on_fatal : report_fatal_to_stderr,
                                 settings.on_fatal_data);
  heap_guard_ = std::make_unique<limits::HeapLimitGuard>(isolate, settings.heap_bytes);
  gc_guard_ = std::make_unique<DeserializationGcGuard>(isolate, settings.heap_bytes - young);
  // Its WebAssembly memories count against its ArrayBuffer budget (wasm_memory_budget.h). Each
  // function keeps the budget alive for memories freed after the isolate is gone.
  WasmMemoryPageAllocator::open_account(
      isolate, WasmMemoryAccount{[buffers](size_t bytes) { return buffers->reserve(bytes); },
                                 [buffers](size_t bytes) { return buffers->reserve_anyway(bytes); },
                                 [buffers](size_t bytes) { buffers->release(bytes); },
                                 [buffers] { return buffers->has_room(); },
                                 // On this isolate's thread, inside the script's allocation.
                                 [isolate, guard = heap_guard_.get()] {
                                   guard->mark_exceeded();
                                   isolate->TerminateExecution();
                                 }});
  isolate->AddMessageListener(on_uncaught_message);
  isolate->SetPromiseRejectCallback(on_promise_reject);
  isolate->AddGCEpilogueCallback(on_major_gc, this, v8::kGCTypeMarkSweepCompact);
  // Atomics.wait would block the worker's only thread, where no CPU limit and no wall timer can
  // reach it; workerd refuses it the same way (a TypeError in the script).
  isolate->SetAllowAtomicsWait(false);
  // A context with eval off (allow_eval) would refuse WebAssembly too: V8 asks this callback, or
  // else takes the eval setting. WebAssembly has its own setting (webassembly).
  isolate->SetAllowWasmCodeGenerationCallback(
      [](v8::Local<v8::Context>, v8::Local<v8::String>) { return true; });
  family_scripts_ = std::make_unique<web::FamilyScriptCache>(isolate);

  v8::Isolate::Scope isolate_scope(isolate);
  v8::HandleScope handle_scope(isolate);
  v8::Local<v8::Context> context = v8::Context::New(isolate);
  v8::Context::Scope context_scope(context);
  service_workers_.resize(scripts.size());
  for (size_t i = 0; i < scripts.size(); ++i) {
    if (scripts[i].spec.module || snapshot_->snapshotted(i)) continue;
    v8::TryCatch try_catch(isolate);
    v8::Local<v8::UnboundScript> unbound;
    if (!compile_service_worker(isolate, scripts[i]).ToLocal(&unbound)) {
      throw StartupError(
          compiler_style(describe_js_error(context, try_catch.Exception(), try_catch.Message())));
    }
    service_workers_[i].Reset(isolate, unbound);
  }
}

WorkerIsolate::~WorkerIsolate() {
  V8Engine::listen_for_tasks(isolate_.get(), nullptr);  // waits for a call in progress
  WasmMemoryPageAllocator::close_account(isolate_.get());
  {
    // Handles go back to the isolate under its lock; V8 disposes an unlocked isolate.
    v8::Locker lock(isolate_.get());
    v8::Isolate::Scope isolate_scope(isolate_.get());
    spare_.reset();
    shared_contexts_.clear();
    retired_.clear();
    collected_.clear();
    service_workers_.clear();
    family_scripts_.reset();
    heap_guard_.reset();
    gc_guard_.reset();
  }
  loop_lock_.reset();
}

bool WorkerIsolate::try_claim(Holder holder) {
  Holder expected = Holder::nobody;
  if (!holder_.compare_exchange_strong(expected, holder, std::memory_order_acq_rel)) return false;
  // Never waits: the maker holds the Locker only while it holds the claim.
  if (holder == Holder::loop) loop_lock_ = std::make_unique<v8::Locker>(isolate_.get());
  return true;
}

void WorkerIsolate::unclaim() {
  loop_lock_.reset();
  holder_.store(Holder::nobody, std::memory_order_release);
}

void WorkerIsolate::run_deferred() {
  while (!deferred_.empty()) {
    IsolateTurn turn(*this);
    if (!turn.held()) return;  // the maker took it again: its next let-go brings us back
    std::function<void()> work = std::move(deferred_.front());
    deferred_.pop_front();
    work();
  }
}

v8::Local<v8::UnboundScript> WorkerIsolate::service_worker(size_t index) const {
  return service_workers_[index].Get(isolate_.get());
}

void WorkerIsolate::retire_microtask_queue(v8::Local<v8::Context> context,
                                           std::unique_ptr<v8::MicrotaskQueue> queue) {
  free_collected_queues();
  auto retired = std::make_unique<RetiredQueue>();
  retired->owner = this;
  retired->queue = std::move(queue);
  retired->context.Reset(isolate_.get(), context);
  retired->context.SetWeak(retired.get(), on_context_collected, v8::WeakCallbackType::kParameter);
  RetiredQueue* key = retired.get();
  retired_.emplace(key, std::move(retired));
}

void WorkerIsolate::collect_garbage() {
  isolate_->LowMemoryNotification();
  free_collected_queues();
}

void WorkerIsolate::free_collected_queues() {
  for (RetiredQueue* collected : collected_) retired_.erase(collected);
  collected_.clear();
}

// First-pass weak callback, inside the GC: only reset the handle and note the queue; it is
// freed outside the GC, at the next retire_microtask_queue.
void WorkerIsolate::on_context_collected(const v8::WeakCallbackInfo<RetiredQueue>& info) {
  RetiredQueue* retired = info.GetParameter();
  retired->context.Reset();
  retired->owner->collected_.push_back(retired);
}

void WorkerIsolate::on_major_gc(v8::Isolate* isolate, v8::GCType, v8::GCCallbackFlags, void* self) {
  v8::HeapStatistics heap;
  isolate->GetHeapStatistics(&heap);
  auto* owner = static_cast<WorkerIsolate*>(self);
  owner->live_heap_bytes_.store(heap.used_heap_size(), std::memory_order_relaxed);
  owner->major_gcs_.fetch_add(1, std::memory_order_relaxed);
}

v8::MaybeLocal<v8::Context> WorkerIsolate::new_context(size_t script,
                                                       v8::MicrotaskQueue* microtasks) {
  v8::Isolate* isolate = isolate_.get();
  if (!snapshot_->snapshotted(script) || !snapshot_->start(script).weak_collections) {
    return snapshot_->new_context(isolate, script, microtasks);
  }
  if (!gc_guard_->make_room(snapshot_->blob_size())) {
    // Out of heap for one more context: the same verdict as the heap guard's.
    heap_guard_->mark_exceeded();
    return {};
  }
  return gc_guard_->deserialize(
      [&] { return snapshot_->new_context(isolate, script, microtasks); });
}

void WorkerIsolate::run_pending_tasks() {
  v8::Locker lock(isolate_.get());
  v8::Isolate::Scope isolate_scope(isolate_.get());
  v8::HandleScope handle_scope(isolate_.get());
  V8Engine::run_pending_tasks(isolate_.get());
}

void WorkerIsolate::prepare_spare_context() {
  run_pending_tasks();
  v8::Isolate* isolate = isolate_.get();
  v8::Locker lock(isolate);
  free_collected_queues();  // also here: an isolate may serve no request for a long time
  if (spare_) return;
  v8::Isolate::Scope isolate_scope(isolate);
  v8::HandleScope handle_scope(isolate);
  SpareContext spare;
  const size_t script = spare_script_.load(std::memory_order_relaxed);
  spare.key = snapshot_->context_key(script);
  spare.queue = v8::MicrotaskQueue::New(isolate, v8::MicrotasksPolicy::kExplicit);
  v8::Local<v8::Context> context;
  if (!new_context(script, spare.queue.get()).ToLocal(&context)) {
    // The heap guard terminated it (heap_exhausted() now says so): the next request on this
    // isolate makes its own context and gets the verdict.
    isolate->CancelTerminateExecution();
    return;
  }
  spare.context.Reset(isolate, context);
  spare_ = std::move(spare);
  spare_ready_key_.store(spare_->key, std::memory_order_relaxed);
}

std::optional<WorkerIsolate::SpareContext> WorkerIsolate::take_spare_context(size_t key) {
  if (!spare_ || spare_->key != key) return std::nullopt;
  std::optional<SpareContext> spare = std::move(spare_);
  spare_.reset();
  spare_ready_key_.store(kNoSpare, std::memory_order_relaxed);
  return spare;
}

IsolateTurn::IsolateTurn(WorkerIsolate& isolate) : isolate_(isolate) {
  // A lost isolate is still "held" by the stranded thread (turn_depth_ > 0): never join that.
  if (isolate_.lost_) return;
  if (isolate_.turn_depth_ > 0) {
    ++isolate_.turn_depth_;
    held_ = true;
    return;
  }
  if (!isolate_.try_claim(WorkerIsolate::Holder::loop)) return;
  isolate_.turn_depth_ = 1;
  held_ = true;
  scope_.emplace(isolate_.isolate());
}

IsolateTurn::~IsolateTurn() {
  if (!held_ || --isolate_.turn_depth_ > 0) return;
  scope_.reset();
  isolate_.unclaim();
  if (isolate_.maker_ != nullptr && !isolate_.condemned_ && !isolate_.has_spare_context()) {
    isolate_.maker_->make_for(isolate_);
  }
}

IsolatePool::IsolatePool(const std::vector<LoadedScript>& scripts, const IsolateSettings& settings,
                         size_t size, IsolateEvent on_maker_done, TasksPosted on_tasks_posted)
    : scripts_(scripts), settings_(settings), on_tasks_posted_(std::move(on_tasks_posted)) {
  if (on_maker_done) maker_ = std::make_unique<SpareContextMaker>(std::move(on_maker_done));
  isolates_.resize(size);
  for (size_t i = 0; i < size; ++i) make_isolate(i);
}

void IsolatePool::make_isolate(size_t index) {
  isolates_[index] = std::make_unique<WorkerIsolate>(scripts_, settings_);
  WorkerIsolate& isolate = *isolates_[index];
  if (on_tasks_posted_) {
    V8Engine::listen_for_tasks(isolate.isolate(), [this, &isolate](double delay_s) {
      on_tasks_posted_(isolate, delay_s);
    });
  }
  if (maker_) {
    isolate.set_spare_maker(maker_.get());
    maker_->make_for(isolate);
  }
}

IsolatePool::~IsolatePool() {
  stop_maker();
}

void IsolatePool::stop_maker() {
  if (!maker_) return;
  maker_.reset();
  for (auto& isolate : isolates_) isolate->set_spare_maker(nullptr);
}

std::optional<size_t> IsolatePool::choose(size_t context_key) const {
  std::optional<size_t> best;
  for (size_t i = 0; i < isolates_.size(); ++i) {
    const WorkerIsolate& candidate = *isolates_[i];
    if (candidate.condemned()) continue;
    if (!best) {
      best = i;
      continue;
    }
    const WorkerIsolate& chosen = *isolates_[*best];
    // A spare ready saves the request a Context::New (~200-500 µs); after that, spreading the
    // requests spreads their heap over the isolates' separate limits.
    const bool candidate_ready = candidate.has_spare_context_for(context_key);
    if (candidate_ready != chosen.has_spare_context_for(context_key)) {
      if (candidate_ready) best = i;
    } else if (candidate.live_requests() < chosen.live_requests()) {
      best = i;
    }
  }
  return best;
}

bool IsolatePool::replace(size_t index) {
  WorkerIsolate& old = *isolates_[index];
  if (!old.try_claim(WorkerIsolate::Holder::loop)) return false;
  // Claimed: the maker is not inside it, and forget() keeps it from coming back.
  if (maker_) maker_->forget(old);
  isolates_[index].reset();
  make_isolate(index);
  return true;
}

std::unique_ptr<WorkerIsolate> IsolatePool::replace_lost(v8::Isolate* lost) {
  std::unique_ptr<WorkerIsolate> old;
  for (size_t i = 0; i < isolates_.size(); ++i) {
    if (isolates_[i] && isolates_[i]->isolate() != lost) continue;
    if (isolates_[i]) {
      old = std::move(isolates_[i]);
      old->mark_lost();
      V8Engine::listen_for_tasks(lost, nullptr);
      // The maker may be the stranded thread: forget() takes only its queue's lock, which it
      // never holds while inside an isolate.
      if (maker_) maker_->forget(*old);
    }
    make_isolate(i);
  }
  return old;
}

size_t IsolatePool::index_of(const WorkerIsolate& isolate) const {
  for (size_t i = 0; i < isolates_.size(); ++i) {
    if (isolates_[i].get() == &isolate) return i;
  }
  return isolates_.size();
}

}  // namespace wsup::worker
