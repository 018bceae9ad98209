// RequestContext, part two: running the script in the request's context (service worker or ES
// module graph), building `env`, dispatching the fetch event (or, for a cron trigger's run, the
// scheduled event) and reading the Response back.
// Lifecycle, slices, timers and answers are in request_context.cc.
#include <utility>

#include "worker/isolate_pool.h"
#include "worker/js_values.h"
#include "worker/request_context.h"
#include "worker/script_bindings.h"

namespace wsup::worker {

bool RequestContext::run_script_and_dispatch(v8::Local<v8::Context> context) {
  v8::Isolate* isolate = v8_isolate_;
  const ScriptSnapshot& snapshot = isolate_.snapshot();
  v8::Local<v8::Object> internal;
  v8::Local<v8::Value> namespace_object = v8::Undefined(isolate);
  if (shared_ != nullptr) {
    if (!prepare_shared_context(context, internal, namespace_object)) return false;
    if (ready_) return true;  // evaluation failed and was answered
  } else {
    if (!snapshot.take_internal(context).ToLocal(&internal)) return false;
    if (snapshot.snapshotted(script_index_)) {
      // The context holds the evaluated top level: a module's exports as {default}, or a
      // service worker's listeners (and its bindings as globals) already registered.
      if (!snapshot.take_entry(context, script_index_).ToLocal(&namespace_object)) return false;
    } else {
      if (!evaluate_top_level(context, modules_, namespace_object)) return false;
      if (ready_) return true;  // evaluation failed and was answered
    }
  }
  internal_.Reset(isolate, internal);
  // A service worker reads its bindings as globals, never as an argument.
  v8::Local<v8::Value> env = v8::Undefined(isolate);
  if (script_.spec.module) env = make_env(context, script_);

  v8::Local<v8::Value> result;
  if (request_.scheduled) {
    if (!dispatch_scheduled(context, internal, namespace_object, env).ToLocal(&result))
      return false;
    return take_dispatch_result(context, result);
  }
  v8::Local<v8::Array> headers =
      v8::Array::New(isolate, static_cast<int>(request_.headers.size() * 2));
  uint32_t slot = 0;
  for (const auto& [name, value] : request_.headers) {
    if (!headers->Set(context, slot++, v8_string(isolate, name)).FromMaybe(false) ||
        !headers->Set(context, slot++, v8_string(isolate, value)).FromMaybe(false)) {
      return false;
    }
  }
  v8::Local<v8::Value> dispatch;
  if (!internal->Get(context, v8::String::NewFromUtf8Literal(isolate, "dispatchFetch"))
           .ToLocal(&dispatch)) {
    return false;
  }
  v8::Local<v8::Value> body;
  if (!body_to_js(isolate, request_.body).ToLocal(&body)) return false;
  v8::Local<v8::Value> argv[] = {namespace_object,
                                 v8_string(isolate, request_.method),
                                 v8_string(isolate, request_.url),
                                 headers,
                                 body,
                                 env};
  if (!dispatch.As<v8::Function>()
           ->Call(context, v8::Undefined(isolate), 6, argv)
           .ToLocal(&result)) {
    return false;
  }
  return take_dispatch_result(context, result);
}

v8::MaybeLocal<v8::Value> RequestContext::dispatch_scheduled(v8::Local<v8::Context> context,
                                                             v8::Local<v8::Object> internal,
                                                             v8::Local<v8::Value> namespace_object,
                                                             v8::Local<v8::Value> env) {
  v8::Isolate* isolate = v8_isolate_;
  v8::Local<v8::Value> dispatch;
  if (!internal->Get(context, v8::String::NewFromUtf8Literal(isolate, "dispatchScheduled"))
           .ToLocal(&dispatch)) {
    return {};
  }
  v8::Local<v8::Value> argv[] = {
      namespace_object, v8_string(isolate, request_.scheduled->cron),
      v8::Number::New(isolate, static_cast<double>(request_.scheduled->scheduled_time_ms)), env};
  return dispatch.As<v8::Function>()->Call(context, v8::Undefined(isolate), 4, argv);
}

bool RequestContext::take_dispatch_result(v8::Local<v8::Context> context,
                                          v8::Local<v8::Value> result) {
  v8::Isolate* isolate = v8_isolate_;
  v8::Local<v8::Array> pair = result.As<v8::Array>();
  v8::Local<v8::Value> promise = pair->Get(context, 0).ToLocalChecked();
  wait_until_.Reset(isolate, pair->Get(context, 1).ToLocalChecked().As<v8::Array>());
  if (promise->IsPromise()) {
    response_promise_.Reset(isolate, promise.As<v8::Promise>());
  } else {
    log::error("no fetch listener called respondWith()",
               {{"script", script_.spec.name}, {"req", request_.id}});
    ready_ = error_response(500,
                            "Internal Server Error: the handler did not respond (no fetch "
                            "listener called respondWith())\n");
  }
  return true;
}

bool RequestContext::evaluate_top_level(v8::Local<v8::Context> context, ModuleGraph& graph,
                                        v8::Local<v8::Value>& namespace_object) {
  if (script_.spec.module) return run_module(context, graph, namespace_object);
  // Service workers see their bindings as globals, as in Workers.
  if (!bind_env_as_globals(context, make_env(context, script_))) return false;
  v8::Local<v8::Script> bound = isolate_.service_worker(script_index_)->BindToCurrentContext();
  return !bound->Run(context).IsEmpty();
}

bool RequestContext::run_module(v8::Local<v8::Context> context, ModuleGraph& graph,
                                v8::Local<v8::Value>& namespace_object) {
  v8::Isolate* isolate = v8_isolate_;
  if (!graph.compile(isolate, script_)) return false;
  v8::Local<v8::Module> entry = graph.entry(isolate);
  if (!entry->InstantiateModule(context, ModuleGraph::resolve_in_context).FromMaybe(false)) {
    return false;
  }
  v8::Local<v8::Value> evaluation;
  if (!entry->Evaluate(context).ToLocal(&evaluation)) return false;
  if (evaluation->IsPromise()) {
    // A module that throws is reported below as an uncaught exception, not as the rejection of
    // its evaluation's promise too.
    evaluation.As<v8::Promise>()->MarkAsHandled();
    promise_handled_late(evaluation.As<v8::Promise>());
  }
  queue_->PerformCheckpoint(isolate);
  if (entry->GetStatus() == v8::Module::kErrored) {
    log_js_error("uncaught exception", context, entry->GetException(), {});
    ready_ = error_response(500,
                            "Internal Server Error: the worker script threw an exception "
                            "(see the worker log)\n");
    return true;
  }
  if (evaluation->IsPromise() && evaluation.As<v8::Promise>()->State() == v8::Promise::kPending) {
    log::error("module top-level await did not settle before the fetch event",
               {{"script", script_.spec.name}, {"req", request_.id}});
    ready_ = error_response(500,
                            "Internal Server Error: the module's top-level await did not "
                            "settle\n");
    return true;
  }
  namespace_object = entry->GetModuleNamespace();
  return true;
}

HttpResponse RequestContext::to_http_response(v8::Local<v8::Context> context,
                                              v8::Local<v8::Value> value) {
  v8::Isolate* isolate = v8_isolate_;
  v8::TryCatch try_catch(isolate);
  v8::Local<v8::Object> internal = internal_.Get(isolate);
  v8::Local<v8::Value> serialize;
  v8::Local<v8::Value> fields;
  if (!internal->Get(context, v8::String::NewFromUtf8Literal(isolate, "serializeResponse"))
           .ToLocal(&serialize) ||
      !serialize.As<v8::Function>()
           ->Call(context, v8::Undefined(isolate), 1, &value)
           .ToLocal(&fields)) {
    log_js_error("reading the response failed", context, try_catch.Exception(),
                 try_catch.Message());
    return error_response(500, "Internal Server Error: the response could not be read\n");
  }
  if (!fields->IsArray()) {
    const std::string type = value->IsObject()
                                 ? to_utf8(isolate, value.As<v8::Object>()->GetConstructorName())
                                 : to_utf8(isolate, value->TypeOf(isolate));
    v8::Local<v8::Value> reason;
    if (internal->Get(context, v8::String::NewFromUtf8Literal(isolate, "lastSerializeError"))
            .ToLocal(&reason) &&
        reason->IsString()) {
      log::error(to_utf8(isolate, reason),
                 {{"script", script_.spec.name}, {"req", request_.id}, {"type", type}});
    }
    return error_response(500,
                          "Internal Server Error: the handler did not return a Response "
                          "that can be sent (see the worker log)\n");
  }
  v8::Local<v8::Array> parts = fields.As<v8::Array>();
  HttpResponse response;
  response.status =
      static_cast<uint16_t>(parts->Get(context, 0).ToLocalChecked().As<v8::Int32>()->Value());
  v8::Local<v8::Array> headers = parts->Get(context, 1).ToLocalChecked().As<v8::Array>();
  for (uint32_t i = 0; i + 1 < headers->Length(); i += 2) {
    response.headers.emplace_back(to_utf8(isolate, headers->Get(context, i).ToLocalChecked()),
                                  to_utf8(isolate, headers->Get(context, i + 1).ToLocalChecked()));
  }
  v8::Local<v8::Value> body = parts->Get(context, 2).ToLocalChecked();
  if (body->IsString()) {
    response.body = utf8_bytes(isolate, body.As<v8::String>());
  } else if (body->IsUint8Array()) {
    v8::Local<v8::Uint8Array> bytes = body.As<v8::Uint8Array>();
    response.body.resize(bytes->ByteLength());
    bytes->CopyContents(response.body.data(), response.body.size());
  } else if (body->IsNumber()) {
    // A fetched body nobody touched: the head goes out first, then the subrequest's body as it
    // comes, sent on in C++ (request_fetch_pipe.cc).
    piped_fetch_ = static_cast<uint32_t>(body.As<v8::Number>()->Value());
  } else if (body->IsObject()) {
    // A ReadableStream: the head goes out first, then the body as the script produces it.
    body_stream_.Reset(isolate, body.As<v8::Object>());
    v8::Local<v8::Value> length;
    if (parts->Length() > 3 && parts->Get(context, 3).ToLocal(&length) && length->IsNumber()) {
      const double declared = length.As<v8::Number>()->Value();
      if (declared >= 0) body_length_ = static_cast<uint64_t>(declared);
    }
  }
  return response;
}

}  // namespace wsup::worker
