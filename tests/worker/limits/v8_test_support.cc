#include "tests/worker/limits/v8_test_support.h"

#include <gtest/gtest.h>

#include "worker/limits/heap_limit_guard.h"
#include "worker/v8_engine.h"

namespace wsup::worker::limits::testing {
namespace {

// V8 may be initialized once per process: the engine lives for the whole test binary.
class V8Environment : public ::testing::Environment {
 public:
  void SetUp() override { engine_ = std::make_unique<V8Engine>("limits_test"); }
  void TearDown() override { engine_.reset(); }

 private:
  std::unique_ptr<V8Engine> engine_;
};

// gtest owns registered environments.
[[maybe_unused]] ::testing::Environment* const g_v8_environment =
    ::testing::AddGlobalTestEnvironment(new V8Environment);

}  // namespace

IsolatePtr new_isolate(size_t heap_limit_bytes,
                       std::shared_ptr<v8::ArrayBuffer::Allocator> allocator) {
  v8::Isolate::CreateParams params;
  if (allocator == nullptr) allocator.reset(v8::ArrayBuffer::Allocator::NewDefaultAllocator());
  params.array_buffer_allocator_shared = std::move(allocator);
  if (heap_limit_bytes > 0) HeapLimitGuard::configure(params, heap_limit_bytes);
  return IsolatePtr(v8::Isolate::New(params));
}

std::string run_js(v8::Isolate* isolate, const char* source) {
  v8::Isolate::Scope isolate_scope(isolate);
  v8::HandleScope handle_scope(isolate);
  v8::Local<v8::Context> context = v8::Context::New(isolate);
  v8::Context::Scope context_scope(context);
  v8::TryCatch try_catch(isolate);
  v8::Local<v8::String> code = v8::String::NewFromUtf8(isolate, source).ToLocalChecked();
  v8::Local<v8::Value> result;
  v8::Local<v8::Script> script;
  if (v8::Script::Compile(context, code).ToLocal(&script) &&
      script->Run(context).ToLocal(&result)) {
    return *v8::String::Utf8Value(isolate, result);
  }
  if (try_catch.HasTerminated()) return "terminated";
  v8::Local<v8::Value> exception = try_catch.Exception();
  std::string name = "?";
  if (exception->IsObject()) {
    v8::Local<v8::Object> object = exception.As<v8::Object>();
    name = *v8::String::Utf8Value(isolate, object->GetConstructorName());
  }
  return "threw " + name + ": " + *v8::String::Utf8Value(isolate, exception);
}

}  // namespace wsup::worker::limits::testing
