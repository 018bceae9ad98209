// RequestContext, part four: promises rejected with no handler. V8 tells the request about
// each (isolate_pool.cc's PromiseRejectCallback) and about a handler added later; after each
// microtask checkpoint of a slice, the ones still unhandled are reported as HTML says: an
// 'unhandledrejection' PromiseRejectionEvent on the global scope (fetch_event.js's
// internal.unhandledRejection), then, unless a listener canceled it, an error in the request's
// log. The response promise, the waitUntil promises and the module's evaluation are left out:
// the runtime reports their rejections itself.
#include "worker/js_values.h"
#include "worker/request_context.h"

namespace wsup::worker {

void RequestContext::promise_rejected_unhandled(v8::Local<v8::Promise> promise,
                                                v8::Local<v8::Value> reason) {
  if (released_) return;
  unhandled_rejections_.push_back(
      {v8::Global<v8::Promise>(v8_isolate_, promise), v8::Global<v8::Value>(v8_isolate_, reason)});
}

void RequestContext::promise_handled_late(v8::Local<v8::Promise> promise) {
  std::erase_if(unhandled_rejections_,
                [&](const UnhandledRejection& rejection) { return rejection.promise == promise; });
}

bool RequestContext::reported_by_runtime(v8::Local<v8::Context> context,
                                         v8::Local<v8::Promise> promise) {
  if (!response_promise_.IsEmpty() && response_promise_ == promise) return true;
  if (wait_until_.IsEmpty()) return false;
  v8::Local<v8::Array> wait_until = wait_until_.Get(v8_isolate_);
  for (uint32_t i = 0; i < wait_until->Length(); ++i) {
    v8::Local<v8::Value> item;
    if (wait_until->Get(context, i).ToLocal(&item) && item == promise) return true;
  }
  return false;
}

void RequestContext::report_unhandled_rejections(v8::Local<v8::Context> context) {
  // Listeners may reject more promises: each round drains what the last one left.
  while (!unhandled_rejections_.empty() && !v8_isolate_->IsExecutionTerminating()) {
    std::vector<UnhandledRejection> round = std::move(unhandled_rejections_);
    unhandled_rejections_.clear();
    v8::Local<v8::Value> report;
    if (!internal_.IsEmpty() &&
        !internal_.Get(v8_isolate_)
             ->Get(context, v8::String::NewFromUtf8Literal(v8_isolate_, "unhandledRejection"))
             .ToLocal(&report)) {
      return;
    }
    for (UnhandledRejection& rejection : round) {
      v8::Local<v8::Promise> promise = rejection.promise.Get(v8_isolate_);
      v8::Local<v8::Value> reason = rejection.reason.Get(v8_isolate_);
      if (promise->HasHandler() || reported_by_runtime(context, promise)) continue;
      bool log_it = true;
      if (!report.IsEmpty() && report->IsFunction()) {
        v8::TryCatch try_catch(v8_isolate_);
        v8::Local<v8::Value> argv[] = {promise, reason};
        v8::Local<v8::Value> result;
        if (report.As<v8::Function>()
                ->Call(context, v8::Undefined(v8_isolate_), 2, argv)
                .ToLocal(&result)) {
          log_it = result->BooleanValue(v8_isolate_);
        } else if (try_catch.HasTerminated()) {
          return;
        }
      }
      if (log_it) log_js_error("unhandled promise rejection", context, reason, {}, true);
    }
    queue_->PerformCheckpoint(v8_isolate_);
  }
}

}  // namespace wsup::worker
