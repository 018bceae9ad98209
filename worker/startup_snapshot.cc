#include "worker/startup_snapshot.h"

#include <v8-initialization.h>

#include <string>

#include "worker/api/console.h"
#include "worker/api/fetch_api.h"
#include "worker/api/timers.h"
#include "worker/global_scope.h"
#include "worker/startup_error.h"
#include "worker/web/web_platform.h"

namespace wsup::worker {
namespace {

std::string pending_exception_text(v8::Isolate* isolate, v8::TryCatch& try_catch) {
  if (!try_catch.HasCaught()) return "unknown error";
  v8::String::Utf8Value text(isolate, try_catch.Exception());
  std::string result = *text == nullptr ? "exception" : *text;
  v8::Local<v8::Message> message = try_catch.Message();
  if (!message.IsEmpty()) {
    v8::String::Utf8Value name(isolate, message->GetScriptResourceName());
    result = std::string(*name == nullptr ? "?" : *name) + ":" +
             std::to_string(message->GetLineNumber(isolate->GetCurrentContext()).FromMaybe(0)) +
             ": " + result;
  }
  return result;
}

// Runs internal.warmUp() (fetch_event.js) and drains its microtasks, then deletes it: the
// bytecode of the request path is compiled into the snapshot instead of into every context.
void warm_up(v8::Local<v8::Context> context, v8::Local<v8::Object> internal) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::TryCatch try_catch(isolate);
  v8::Local<v8::String> key = v8::String::NewFromUtf8Literal(isolate, "warmUp");
  v8::Local<v8::Value> warm_up;
  if (!internal->Get(context, key).ToLocal(&warm_up) || !warm_up->IsFunction() ||
      warm_up.As<v8::Function>()->Call(context, internal, 0, nullptr).IsEmpty()) {
    throw StartupError("warming up the fetch API failed: " +
                       pending_exception_text(isolate, try_catch));
  }
  isolate->PerformMicrotaskCheckpoint();
  internal->Delete(context, key).Check();
}

}  // namespace

v8::Local<v8::Object> install_wsup_globals(v8::Local<v8::Context> context) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::EscapableHandleScope scope(isolate);
  v8::TryCatch try_catch(isolate);
  // Timers first: the web platform captures setTimeout for AbortSignal.timeout.
  if (!api::install_timers(context) || !web::install_web_platform(context)) {
    throw StartupError("installing the web platform APIs failed: " +
                       pending_exception_text(isolate, try_catch));
  }
  v8::Local<v8::Object> internal;
  if (!api::install_console(context) || !api::install_fetch_api(context).ToLocal(&internal)) {
    throw StartupError("installing the fetch API failed: " +
                       pending_exception_text(isolate, try_catch));
  }
  return scope.Escape(internal);
}

std::vector<intptr_t> StartupSnapshot::collect_external_references() {
  std::vector<intptr_t> references;
  references = web::web_platform_external_references();
  api::add_fetch_api_references(references);
  api::add_timers_references(references);
  api::add_console_references(references);
  add_global_scope_references(references);
  references.push_back(0);
  return references;
}

const StartupSnapshot& StartupSnapshot::instance() {
  static const StartupSnapshot snapshot;
  return snapshot;
}

StartupSnapshot::StartupSnapshot() : references_(collect_external_references()) {
  v8::SnapshotCreator creator(references_.data());
  v8::Isolate* isolate = creator.GetIsolate();
  for (BakedContext kind : kBakedContexts) {
    v8::HandleScope handle_scope(isolate);
    v8::Local<v8::Context> context = v8::Context::New(isolate);
    v8::Context::Scope context_scope(context);
    v8::Local<v8::Object> internal = install_wsup_globals(context);
    warm_up(context, internal);
    const std::vector<size_t> families = families_baked_into(kind);
    if (!families.empty()) {
      v8::TryCatch try_catch(isolate);
      if (!web::bake_lazy_families(context, families)) {
        throw StartupError("building the web platform into the snapshot's \"" +
                           std::string(to_string(kind)) +
                           "\" context failed: " + pending_exception_text(isolate, try_catch));
      }
      isolate->PerformMicrotaskCheckpoint();
    }
    internal_index_[static_cast<size_t>(kind)] = creator.AddData(context, internal);
    if (kind == BakedContext::plain) {
      creator.SetDefaultContext(context);
    } else {
      // Context::FromSnapshot numbers the added contexts from 0, in this order.
      creator.AddContext(context);
    }
  }
  // kKeep: the bytecode compiled while installing stays in the blob, so contexts made from it
  // do not compile the API code again.
  blob_ = creator.CreateBlob(v8::SnapshotCreator::FunctionCodeHandling::kKeep);
  if (blob_.data == nullptr) throw StartupError("V8 could not create the startup snapshot");
  // The creator's isolate rehashed V8's built-in snapshot with a random seed, and that seed is
  // now baked into this blob, which lives only in this process. Rehashing every context made
  // from it again buys no protection against hash flooding and cost ~25 µs per context.
  // Set here, after creation and before any script is compiled (code caches carry a hash of
  // the flags).
  v8::V8::SetFlagsFromString("--no-rehash-snapshot");
}

v8::MaybeLocal<v8::Context> StartupSnapshot::new_context(v8::Isolate* isolate, BakedContext kind,
                                                         v8::MicrotaskQueue* microtasks) const {
  if (kind == BakedContext::plain) {
    return v8::Context::New(isolate, nullptr, {}, {}, {}, microtasks);
  }
  return v8::Context::FromSnapshot(isolate, static_cast<size_t>(kind) - 1, {}, nullptr, {},
                                   microtasks);
}

StartupSnapshot::~StartupSnapshot() {
  delete[] blob_.data;
}

}  // namespace wsup::worker
