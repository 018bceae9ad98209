#include "tests/worker/web/js_test_fixture.h"

#include "worker/v8_engine.h"
#include "worker/web/web_platform.h"

namespace wsup::test {
namespace {

// V8 may be initialized once per process; the engine lives until exit.
worker::V8Engine& Engine() {
  static auto* engine = new worker::V8Engine("web_platform_test");
  return *engine;
}

std::string ToString(v8::Isolate* isolate, v8::Local<v8::Value> value) {
  v8::String::Utf8Value text(isolate, value);
  return *text == nullptr ? std::string("<unprintable>") : std::string(*text, text.length());
}

}  // namespace

std::string EvalIn(v8::Local<v8::Context> context, const std::string& source) {
  // A block scope per evaluation, so each call may declare its own `const x`.
  const std::string block = "{\n" + source + "\n}";
  v8::Isolate* isolate = context->GetIsolate();
  v8::HandleScope scope(isolate);
  v8::Context::Scope context_scope(context);
  v8::TryCatch try_catch(isolate);
  v8::Local<v8::String> code =
      v8::String::NewFromUtf8(isolate, block.data(), v8::NewStringType::kNormal,
                              static_cast<int>(block.size()))
          .ToLocalChecked();
  v8::Local<v8::Script> script;
  v8::Local<v8::Value> result;
  if (!v8::Script::Compile(context, code).ToLocal(&script) ||
      !script->Run(context).ToLocal(&result)) {
    return "THROWN: " + ToString(isolate, try_catch.Exception());
  }
  return ToString(isolate, result);
}

void WebPlatformTest::SetUpTestSuite() {
  Engine();
}

void WebPlatformTest::SetUp() {
  allocator_.reset(v8::ArrayBuffer::Allocator::NewDefaultAllocator());
  v8::Isolate::CreateParams params;
  params.array_buffer_allocator = allocator_.get();
  isolate_ = v8::Isolate::New(params);
  v8::Isolate::Scope isolate_scope(isolate_);
  v8::HandleScope scope(isolate_);
  v8::Local<v8::Context> fresh = v8::Context::New(isolate_);
  v8::TryCatch try_catch(isolate_);
  ASSERT_TRUE(worker::web::install_web_platform(fresh))
      << ToString(isolate_, try_catch.Exception());
  context_.Reset(isolate_, fresh);
}

void WebPlatformTest::TearDown() {
  context_.Reset();
  isolate_->Dispose();
}

std::string WebPlatformTest::Eval(const std::string& source) {
  v8::Isolate::Scope isolate_scope(isolate_);
  v8::HandleScope scope(isolate_);
  return EvalIn(context(), source);
}

std::string WebPlatformTest::EvalAsync(const std::string& source) {
  const std::string started =
      Eval("globalThis.__out = 'PENDING'; Promise.resolve(" + source +
           ").then((v) => { __out = String(v); }, (e) => { __out = 'REJECTED: ' + String(e); }); "
           "'started'");
  if (started != "started") return started;
  v8::Isolate::Scope isolate_scope(isolate_);
  isolate_->PerformMicrotaskCheckpoint();
  return Eval("__out");
}

}  // namespace wsup::test
