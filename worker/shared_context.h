// `isolation: isolate`: one context per isolate and script, reused by the script's requests on
// that isolate, as Cloudflare Workers and workerd run a script (module state and globals persist
// per isolate; what one request leaves on them the next one sees). It starts from the script's
// snapshot context (or evaluates the top level in the first request when the script has none)
// and is replaced by a fresh one after `recycle_requests` requests, once its isolate's live heap
// passes `recycle_heap_mib`, or after a request on it was stopped mid-JavaScript at a limit (its
// state may be half-updated). A replaced context lives on until its last request ends.
//
// Requests on it interleave as they do on an isolate: each runs its own slices, under its own
// CPU budget and wall time. A context has one microtask queue, so a slice's checkpoint runs the
// microtasks every request on the context queued; their CPU time is charged to that slice's
// request, and after it every request on the context looks at its promises again. What the
// microtasks do belongs to the request whose code queued them: the SharedContext is the
// context's JsHost and hands each timer, console line or response-body call to the request named
// by V8's continuation-preserved embedder data, which each slice sets to its request's id and
// every promise reaction carries along.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <v8.h>

#include "worker/api/js_host.h"
#include "worker/module_graph.h"

namespace wsup::worker {

class RequestContext;

class SharedContext final : public JsHost {
 public:
  // Takes `context` (its JsHost becomes this) and the queue it was made with.
  SharedContext(v8::Isolate* isolate, v8::Local<v8::Context> context,
                std::unique_ptr<v8::MicrotaskQueue> queue, std::string script_name,
                uint64_t generation);
  // Needs the isolate locked and entered; detaches from the context.
  ~SharedContext() override;
  SharedContext(const SharedContext&) = delete;
  SharedContext& operator=(const SharedContext&) = delete;

  v8::Isolate* isolate() const { return isolate_; }
  v8::Local<v8::Context> context() const { return context_.Get(isolate_); }
  v8::MicrotaskQueue* microtasks() const { return queue_.get(); }
  // Hands the queue over for WorkerIsolate::retire_microtask_queue when the context is dropped.
  std::unique_ptr<v8::MicrotaskQueue> release_microtasks() { return std::move(queue_); }

  // The private `internal` object and the entry ({default} or undefined) requests dispatch to;
  // empty until the top level ran (evaluated() says so).
  bool evaluated() const { return !internal_.IsEmpty(); }
  void set_evaluated(v8::Local<v8::Object> internal, v8::Local<v8::Value> entry);
  v8::Local<v8::Object> internal() const { return internal_.Get(isolate_); }
  v8::Local<v8::Value> entry() const { return entry_.Get(isolate_); }
  // The script's modules when the top level runs here rather than in a snapshot.
  ModuleGraph& modules() { return modules_; }

  // The requests living on it, by id; each slice names its request (set_current) so that the
  // work it queues is handed back to it.
  void attach(RequestContext& request);
  void detach(RequestContext& request);
  size_t live_requests() const { return requests_.size(); }
  // The other requests on it (a slice may have settled their promises).
  std::vector<std::shared_ptr<RequestContext>> requests_besides(const RequestContext& request);
  void set_current(uint64_t request_id);

  uint64_t served() const { return served_; }
  void count_served() { ++served_; }
  // Replaced: new requests get a fresh context; this one goes when its last request ends.
  bool retired() const { return retired_; }
  void retire() { retired_ = true; }
  // Which of its isolate's contexts for the script this is (1, 2, ...), for the log.
  uint64_t generation() const { return generation_; }
  // WorkerIsolate::major_gcs() when it was made: its isolate's live heap is judged only by
  // collections since.
  uint64_t made_at_gc() const { return made_at_gc_; }
  void set_made_at_gc(uint64_t gcs) { made_at_gc_ = gcs; }

  // JsHost: each call goes to the request whose code is running (see the header comment).
  uint32_t set_timer(v8::Local<v8::Function> callback, std::vector<v8::Local<v8::Value>> arguments,
                     double delay_ms, bool repeat) override;
  void clear_timer(uint32_t id) override;
  void console_message(log::Level level, std::string_view text) override;
  size_t console_room() const override;
  bool response_body_chunk(std::string_view bytes) override;
  void response_body_end() override;
  void response_body_error(v8::Local<v8::Value> error) override;
  void promise_rejected_unhandled(v8::Local<v8::Promise> promise,
                                  v8::Local<v8::Value> reason) override;
  void promise_handled_late(v8::Local<v8::Promise> promise) override;
  uint32_t fetch_start(egress::SubrequestSpec spec, v8::Local<v8::Object> handlers,
                       std::string& refusal) override;
  void fetch_resume(uint32_t id) override;
  void fetch_abort(uint32_t id) override;
  void fetch_write(uint32_t id, std::string chunk) override;
  void fetch_end_body(uint32_t id) override;
  const ModuleGraph* module_graph() const override { return &modules_; }

 private:
  // The request the running JavaScript belongs to; null when it has ended.
  RequestContext* current() const;

  v8::Isolate* isolate_;
  std::unique_ptr<v8::MicrotaskQueue> queue_;
  v8::Global<v8::Context> context_;
  v8::Global<v8::Object> internal_;
  v8::Global<v8::Value> entry_;
  ModuleGraph modules_;
  std::unordered_map<uint64_t, RequestContext*> requests_;
  std::string script_name_;
  uint64_t served_ = 0;
  uint64_t generation_;
  uint64_t made_at_gc_ = 0;
  bool retired_ = false;
};

// An isolate's shared contexts: the current one of each script, and replaced ones that still
// have requests. Loop thread, under the isolate's lock.
class SharedContexts {
 public:
  // The context new requests of `script` go to; null when none is current.
  SharedContext* current(size_t script);
  // Makes `context` the current one of `script` (the one before, if any, is retired).
  SharedContext& install(size_t script, std::unique_ptr<SharedContext> context);
  uint64_t next_generation(size_t script);
  // Drops `context` when it is retired and no request lives on it; returns its context and queue
  // for WorkerIsolate::retire_microtask_queue (an empty queue when it stays).
  struct Dropped {
    v8::Global<v8::Context> context;
    std::unique_ptr<v8::MicrotaskQueue> queue;
  };
  Dropped drop_if_done(SharedContext& context);
  size_t size() const { return contexts_.size(); }
  uint64_t recycled() const { return recycled_; }
  void count_recycled() { ++recycled_; }
  void clear() { contexts_.clear(); }  // isolate teardown

 private:
  struct Entry {
    size_t script;
    std::unique_ptr<SharedContext> context;
  };
  std::vector<Entry> contexts_;
  std::unordered_map<size_t, uint64_t> generations_;
  uint64_t recycled_ = 0;
};

}  // namespace wsup::worker
