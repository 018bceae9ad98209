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

// fetch.js's natives: internal.fetchStart(handlers, method, url, flatHeaders, redirect, body,
// length) -> id (throws a TypeError when refused), fetchResume(id), fetchAbort(id),
// fetchWrite(id, Uint8Array), fetchEndBody(id). `body`: null, a string (sent as UTF-8), a
// Uint8Array (copied), or true for a stream fed through fetchWrite; `length`: a streamed body's
// size when known.
void throw_type_error(v8::Isolate* isolate, std::string_view message) {
  isolate->ThrowException(v8::Exception::TypeError(v8_string(isolate, message)));
}

egress::RedirectMode redirect_mode(std::string_view name) {
  if (name == "manual") return egress::RedirectMode::manual;
  if (name == "error") return egress::RedirectMode::error;
  return egress::RedirectMode::follow;
}

void fetch_start(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  JsHost* host = JsHost::of(context);
  if (host == nullptr) return throw_type_error(isolate, "fetch() is not available here");
  if (info.Length() < 7 || !info[0]->IsObject() || !info[3]->IsArray()) {
    return throw_type_error(isolate, "internal.fetchStart: bad arguments");
  }
  egress::SubrequestSpec spec;
  spec.method = to_utf8(isolate, info[1]);
  spec.url = to_utf8(isolate, info[2]);
  v8::Local<v8::Array> flat = info[3].As<v8::Array>();
  for (uint32_t i = 0; i + 1 < flat->Length(); i += 2) {
    v8::Local<v8::Value> name;
    v8::Local<v8::Value> value;
    if (!flat->Get(context, i).ToLocal(&name) || !flat->Get(context, i + 1).ToLocal(&value)) {
      return;
    }
    spec.headers.emplace_back(to_utf8(isolate, name), to_utf8(isolate, value));
  }
  spec.redirect = redirect_mode(to_utf8(isolate, info[4]));
  v8::Local<v8::Value> body = info[5];
  if (body->IsString()) {
    spec.body.kind = egress::RequestBody::Kind::bytes;
    spec.body.bytes = utf8_bytes(isolate, body.As<v8::String>());
  } else if (body->IsUint8Array()) {
    v8::Local<v8::Uint8Array> bytes = body.As<v8::Uint8Array>();
    spec.body.kind = egress::RequestBody::Kind::bytes;
    spec.body.bytes.assign(uint8_array_data(bytes), bytes->ByteLength());
  } else if (body->IsTrue()) {
    spec.body.kind = egress::RequestBody::Kind::stream;
    if (info[6]->IsNumber()) {
      spec.body.length = static_cast<uint64_t>(info[6].As<v8::Number>()->Value());
    }
  }
  std::string refusal;
  const uint32_t id = host->fetch_start(std::move(spec), info[0].As<v8::Object>(), refusal);
  if (id == 0) {
    if (!refusal.empty()) throw_type_error(isolate, refusal);
    return;  // else the host threw already
  }
  info.GetReturnValue().Set(id);
}

// The subrequest id of a fetch native's first argument, and the host it belongs to.
JsHost* fetch_host(const v8::FunctionCallbackInfo<v8::Value>& info, uint32_t& id) {
  if (info.Length() < 1 || !info[0]->IsUint32()) return nullptr;
  id = info[0].As<v8::Uint32>()->Value();
  return JsHost::of(info.GetIsolate()->GetCurrentContext());
}

void fetch_resume(const v8::FunctionCallbackInfo<v8::Value>& info) {
  uint32_t id = 0;
  if (JsHost* host = fetch_host(info, id)) host->fetch_resume(id);
}

void fetch_abort(const v8::FunctionCallbackInfo<v8::Value>& info) {
  uint32_t id = 0;
  if (JsHost* host = fetch_host(info, id)) host->fetch_abort(id);
}

void fetch_write(const v8::FunctionCallbackInfo<v8::Value>& info) {
  uint32_t id = 0;
  JsHost* host = fetch_host(info, id);
  if (host == nullptr || info.Length() < 2 || !info[1]->IsUint8Array()) return;
  v8::Local<v8::Uint8Array> bytes = info[1].As<v8::Uint8Array>();
  host->fetch_write(id, std::string(uint8_array_data(bytes), bytes->ByteLength()));
}

void fetch_end_body(const v8::FunctionCallbackInfo<v8::Value>& info) {
  uint32_t id = 0;
  if (JsHost* host = fetch_host(info, id)) host->fetch_end_body(id);
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
  out.push_back(reinterpret_cast<intptr_t>(&fetch_start));
  out.push_back(reinterpret_cast<intptr_t>(&fetch_resume));
  out.push_back(reinterpret_cast<intptr_t>(&fetch_abort));
  out.push_back(reinterpret_cast<intptr_t>(&fetch_write));
  out.push_back(reinterpret_cast<intptr_t>(&fetch_end_body));
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
      !set_native(context, internal, "bodyError", body_error) ||
      !set_native(context, internal, "fetchStart", fetch_start) ||
      !set_native(context, internal, "fetchResume", fetch_resume) ||
      !set_native(context, internal, "fetchAbort", fetch_abort) ||
      !set_native(context, internal, "fetchWrite", fetch_write) ||
      !set_native(context, internal, "fetchEndBody", fetch_end_body)) {
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
  // `web`: the web platform's private object, through which fetch_event.js reaches the global
  // scope's events and body.js the streams, Blob and FormData families, without going through
  // globals user code may replace.
  v8::Local<v8::Value> argv[] = {internal, web::web_platform_internal(context)};
  if (factory.As<v8::Function>()->Call(context, context->Global(), 2, argv).IsEmpty()) return {};
  return scope.Escape(internal);
}

}  // namespace wsup::worker::api
