#include "worker/api/console.h"

#include <algorithm>
#include <cstdint>

#include "worker/api/js_host.h"

namespace wsup::worker::api {
namespace {

// At most `max_bytes` of the string's UTF-8 (whole characters), without converting the rest: a
// script may log a string of hundreds of megabytes.
std::string to_utf8(v8::Isolate* isolate, v8::Local<v8::String> text, size_t max_bytes) {
  const size_t most = std::min(max_bytes, static_cast<size_t>(text->Length()) * 3);
  std::string bytes(std::min<size_t>(most, INT32_MAX), '\0');
  const int written =
      text->WriteUtf8(isolate, bytes.data(), static_cast<int>(bytes.size()), nullptr,
                      v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8);
  bytes.resize(static_cast<size_t>(written));
  return bytes;
}

// console.<level>(...arguments): the level is the function's data.
void console_write(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  JsHost* host = JsHost::of(context);
  if (host == nullptr) return;
  const auto level = static_cast<log::Level>(info.Data().As<v8::Int32>()->Value());
  if (!log::enabled(level)) return;
  // One byte past the room is enough for the host to see that the line was cut.
  const size_t room = host->console_room();
  const size_t most = room == SIZE_MAX ? room : room + 1;
  std::string line;
  for (int i = 0; i < info.Length() && line.size() < most; ++i) {
    if (i > 0) line += ' ';
    line += format_console_argument(context, info[i], most - line.size());
  }
  host->console_message(level, line);
}

}  // namespace

std::string format_console_argument(v8::Local<v8::Context> context, v8::Local<v8::Value> value,
                                    size_t max_bytes) {
  v8::Isolate* isolate = context->GetIsolate();
  if (value->IsString()) return to_utf8(isolate, value.As<v8::String>(), max_bytes);
  if (value->IsNativeError()) {
    v8::Local<v8::Value> stack;
    v8::Local<v8::String> key = v8::String::NewFromUtf8Literal(isolate, "stack");
    if (value.As<v8::Object>()->Get(context, key).ToLocal(&stack) && stack->IsString()) {
      return to_utf8(isolate, stack.As<v8::String>(), max_bytes);
    }
  }
  if (value->IsObject() && !value->IsFunction()) {
    v8::TryCatch try_catch(isolate);  // cyclic or throwing toJSON: fall back to ToString
    v8::Local<v8::String> json;
    if (v8::JSON::Stringify(context, value).ToLocal(&json)) {
      return to_utf8(isolate, json, max_bytes);
    }
  }
  v8::TryCatch try_catch(isolate);
  v8::Local<v8::String> text;
  if (value->ToString(context).ToLocal(&text)) return to_utf8(isolate, text, max_bytes);
  return "[value not printable]";
}

void add_console_references(std::vector<intptr_t>& out) {
  out.push_back(reinterpret_cast<intptr_t>(&console_write));
}

bool install_console(v8::Local<v8::Context> context) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::Local<v8::Object> console = v8::Object::New(isolate);
  const std::pair<const char*, log::Level> methods[] = {
      {"log", log::Level::info},    {"info", log::Level::info},   {"warn", log::Level::warn},
      {"error", log::Level::error}, {"debug", log::Level::debug}, {"trace", log::Level::debug},
  };
  for (const auto& [name, level] : methods) {
    v8::Local<v8::FunctionTemplate> tmpl = v8::FunctionTemplate::New(
        isolate, console_write, v8::Int32::New(isolate, static_cast<int32_t>(level)),
        v8::Local<v8::Signature>(), 0, v8::ConstructorBehavior::kThrow);
    v8::Local<v8::Function> function;
    v8::Local<v8::String> key = v8::String::NewFromUtf8(isolate, name).ToLocalChecked();
    if (!tmpl->GetFunction(context).ToLocal(&function) ||
        !console->Set(context, key, function).FromMaybe(false)) {
      return false;
    }
  }
  return context->Global()
      ->DefineOwnProperty(context, v8::String::NewFromUtf8Literal(isolate, "console"), console,
                          v8::DontEnum)
      .FromMaybe(false);
}

}  // namespace wsup::worker::api
