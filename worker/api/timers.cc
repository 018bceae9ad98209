#include "worker/api/timers.h"

#include <cmath>

#include "worker/api/js_host.h"

namespace wsup::worker::api {
namespace {

void throw_type_error(v8::Isolate* isolate, const char* message) {
  isolate->ThrowException(
      v8::Exception::TypeError(v8::String::NewFromUtf8(isolate, message).ToLocalChecked()));
}

// setTimeout(callback, delay = 0, ...arguments) and setInterval: the repeat flag is the
// function's data.
void set_timer(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  JsHost* host = JsHost::of(context);
  if (host == nullptr) return throw_type_error(isolate, "timers are unavailable here");
  if (info.Length() < 1 || !info[0]->IsFunction()) {
    return throw_type_error(isolate, "The callback provided as parameter 1 is not a function.");
  }
  double delay = 0;
  if (info.Length() >= 2 && !info[1]->NumberValue(context).To(&delay)) return;
  if (!std::isfinite(delay) || delay < 0) delay = 0;
  std::vector<v8::Local<v8::Value>> arguments;
  for (int i = 2; i < info.Length(); ++i) arguments.push_back(info[i]);
  const bool repeat = info.Data()->IsTrue();
  const uint32_t id =
      host->set_timer(info[0].As<v8::Function>(), std::move(arguments), delay, repeat);
  info.GetReturnValue().Set(id);
}

// clearTimeout and clearInterval share one id space, as in HTML.
void clear_timer(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  JsHost* host = JsHost::of(context);
  if (host == nullptr || info.Length() < 1) return;
  double id = 0;
  if (!info[0]->NumberValue(context).To(&id)) return;
  if (std::isfinite(id) && id >= 1 && id <= UINT32_MAX)
    host->clear_timer(static_cast<uint32_t>(id));
}

void queue_microtask(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  if (info.Length() < 1 || !info[0]->IsFunction()) {
    return throw_type_error(isolate, "The callback provided as parameter 1 is not a function.");
  }
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::MicrotaskQueue* queue = context->GetMicrotaskQueue();
  if (queue == nullptr) return isolate->EnqueueMicrotask(info[0].As<v8::Function>());
  queue->EnqueueMicrotask(isolate, info[0].As<v8::Function>());
}

bool define_function(v8::Local<v8::Context> context, const char* name,
                     v8::FunctionCallback callback, v8::Local<v8::Value> data, int length) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::Local<v8::FunctionTemplate> tmpl = v8::FunctionTemplate::New(
      isolate, callback, data, v8::Local<v8::Signature>(), length, v8::ConstructorBehavior::kThrow);
  v8::Local<v8::String> key = v8::String::NewFromUtf8(isolate, name).ToLocalChecked();
  tmpl->SetClassName(key);
  v8::Local<v8::Function> function;
  if (!tmpl->GetFunction(context).ToLocal(&function)) return false;
  return context->Global()
      ->DefineOwnProperty(context, key, function, v8::DontEnum)
      .FromMaybe(false);
}

}  // namespace

void add_timers_references(std::vector<intptr_t>& out) {
  out.push_back(reinterpret_cast<intptr_t>(&set_timer));
  out.push_back(reinterpret_cast<intptr_t>(&clear_timer));
  out.push_back(reinterpret_cast<intptr_t>(&queue_microtask));
}

bool install_timers(v8::Local<v8::Context> context) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::Local<v8::Value> once = v8::False(isolate);
  v8::Local<v8::Value> repeat = v8::True(isolate);
  return define_function(context, "setTimeout", set_timer, once, 1) &&
         define_function(context, "setInterval", set_timer, repeat, 1) &&
         define_function(context, "clearTimeout", clear_timer, once, 0) &&
         define_function(context, "clearInterval", clear_timer, once, 0) &&
         define_function(context, "queueMicrotask", queue_microtask, once, 1);
}

}  // namespace wsup::worker::api
