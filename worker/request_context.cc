#include "worker/request_context.h"

#include <cstring>
#include <utility>

#include "worker/isolate_pool.h"
#include "worker/js_error.h"
#include "worker/startup_snapshot.h"

namespace wsup::worker {
namespace {

v8::Local<v8::String> v8_string(v8::Isolate* isolate, std::string_view text) {
  return v8::String::NewFromUtf8(isolate, text.data(), v8::NewStringType::kNormal,
                                 static_cast<int>(text.size()))
      .ToLocalChecked();
}

std::string to_utf8(v8::Isolate* isolate, v8::Local<v8::Value> value) {
  v8::String::Utf8Value text(isolate, value);
  return *text == nullptr ? std::string() : std::string(*text, text.length());
}

// A string body as UTF-8 bytes (lone surrogates become U+FFFD, as TextEncoder does).
std::string utf8_bytes(v8::Isolate* isolate, v8::Local<v8::String> text) {
  std::string bytes(static_cast<size_t>(text->Utf8Length(isolate)), '\0');
  text->WriteUtf8(isolate, bytes.data(), static_cast<int>(bytes.size()), nullptr,
                  v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8);
  return bytes;
}

v8::Local<v8::Value> body_to_js(v8::Isolate* isolate, const std::string& body) {
  if (body.empty()) return v8::Null(isolate);
  v8::Local<v8::ArrayBuffer> buffer = v8::ArrayBuffer::New(isolate, body.size());
  std::memcpy(buffer->GetBackingStore()->Data(), body.data(), body.size());
  return v8::Uint8Array::New(buffer, 0, body.size());
}

}  // namespace

RequestContext::RequestContext(boost::asio::io_context& loop, WorkerIsolate& isolate,
                               size_t script_index, const LoadedScript& script,
                               const RuntimeLimits& limits, limits::LimitEnforcer& enforcer,
                               HttpRequest request, Done done, Finished finished)
    : loop_(loop),
      isolate_(isolate),
      v8_isolate_(isolate.isolate()),
      script_index_(script_index),
      script_(script),
      limits_(limits),
      request_(std::move(request)),
      done_(std::move(done)),
      finished_callback_(std::move(finished)),
      enforcer_(enforcer),
      budget_(isolate.isolate(), std::chrono::milliseconds(limits.cpu_ms), isolate.heap_guard()),
      wall_timer_(loop) {}

RequestContext::~RequestContext() {
  release_v8_state();
}

bool RequestContext::isolate_must_be_replaced() const {
  return limit_hit_ == LimitHit::heap || isolate_.heap_exhausted();
}

void RequestContext::start() {
  auto self = shared_from_this();
  wall_timer_.expires_after(std::chrono::milliseconds(limits_.wall_ms));
  wall_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& error) {
    if (error) return;  // cancelled: the request finished first
    if (auto request = weak.lock()) request->on_wall_timeout();
  });
  {
    v8::Isolate::Scope isolate_scope(v8_isolate_);
    v8::HandleScope handle_scope(v8_isolate_);
    v8::Local<v8::Context> context;
    if (auto spare = isolate_.take_spare_context()) {
      microtasks_ = std::move(spare->queue);
      context = spare->context.Get(v8_isolate_);
    } else {
      microtasks_ = v8::MicrotaskQueue::New(v8_isolate_, v8::MicrotasksPolicy::kExplicit);
      context = v8::Context::New(v8_isolate_, nullptr, {}, {}, {}, microtasks_.get());
    }
    JsHost::attach(context, this);
    context_.Reset(v8_isolate_, context);
  }
  enforcer_.request_started(budget_);
  request_started_ = true;
  note_limits();  // the heap guard can fire during Context::New
  run_slice(true,
            [this](v8::Local<v8::Context> context) { return run_script_and_dispatch(context); });
  advance();
}

void RequestContext::run_slice(bool throw_fails_request,
                               const std::function<bool(v8::Local<v8::Context>)>& body) {
  v8::Isolate::Scope isolate_scope(v8_isolate_);
  v8::HandleScope handle_scope(v8_isolate_);
  v8::Local<v8::Context> context = context_.Get(v8_isolate_);
  v8::Context::Scope context_scope(context);
  {
    // Before the TryCatch: its end cancels any termination, so the next slice can run.
    limits::JsSlice slice(enforcer_, budget_);
    if (slice.may_run()) {
      v8::TryCatch try_catch(v8_isolate_);
      const bool ok = body(context);
      if (!try_catch.HasTerminated()) {
        if (!ok || try_catch.HasCaught()) {
          log_js_error("uncaught exception", context, try_catch.Exception(), try_catch.Message());
          if (throw_fails_request && !responded_ && !ready_) {
            ready_ = error_response(500,
                                    "Internal Server Error: the worker script threw an "
                                    "exception (see the worker log)\n");
          }
        }
        try_catch.Reset();
        microtasks_->PerformCheckpoint(v8_isolate_);
        if (!try_catch.HasTerminated()) inspect_promises(context);
      }
    }
  }
  note_limits();
}

void RequestContext::note_limits() {
  switch (budget_.verdict()) {
    case limits::LimitVerdict::cpu_exceeded:
      if (limit_hit_ == LimitHit::none) limit_hit_ = LimitHit::cpu;
      break;
    case limits::LimitVerdict::heap_exceeded:
      limit_hit_ = LimitHit::heap;
      break;
    case limits::LimitVerdict::within_limits:
      break;
  }
}

bool RequestContext::run_script_and_dispatch(v8::Local<v8::Context> context) {
  v8::Isolate* isolate = v8_isolate_;
  v8::Local<v8::Object> internal;
  if (!context->GetDataFromSnapshotOnce<v8::Object>(StartupSnapshot::instance().internal_index())
           .ToLocal(&internal)) {
    return false;
  }
  internal_.Reset(isolate, internal);

  v8::Local<v8::Value> namespace_object = v8::Undefined(isolate);
  v8::Local<v8::Object> env = make_env(context);
  if (script_.spec.module) {
    if (!run_module(context, namespace_object)) return false;
    if (ready_) return true;  // evaluation failed and was answered
  } else {
    // Service workers see their bindings as globals, as in Workers.
    v8::Local<v8::Array> names;
    if (!env->GetOwnPropertyNames(context).ToLocal(&names)) return false;
    for (uint32_t i = 0; i < names->Length(); ++i) {
      v8::Local<v8::Value> name = names->Get(context, i).ToLocalChecked();
      if (!context->Global()
               ->Set(context, name, env->Get(context, name).ToLocalChecked())
               .FromMaybe(false)) {
        return false;
      }
    }
    v8::Local<v8::Script> bound = isolate_.service_worker(script_index_)->BindToCurrentContext();
    if (bound->Run(context).IsEmpty()) return false;
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
  v8::Local<v8::Value> argv[] = {
      namespace_object, v8_string(isolate, request_.method), v8_string(isolate, request_.url),
      headers,          body_to_js(isolate, request_.body),  env};
  v8::Local<v8::Value> result;
  if (!dispatch.As<v8::Function>()
           ->Call(context, v8::Undefined(isolate), 6, argv)
           .ToLocal(&result)) {
    return false;
  }
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

bool RequestContext::run_module(v8::Local<v8::Context> context,
                                v8::Local<v8::Value>& namespace_object) {
  v8::Isolate* isolate = v8_isolate_;
  modules_.resize(script_.modules.size());
  for (size_t i = 0; i < script_.modules.size(); ++i) {
    v8::Local<v8::Module> module;
    if (!compile_module(isolate, script_.modules[i]).ToLocal(&module)) return false;
    modules_[i].Reset(isolate, module);
  }
  v8::Local<v8::Module> entry = modules_[0].Get(isolate);
  if (!entry->InstantiateModule(context, resolve_module).FromMaybe(false)) return false;
  v8::Local<v8::Value> evaluation;
  if (!entry->Evaluate(context).ToLocal(&evaluation)) return false;
  microtasks_->PerformCheckpoint(isolate);
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

v8::MaybeLocal<v8::Module> RequestContext::resolve_module(
    v8::Local<v8::Context> context, v8::Local<v8::String> specifier,
    v8::Local<v8::FixedArray> /*import_assertions*/, v8::Local<v8::Module> referrer) {
  // Every request context's JsHost is its RequestContext.
  auto* request = static_cast<RequestContext*>(JsHost::of(context));
  v8::Isolate* isolate = context->GetIsolate();
  // A module graph has a handful of files: a linear search by handle identity is exact, where
  // identity hashes may collide.
  for (size_t from = 0; from < request->modules_.size(); ++from) {
    if (request->modules_[from].Get(isolate) != referrer) continue;
    const auto& imports = request->script_.modules[from].imports;
    auto to = imports.find(to_utf8(isolate, specifier));
    if (to != imports.end()) return request->modules_[to->second].Get(isolate);
  }
  isolate->ThrowException(v8::Exception::Error(v8::String::Concat(
      isolate, v8::String::NewFromUtf8Literal(isolate, "Cannot resolve module "), specifier)));
  return {};
}

v8::Local<v8::Object> RequestContext::make_env(v8::Local<v8::Context> context) {
  v8::Isolate* isolate = v8_isolate_;
  v8::Local<v8::Object> env = v8::Object::New(isolate);
  for (const auto& [name, json] : script_.spec.vars) {
    v8::Local<v8::Value> value;
    v8::TryCatch not_json(isolate);  // the config validates vars; keep odd text as a string
    if (!v8::JSON::Parse(context, v8_string(isolate, json)).ToLocal(&value)) {
      value = v8_string(isolate, json);
    }
    env->Set(context, v8_string(isolate, name), value).Check();
  }
  for (const auto& [name, secret] : script_.secret_values) {
    env->Set(context, v8_string(isolate, name), v8_string(isolate, secret)).Check();
  }
  return env;
}

void RequestContext::inspect_promises(v8::Local<v8::Context> context) {
  v8::Isolate* isolate = v8_isolate_;
  if (!responded_ && !ready_ && !response_promise_.IsEmpty()) {
    v8::Local<v8::Promise> promise = response_promise_.Get(isolate);
    if (promise->State() == v8::Promise::kFulfilled) {
      ready_ = to_http_response(context, promise->Result());
    } else if (promise->State() == v8::Promise::kRejected) {
      log_js_error("response promise rejected", context, promise->Result(), {});
      ready_ = error_response(500,
                              "Internal Server Error: the worker script threw an exception "
                              "(see the worker log)\n");
    }
  }
  wait_until_settled_ = true;
  if (wait_until_.IsEmpty()) return;
  v8::Local<v8::Array> wait_until = wait_until_.Get(isolate);
  for (uint32_t i = 0; i < wait_until->Length(); ++i) {
    v8::Local<v8::Value> item;
    if (!wait_until->Get(context, i).ToLocal(&item) || !item->IsPromise()) continue;
    v8::Local<v8::Promise> promise = item.As<v8::Promise>();
    if (promise->State() == v8::Promise::kPending) {
      wait_until_settled_ = false;
    } else if (promise->State() == v8::Promise::kRejected && i >= wait_until_reported_) {
      log_js_error("waitUntil promise rejected", context, promise->Result(), {});
    }
    // Rejections are reported once: everything before the first pending promise is settled.
    if (wait_until_settled_) wait_until_reported_ = i + 1;
  }
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
    log::error("the handler's result is not a Response",
               {{"script", script_.spec.name}, {"req", request_.id}, {"type", type}});
    return error_response(500, "Internal Server Error: the handler did not return a Response\n");
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
  }
  return response;
}

void RequestContext::log_js_error(std::string_view what, v8::Local<v8::Context> context,
                                  v8::Local<v8::Value> exception, v8::Local<v8::Message> message) {
  JsError error = describe_js_error(context, exception, message);
  log::error(what, {{"script", script_.spec.name},
                    {"req", request_.id},
                    {"error", error.message},
                    {"location", error.location},
                    {"stack", error.stack}});
}

void RequestContext::advance() {
  if (finished_) return;
  auto self = shared_from_this();
  if (limit_hit_ != LimitHit::none) {
    if (!responded_) {
      respond(limit_hit_ == LimitHit::cpu
                  ? error_response(503,
                                   "Service Unavailable: the worker exceeded its CPU time "
                                   "limit\n")
                  : error_response(503,
                                   "Service Unavailable: the worker exceeded its memory "
                                   "limit\n"));
    }
    finish();
    return;
  }
  if (ready_ && !responded_) {
    HttpResponse response = std::move(*ready_);
    ready_.reset();
    respond(std::move(response));
  }
  if (!responded_ && timers_.empty()) {
    // Nothing left that could run JavaScript for this request: it can never settle.
    log::error(
        "the handler did not respond: its response promise is pending and no timer "
        "is left to settle it",
        {{"script", script_.spec.name}, {"req", request_.id}});
    respond(error_response(500, "Internal Server Error: the handler did not respond\n"));
  }
  if (responded_ && (timers_.empty() || wait_until_settled_)) finish();
}

uint32_t RequestContext::set_timer(v8::Local<v8::Function> callback,
                                   std::vector<v8::Local<v8::Value>> arguments, double delay_ms,
                                   bool repeat) {
  const uint32_t id = next_timer_id_++;
  Timer& timer = timers_[id];
  timer.timer = std::make_unique<boost::asio::steady_timer>(loop_);
  timer.callback.Reset(v8_isolate_, callback);
  for (v8::Local<v8::Value> argument : arguments) {
    timer.arguments.emplace_back(v8_isolate_, argument);
  }
  // Clamped to the wall limit (nothing runs past it anyway); intervals of 0 would spin.
  const double clamped = std::min<double>(delay_ms, limits_.wall_ms);
  timer.interval = std::chrono::milliseconds(static_cast<int64_t>(clamped));
  if (repeat && timer.interval.count() == 0) timer.interval = std::chrono::milliseconds(1);
  timer.repeat = repeat;
  arm_timer(id);
  return id;
}

void RequestContext::arm_timer(uint32_t id) {
  Timer& timer = timers_.at(id);
  timer.timer->expires_after(timer.interval);
  timer.timer->async_wait([weak = weak_from_this(), id](const boost::system::error_code& error) {
    if (error) return;  // cancelled by clearTimeout or by the end of the request
    if (auto request = weak.lock()) request->on_timer(id);
  });
}

void RequestContext::clear_timer(uint32_t id) {
  timers_.erase(id);
}

void RequestContext::on_timer(uint32_t id) {
  if (finished_ || timers_.find(id) == timers_.end()) return;
  auto self = shared_from_this();
  bool repeat = false;
  run_slice(false, [this, id, &repeat](v8::Local<v8::Context> context) {
    auto it = timers_.find(id);
    v8::Local<v8::Function> callback = it->second.callback.Get(v8_isolate_);
    std::vector<v8::Local<v8::Value>> argv;
    for (const auto& argument : it->second.arguments) argv.push_back(argument.Get(v8_isolate_));
    repeat = it->second.repeat;
    // A one-shot timer is gone before its callback runs, so the callback (and advance())
    // no longer count it as pending.
    if (!repeat) timers_.erase(it);
    return !callback->Call(context, context->Global(), static_cast<int>(argv.size()), argv.data())
                .IsEmpty();
  });
  if (repeat && !finished_ && timers_.count(id) != 0) arm_timer(id);
  advance();
}

void RequestContext::on_wall_timeout() {
  if (finished_) return;
  auto self = shared_from_this();
  if (!responded_) {
    log::warn("wall time limit exceeded",
              {{"script", script_.spec.name}, {"req", request_.id}, {"wall_ms", limits_.wall_ms}});
    respond(error_response(504, "Gateway Timeout: the worker exceeded its wall time limit\n"));
  }
  finish();
}

void RequestContext::console_message(log::Level level, std::string_view text) {
  log::write(level, text, {{"script", script_.spec.name}, {"req", request_.id}});
}

HttpResponse RequestContext::error_response(uint16_t status, std::string_view body) const {
  HttpResponse response;
  response.id = request_.id;
  response.status = status;
  response.headers.emplace_back("content-type", "text/plain;charset=UTF-8");
  response.body = body;
  return response;
}

void RequestContext::respond(HttpResponse response) {
  responded_ = true;
  response.id = request_.id;
  if (done_) {
    Done done = std::move(done_);
    done_ = nullptr;
    done(std::move(response));
  }
}

void RequestContext::finish() {
  if (finished_) return;
  finished_ = true;
  release_v8_state();
  if (finished_callback_) {
    Finished finished = std::move(finished_callback_);
    finished_callback_ = nullptr;
    finished(*this);
  }
}

void RequestContext::abandon() {
  done_ = nullptr;
  finished_callback_ = nullptr;
  finished_ = true;
  release_v8_state();
}

void RequestContext::release_v8_state() {
  if (request_started_) {
    request_started_ = false;
    const limits::LimitVerdict verdict = enforcer_.request_ended(budget_);
    if (verdict != limits::LimitVerdict::within_limits) {
      log::warn("request stopped at a limit",
                {{"script", script_.spec.name},
                 {"req", request_.id},
                 {"limit", limits::limit_verdict_name(verdict)},
                 {"cpu_us", static_cast<int64_t>(budget_.cpu_used().count() / 1000)}});
    }
  }
  wall_timer_.cancel();
  timers_.clear();
  if (!context_.IsEmpty()) {
    v8::Isolate::Scope isolate_scope(v8_isolate_);
    v8::HandleScope handle_scope(v8_isolate_);
    v8::Local<v8::Context> context = context_.Get(v8_isolate_);
    JsHost::attach(context, nullptr);
    isolate_.retire_microtask_queue(context, std::move(microtasks_));
  }
  response_promise_.Reset();
  wait_until_.Reset();
  internal_.Reset();
  modules_.clear();
  context_.Reset();
  microtasks_.reset();
}

}  // namespace wsup::worker
