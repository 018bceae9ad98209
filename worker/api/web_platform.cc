// Installs the web platform: builds a private `natives` object of native functions, then runs
// each embedded JS file (a function (global, natives, internal)) in order. Only what the JS
// files define on `global` stays reachable afterwards.
#include "worker/api/web_platform.h"

#include <chrono>

#include "worker/api/embedded_js.h"
#include "worker/api/natives.h"

namespace wsup::worker::api {

void throw_type_error(v8::Isolate* isolate, const char* message) {
  isolate->ThrowException(v8::Exception::TypeError(one_byte_string(isolate, message)));
}

v8::Local<v8::String> one_byte_string(v8::Isolate* isolate, const char* text, int length) {
  return v8::String::NewFromOneByte(isolate, reinterpret_cast<const uint8_t*>(text),
                                    v8::NewStringType::kNormal, length)
      .ToLocalChecked();
}

namespace {

// performance.now() counts from process start on the monotonic clock; timeOrigin is the wall
// clock at that same instant, so timeOrigin + now() tracks Date.now(). Both are read at call
// time, never stored in the context, so a snapshot carries no stale clock.
const auto kProcessStartMonotonic = std::chrono::steady_clock::now();
const auto kProcessStartWall = std::chrono::system_clock::now();

void PerformanceNow(const v8::FunctionCallbackInfo<v8::Value>& info) {
  const std::chrono::duration<double, std::milli> elapsed =
      std::chrono::steady_clock::now() - kProcessStartMonotonic;
  info.GetReturnValue().Set(elapsed.count());
}

void TimeOrigin(const v8::FunctionCallbackInfo<v8::Value>& info) {
  const std::chrono::duration<double, std::milli> since_epoch =
      kProcessStartWall.time_since_epoch();
  info.GetReturnValue().Set(since_epoch.count());
}

constexpr NativeFunction kTimeNatives[] = {
    {"performanceNow", PerformanceNow, 0},
    {"timeOrigin", TimeOrigin, 0},
};

std::span<const NativeFunction> time_natives() {
  return kTimeNatives;
}

using NativeTable = std::span<const NativeFunction> (*)();
constexpr NativeTable kNativeTables[] = {encoding_natives, crypto_natives, clone_natives,
                                         url_natives, time_natives};

bool AddNatives(v8::Local<v8::Context> context, v8::Local<v8::Object> natives) {
  v8::Isolate* isolate = context->GetIsolate();
  for (NativeTable table : kNativeTables) {
    for (const NativeFunction& native : table()) {
      v8::Local<v8::Function> function;
      if (!v8::Function::New(context, native.callback, v8::Local<v8::Value>(), native.length,
                             v8::ConstructorBehavior::kThrow)
               .ToLocal(&function)) {
        return false;
      }
      if (natives->Set(context, one_byte_string(isolate, native.name), function).IsNothing()) {
        return false;
      }
    }
  }
  return true;
}

bool RunInstaller(v8::Local<v8::Context> context, const EmbeddedJs& file,
                  v8::Local<v8::Value> (&args)[3]) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::ScriptOrigin origin(isolate, one_byte_string(isolate, file.name));
  // Same source and origin on every call: V8's per-isolate compilation cache makes every
  // compile after the first in an isolate a lookup.
  v8::Local<v8::Script> script;
  v8::Local<v8::Value> installer;
  if (!v8::Script::Compile(context, one_byte_string(isolate, file.source), &origin)
           .ToLocal(&script) ||
      !script->Run(context).ToLocal(&installer) || !installer->IsFunction()) {
    return false;
  }
  return !installer.As<v8::Function>()->Call(context, v8::Undefined(isolate), 3, args).IsEmpty();
}

}  // namespace

const std::vector<intptr_t>& web_platform_external_references() {
  static const std::vector<intptr_t> references = [] {
    std::vector<intptr_t> all;
    for (NativeTable table : kNativeTables) {
      for (const NativeFunction& native : table()) {
        all.push_back(reinterpret_cast<intptr_t>(native.callback));
      }
    }
    return all;
  }();
  return references;
}

bool install_web_platform(v8::Local<v8::Context> context) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::HandleScope handle_scope(isolate);
  v8::Context::Scope context_scope(context);
  v8::Local<v8::Object> natives = v8::Object::New(isolate);
  if (!AddNatives(context, natives)) return false;
  v8::Local<v8::Value> args[3] = {context->Global(), natives, v8::Object::New(isolate)};
  for (const EmbeddedJs& file : embedded_js_sources()) {
    if (!RunInstaller(context, file, args)) return false;
  }
  return true;
}

}  // namespace wsup::worker::api
