#include "worker/js_error.h"

namespace wsup::worker {
namespace {

std::string to_utf8(v8::Isolate* isolate, v8::Local<v8::Value> value) {
  if (value.IsEmpty()) return {};
  v8::String::Utf8Value text(isolate, value);
  return *text == nullptr ? std::string() : std::string(*text, text.length());
}

}  // namespace

JsError describe_js_error(v8::Local<v8::Context> context, v8::Local<v8::Value> exception,
                          v8::Local<v8::Message> message) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::HandleScope scope(isolate);
  v8::TryCatch try_catch(isolate);  // getters on the error object may throw; ignore that
  JsError error;
  if (message.IsEmpty() && !exception.IsEmpty()) {
    message = v8::Exception::CreateMessage(isolate, exception);
  }
  if (!message.IsEmpty()) {
    error.message = to_utf8(isolate, message->Get());
    const int line = message->GetLineNumber(context).FromMaybe(0);
    const int column = message->GetStartColumn(context).FromMaybe(-1) + 1;
    std::string resource = to_utf8(isolate, message->GetScriptResourceName());
    if (!resource.empty() && line > 0) {
      error.location = resource + ":" + std::to_string(line) + ":" + std::to_string(column);
    }
  } else {
    error.message = to_utf8(isolate, exception);
  }
  if (!exception.IsEmpty() && exception->IsObject()) {
    v8::Local<v8::Value> stack;
    if (exception.As<v8::Object>()
            ->Get(context, v8::String::NewFromUtf8Literal(isolate, "stack"))
            .ToLocal(&stack) &&
        stack->IsString()) {
      error.stack = to_utf8(isolate, stack);
    }
  }
  return error;
}

std::string compiler_style(const JsError& error) {
  std::string text = error.location.empty() ? std::string() : error.location + ": ";
  return text + error.message;
}

}  // namespace wsup::worker
