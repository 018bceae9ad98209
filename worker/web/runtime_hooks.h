// What the web platform asks the runtime about the JavaScript running now. The web platform
// knows nothing of requests or snapshots; the runtime (worker/global_scope.h) answers for a
// script's top level, where Cloudflare Workers refuses random values and reads the clock as 0.
// Set once per process; unset hooks allow everything.
#pragma once

#include <v8.h>

namespace wsup::worker::web {

struct RuntimeHooks {
  // Asked before random values are made (crypto.getRandomValues, crypto.randomUUID): false,
  // with an exception thrown on the isolate, refuses them.
  bool (*allow_random)(v8::Isolate* isolate, const char* what) = nullptr;
  // performance.now() reads 0 while this returns true (as Date.now() does then).
  bool (*clock_frozen)() = nullptr;
  // An object holding native state was made (a CryptoKey's key material, a digest in progress):
  // state a snapshot cannot carry (its ArrayBuffer handle would come back empty).
  void (*native_state_made)(v8::Isolate* isolate, const char* what) = nullptr;
  // A family that keeps WeakMaps was built (streams, Blob/FormData, MessageChannel): the runtime
  // counts them with the script's own (worker/script_preparation.cc says why it must).
  void (*weak_collections_made)(v8::Isolate* isolate) = nullptr;
};

void set_runtime_hooks(const RuntimeHooks& hooks);
// False, with an exception thrown, when the runtime refuses random values here.
bool random_allowed(v8::Isolate* isolate, const char* what);
bool clock_frozen();
void note_native_state(v8::Isolate* isolate, const char* what);
void note_weak_collections(v8::Isolate* isolate);

}  // namespace wsup::worker::web
