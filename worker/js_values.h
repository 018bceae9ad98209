// Small conversions between C++ and V8 values that the request code uses in several files.
#pragma once

#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include <v8.h>

#include "worker/web/natives.h"

namespace wsup::worker {

inline v8::Local<v8::String> v8_string(v8::Isolate* isolate, std::string_view text) {
  return v8::String::NewFromUtf8(isolate, text.data(), v8::NewStringType::kNormal,
                                 static_cast<int>(text.size()))
      .ToLocalChecked();
}

inline std::string to_utf8(v8::Isolate* isolate, v8::Local<v8::Value> value) {
  v8::String::Utf8Value text(isolate, value);
  return *text == nullptr ? std::string() : std::string(*text, text.length());
}

// A string body as UTF-8 bytes (lone surrogates become U+FFFD, as TextEncoder does).
inline std::string utf8_bytes(v8::Isolate* isolate, v8::Local<v8::String> text) {
  std::string bytes(static_cast<size_t>(text->Utf8Length(isolate)), '\0');
  text->WriteUtf8(isolate, bytes.data(), static_cast<int>(bytes.size()), nullptr,
                  v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8);
  return bytes;
}

// A zero-filled Uint8Array of `size` bytes counted against the isolate's ArrayBuffer budget
// (web::new_array_buffer): past it, empty with a RangeError thrown.
inline v8::MaybeLocal<v8::Uint8Array> new_uint8_array(v8::Isolate* isolate, size_t size) {
  v8::Local<v8::ArrayBuffer> buffer;
  if (!web::new_array_buffer(isolate, size).ToLocal(&buffer)) return {};
  return v8::Uint8Array::New(buffer, 0, size);
}

// Pointer to the first byte of `array`'s view.
inline char* uint8_array_data(v8::Local<v8::Uint8Array> array) {
  return static_cast<char*>(array->Buffer()->GetBackingStore()->Data()) + array->ByteOffset();
}

// A request body for JavaScript: null when empty, else a Uint8Array copy.
inline v8::MaybeLocal<v8::Value> body_to_js(v8::Isolate* isolate, const std::string& body) {
  if (body.empty()) return v8::Null(isolate);
  v8::Local<v8::Uint8Array> array;
  if (!new_uint8_array(isolate, body.size()).ToLocal(&array)) return {};
  std::memcpy(uint8_array_data(array), body.data(), body.size());
  return array;
}

}  // namespace wsup::worker
