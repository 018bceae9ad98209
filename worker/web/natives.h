// Native halves of the web platform. They are handed to the JS installers as properties of a
// private `natives` object, never installed on the global, and capture no C++ state (no
// v8::External, no per-context data), so contexts holding them can go into a startup snapshot.
#pragma once

#include <cstddef>
#include <span>

#include <v8.h>

namespace wsup::worker::web {

struct NativeFunction {
  const char* name;
  v8::FunctionCallback callback;
  int length;
};

std::span<const NativeFunction> encoding_natives();       // natives_encoding.cc
std::span<const NativeFunction> crypto_natives();         // natives_crypto.cc
std::span<const NativeFunction> crypto_key_natives();     // natives_crypto_keys.cc
std::span<const NativeFunction> crypto_jwk_natives();     // natives_crypto_jwk.cc
std::span<const NativeFunction> crypto_sign_natives();    // natives_crypto_sign.cc
std::span<const NativeFunction> crypto_cipher_natives();  // natives_crypto_cipher.cc
std::span<const NativeFunction> crypto_derive_natives();  // natives_crypto_derive.cc
std::span<const NativeFunction> clone_natives();          // natives_clone.cc
std::span<const NativeFunction> url_natives();            // natives_url.cc (Boost.URL pieces)
std::span<const NativeFunction> time_natives();           // natives_clock.cc (performance)
std::span<const NativeFunction> navigator_natives();      // natives_clock.cc (userAgent)
std::span<const NativeFunction> streams_natives();        // natives_streams.cc (zlib, transfer)

// Helpers shared by the native files.
void throw_type_error(v8::Isolate* isolate, const char* message);
// A zero-filled ArrayBuffer of `size` bytes from the isolate's ArrayBuffer allocator, so it
// counts against the isolate's budget. Past the budget: empty, with a RangeError thrown, where
// ArrayBuffer::New (and NewBackingStore) would end the process. Natives allocate only this way.
v8::MaybeLocal<v8::ArrayBuffer> new_array_buffer(v8::Isolate* isolate, size_t size);
v8::Local<v8::String> one_byte_string(v8::Isolate* isolate, const char* text, int length = -1);

}  // namespace wsup::worker::web
