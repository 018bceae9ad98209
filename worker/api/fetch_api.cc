#include "worker/api/fetch_api.h"

#include <cstring>

#include "worker/api/js_host.h"
#include "worker/embedded_js.h"
#include "worker/js_values.h"
#include "worker/web/web_platform.h"

namespace wsup::worker::api {
namespace {

// internal.utf8Encode(string) -> Uint8Array, lone surrogates as U+FFFD (TextEncoder's rule).
void utf8_encode(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::String> text = info[0].As<v8::String>();
  const int length = text->Utf8Length(isolate);
  v8::Local<v8::Uint8Array> bytes;
  if (!new_uint8_array(isolate, static_cast<size_t>(length)).ToLocal(&bytes)) return;
  if (length > 0) {
    text->WriteUtf8(isolate, uint8_array_data(bytes), length, nullptr,
                    v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8);
  }
  info.GetReturnValue().Set(bytes);
}

// internal.utf8Decode(Uint8Array) -> string, invalid sequences as U+FFFD.
void utf8_decode(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Uint8Array> bytes = info[0].As<v8::Uint8Array>();
  const size_t length = bytes->ByteLength();
  if (length > static_cast<size_t>(v8::String::kMaxLength)) {
    isolate->ThrowException(v8::Exception::RangeError(
        v8::String::NewFromUtf8Literal(isolate, "body too large to decode as a string")));
    return;
  }
  const char* data = uint8_array_data(bytes);
  v8::Local<v8::String> text;
  if (v8::String::NewFromUtf8(isolate, length == 0 ? "" : data, v8::NewStringType::kNormal,
                              static_cast<int>(length))
          .ToLocal(&text)) {
    info.GetReturnValue().Set(text);
  }
}

// internal.utf8Length(string) -> the byte length of its UTF-8 encoding (what utf8Encode makes).
void utf8_length(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  info.GetReturnValue().Set(info[0].As<v8::String>()->Utf8Length(isolate));
}

// internal.bodyChunk(Uint8Array) -> bool, internal.bodyEnd(), internal.bodyError(error): the
// response body stream's pump (response_body.js) reporting to the request that owns the context.
JsHost* response_host(const v8::FunctionCallbackInfo<v8::Value>& info) {
  return JsHost::of(info.GetIsolate()->GetCurrentContext());
}

void body_chunk(const v8::FunctionCallbackInfo<v8::Value>& info) {
  JsHost* host = response_host(info);
  if (host == nullptr || info.Length() < 1 || !info[0]->IsUint8Array()) return;
  v8::Local<v8::Uint8Array> bytes = info[0].As<v8::Uint8Array>();
  const bool more =
      host->response_body_chunk(std::string_view(uint8_array_data(bytes), bytes->ByteLength()));
  info.GetReturnValue().Set(more);
}

void body_end(const v8::FunctionCallbackInfo<v8::Value>& info) {
  if (JsHost* host = response_host(info)) host->response_body_end();
}

void body_error(const v8::FunctionCallbackInfo<v8::Value>& info) {
  if (JsHost* host = response_host(info)) host->response_body_error(info[0]);
}

bool set_native(v8::Local<v8::Context> context, v8::Local<v8::Object> target, const char* name,
                v8::FunctionCallback callback) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::Local<v8::Function> function;
  return v8::FunctionTemplate::New(isolate, callback, {}, {}, 1, v8::ConstructorBehavior::kThrow)
             ->GetFunction(context)
             .ToLocal(&function) &&
         target->Set(context, v8::String::NewFromUtf8(isolate, name).ToLocalChecked(), function)
             .FromMaybe(false);
}

}  // namespace

void add_fetch_api_references(std::vector<intptr_t>& out) {
  out.push_back(reinterpret_cast<intptr_t>(&utf8_encode));
  out.push_back(reinterpret_cast<intptr_t>(&utf8_decode));
  out.push_back(reinterpret_cast<intptr_t>(&utf8_length));
  out.push_back(reinterpret_cast<intptr_t>(&body_chunk));
  out.push_back(reinterpret_cast<intptr_t>(&body_end));
  out.push_back(reinterpret_cast<intptr_t>(&body_error));
}

v8::MaybeLocal<v8::Object> install_fetch_api(v8::Local<v8::Context> context) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::EscapableHandleScope scope(isolate);
  v8::Local<v8::Object> internal = v8::Object::New(isolate);
  if (!set_native(context, internal, "utf8Encode", utf8_encode) ||
      !set_native(context, internal, "utf8Decode", utf8_decode) ||
      !set_native(context, internal, "utf8Length", utf8_length) ||
      !set_native(context, internal, "bodyChunk", body_chunk) ||
      !set_native(context, internal, "bodyEnd", body_end) ||
      !set_native(context, internal, "bodyError", body_error)) {
    return {};
  }
  const EmbeddedJs& bundle = fetch_api_sources().front();
  v8::ScriptOrigin origin(isolate, v8::String::NewFromUtf8(isolate, bundle.name).ToLocalChecked());
  v8::Local<v8::String> source;
  v8::Local<v8::Script> script;
  v8::Local<v8::Value> factory;
  if (!v8::String::NewFromUtf8(isolate, bundle.source).ToLocal(&source) ||
      !v8::Script::Compile(context, source, &origin).ToLocal(&script) ||
      !script->Run(context).ToLocal(&factory) || !factory->IsFunction()) {
    return {};
  }
  // `web`: the web platform's private object, through which body.js reaches the streams, Blob
  // and FormData families without going through globals user code may replace.
  v8::Local<v8::Value> argv[] = {internal, web::web_platform_internal(context)};
  if (factory.As<v8::Function>()->Call(context, context->Global(), 2, argv).IsEmpty()) return {};
  return scope.Escape(internal);
}

}  // namespace wsup::worker::api
