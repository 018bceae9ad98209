// RequestContext, part three: a request of an `isolation: isolate` script, on the context its
// isolate's requests of that script share (shared_context.h): finding or making it, evaluating
// the top level there once when no snapshot holds it, waking the other requests on it after a
// slice, and recycling it.
#include "worker/isolate_pool.h"
#include "worker/request_context.h"
#include "worker/shared_context.h"
#include "worker/stopwatch.h"

namespace wsup::worker {

v8::Local<v8::Context> RequestContext::enter_shared_context() {
  SharedContexts& contexts = isolate_.shared_contexts();
  SharedContext* shared = contexts.current(script_index_);
  if (shared == nullptr) {
    const Stopwatch making;
    auto queue = v8::MicrotaskQueue::New(v8_isolate_, v8::MicrotasksPolicy::kExplicit);
    v8::Local<v8::Context> context;
    if (!isolate_.new_context(script_index_, queue.get()).ToLocal(&context)) {
      // The heap guard stopped it: begin() gives the verdict.
      v8_isolate_->CancelTerminateExecution();
      return {};
    }
    context_ns_ = making.elapsed_ns();
    auto made =
        std::make_unique<SharedContext>(v8_isolate_, context, std::move(queue), script_.spec.name,
                                        contexts.next_generation(script_index_));
    made->set_made_at_gc(isolate_.major_gcs());
    shared = &contexts.install(script_index_, std::move(made));
  }
  shared_ = shared;
  shared_->attach(*this);
  queue_ = shared_->microtasks();
  return shared_->context();
}

bool RequestContext::prepare_shared_context(v8::Local<v8::Context> context,
                                            v8::Local<v8::Object>& internal,
                                            v8::Local<v8::Value>& entry) {
  if (!shared_->evaluated()) {
    const ScriptSnapshot& snapshot = isolate_.snapshot();
    if (!snapshot.take_internal(context).ToLocal(&internal)) return false;
    if (snapshot.snapshotted(script_index_)) {
      if (!snapshot.take_entry(context, script_index_).ToLocal(&entry)) return false;
    } else if (!evaluate_top_level(context, shared_->modules(), entry) || ready_) {
      // The next request tries a fresh context.
      shared_->retire();
      return ready_.has_value();
    }
    shared_->set_evaluated(internal, entry);
  }
  internal = shared_->internal();
  entry = shared_->entry();
  return true;
}

void RequestContext::wake_shared_context_requests() {
  // This slice's checkpoint may have run their reactions and settled their promises.
  for (const auto& other : shared_->requests_besides(*this)) other->run_microtasks(false);
}

void RequestContext::leave_shared_context() {
  v8::HandleScope handle_scope(v8_isolate_);
  SharedContext& shared = *shared_;
  shared_ = nullptr;
  shared.detach(*this);
  shared.count_served();
  const ScriptSpec& spec = script_.spec;
  std::string why;
  if (limit_hit_ != LimitHit::none) {
    why = "a request on it was stopped at a limit in the middle of its JavaScript";
  } else if (spec.recycle_requests != 0 && shared.served() >= spec.recycle_requests) {
    why = "it served recycle.requests requests";
  } else if (spec.recycle_heap_mib != 0 && isolate_.major_gcs() > shared.made_at_gc() &&
             isolate_.live_heap_bytes() > (size_t{spec.recycle_heap_mib} << 20)) {
    why = "its isolate's live heap passed recycle.heap_mib";
  }
  SharedContexts& contexts = isolate_.shared_contexts();
  if (!why.empty() && !shared.retired()) {
    shared.retire();
    contexts.count_recycled();
    log::info("replacing a shared context: new requests get a fresh one",
              {{"script", spec.name},
               {"generation", shared.generation()},
               {"served", shared.served()},
               {"reason", why}});
  }
  SharedContexts::Dropped dropped = contexts.drop_if_done(shared);
  if (dropped.queue) {
    isolate_.retire_microtask_queue(dropped.context.Get(v8_isolate_), std::move(dropped.queue));
  }
}

}  // namespace wsup::worker
