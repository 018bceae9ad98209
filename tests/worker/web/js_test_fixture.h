// A fresh isolate and context with the web platform installed, per test, plus helpers that
// evaluate JS and return results as strings. One V8Engine serves the whole test binary.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include <v8.h>

namespace wsup::test {

class WebPlatformTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite();

  void SetUp() override;
  void TearDown() override;

  // Evaluates `source` in its own block scope; returns String(result), or "THROWN: " +
  // String(exception).
  std::string Eval(const std::string& source);
  // Evaluates `source` (which yields a promise), runs microtasks, returns String(settled value),
  // "REJECTED: " + String(reason), or "PENDING".
  std::string EvalAsync(const std::string& source);

  v8::Isolate* isolate() { return isolate_; }
  v8::Local<v8::Context> context() { return context_.Get(isolate_); }

 private:
  std::unique_ptr<v8::ArrayBuffer::Allocator> allocator_;
  v8::Isolate* isolate_ = nullptr;
  v8::Global<v8::Context> context_;
};

// Runs `source` in `context` and returns String(result) or "THROWN: " + String(exception).
std::string EvalIn(v8::Local<v8::Context> context, const std::string& source);

}  // namespace wsup::test
