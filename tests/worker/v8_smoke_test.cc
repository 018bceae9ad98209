// Proves V8 links and runs, and that two contexts of one isolate do not share globals.
#include <gtest/gtest.h>

#include <memory>

#include <v8.h>

#include "worker/v8_engine.h"

namespace {

class V8SmokeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    engine_ = std::make_unique<wsup::worker::V8Engine>("v8_smoke_test");
  }
  static void TearDownTestSuite() { engine_.reset(); }
  static std::unique_ptr<wsup::worker::V8Engine> engine_;
};
std::unique_ptr<wsup::worker::V8Engine> V8SmokeTest::engine_;

v8::Local<v8::Value> RunScript(v8::Local<v8::Context> context, const char* source) {
  v8::Isolate* isolate = context->GetIsolate();
  auto code = v8::String::NewFromUtf8(isolate, source).ToLocalChecked();
  auto script = v8::Script::Compile(context, code).ToLocalChecked();
  return script->Run(context).ToLocalChecked();
}

TEST_F(V8SmokeTest, GlobalSetInOneContextIsUndefinedInAnother) {
  std::unique_ptr<v8::ArrayBuffer::Allocator> allocator(
      v8::ArrayBuffer::Allocator::NewDefaultAllocator());
  v8::Isolate::CreateParams params;
  params.array_buffer_allocator = allocator.get();
  v8::Isolate* isolate = v8::Isolate::New(params);
  {
    v8::Isolate::Scope isolate_scope(isolate);
    v8::HandleScope handle_scope(isolate);
    v8::Local<v8::Context> first = v8::Context::New(isolate);
    v8::Local<v8::Context> second = v8::Context::New(isolate);
    {
      v8::Context::Scope scope(first);
      RunScript(first, "globalThis.secret = 'from-first'; Array.prototype.leak = 1;");
      v8::String::Utf8Value value(isolate, RunScript(first, "secret"));
      EXPECT_STREQ(*value, "from-first");
    }
    {
      v8::Context::Scope scope(second);
      v8::String::Utf8Value secret(isolate, RunScript(second, "typeof secret"));
      EXPECT_STREQ(*secret, "undefined");
      v8::String::Utf8Value leak(isolate, RunScript(second, "typeof [].leak"));
      EXPECT_STREQ(*leak, "undefined");
    }
  }
  isolate->Dispose();
}

}  // namespace
