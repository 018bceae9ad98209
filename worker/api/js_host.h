// The bridge from per-request native callbacks (timers, console, the response body stream,
// fetch()'s subrequests) to
// the request that owns the current context. Every request context stores its JsHost in
// embedder-data slot kJsHostSlot; the callbacks look it up from Isolate::GetCurrentContext().
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <v8.h>

#include "shared/log.h"
#include "worker/egress/subrequest.h"

namespace wsup::worker {

class ModuleGraph;

// Slot 0 holds the web platform's per-context state (web::kWebPlatformSlot, a V8 value).
inline constexpr int kJsHostSlot = 1;

class JsHost {
 public:
  virtual ~JsHost() = default;

  // setTimeout / setInterval: returns the id (> 0) that clearTimeout/clearInterval take.
  virtual uint32_t set_timer(v8::Local<v8::Function> callback,
                             std::vector<v8::Local<v8::Value>> arguments, double delay_ms,
                             bool repeat) = 0;
  virtual void clear_timer(uint32_t id) = 0;
  // One line of the script's console output (or the runtime's report of its uncaught error). The
  // host may cut it short or drop it: a request's console output is capped (console_room).
  virtual void console_message(log::Level level, std::string_view text) = 0;
  // How many more bytes of console output the request may write (console.* formats no more).
  virtual size_t console_room() const { return SIZE_MAX; }

  // The response body stream being sent (internal.pumpResponseBody, response_body.js): a chunk
  // read from it (false: read no more until resumed), its end, its error.
  virtual bool response_body_chunk(std::string_view bytes) = 0;
  virtual void response_body_end() = 0;
  virtual void response_body_error(v8::Local<v8::Value> error) = 0;

  // V8's PromiseRejectCallback for a promise of this context: rejected with no handler, or
  // given a handler after such a rejection. The request reports the rejections still unhandled
  // once its microtasks are drained ('unhandledrejection', then its log).
  virtual void promise_rejected_unhandled(v8::Local<v8::Promise> promise,
                                          v8::Local<v8::Value> reason) = 0;
  virtual void promise_handled_late(v8::Local<v8::Promise> promise) = 0;

  // fetch() (fetch.js): starts a subrequest of the request. `handlers` is fetch.js's object
  // whose methods (head, body, end, error, bodyReady) the request calls later, each in a slice
  // of its own. Returns the subrequest's id (> 0), or 0: with the reason for a TypeError in
  // `refusal` (the request's subrequest budget is used up, the runtime has no client), or with
  // `refusal` empty when an exception is already thrown (the global scope's rules).
  virtual uint32_t fetch_start(egress::SubrequestSpec /*spec*/, v8::Local<v8::Object> /*handlers*/,
                               std::string& refusal) {
    refusal = "fetch() is not available here";
    return 0;
  }
  // The response body's reader wants more (undoes the pause its highWaterMark asked for).
  virtual void fetch_resume(uint32_t /*id*/) {}
  // The signal fired, the body was cancelled, or the request body failed: nothing more is
  // called back and the subrequest's place in the budget is free.
  virtual void fetch_abort(uint32_t /*id*/) {}
  // A streamed request body: its next chunk (after bodyReady), or its end.
  virtual void fetch_write(uint32_t /*id*/, std::string /*chunk*/) {}
  virtual void fetch_end_body(uint32_t /*id*/) {}

  // Asked before an operation a script's global scope may not perform (a timer, I/O, random
  // values): at a top level being snapshotted (worker/global_scope.h) it throws the
  // "disallowed" error naming `what` and returns true; in a request it returns false.
  virtual bool refuse_at_global_scope(std::string_view /*what*/) { return false; }
  // Asked before random values are made (Math.random(), crypto.getRandomValues(), ...): as
  // refuse_at_global_scope, except where random values are allowed though timers and I/O are
  // not (a snapshot's warm-up requests).
  virtual bool refuse_random_at_global_scope(std::string_view what) {
    return refuse_at_global_scope(what);
  }
  // An object holding native state was made (web/runtime_hooks.h): a snapshot cannot carry it.
  virtual void note_native_state(std::string_view /*what*/) {}
  // A web platform family that keeps WeakMaps was built here (web/runtime_hooks.h).
  virtual void note_weak_collections() {}

  // The module graph being instantiated in this context, for the module resolver
  // (module_graph.h); null when none is.
  virtual const ModuleGraph* module_graph() const { return nullptr; }

  // Null when the context belongs to no request (e.g. while a snapshot is being built).
  static JsHost* of(v8::Local<v8::Context> context);
  static void attach(v8::Local<v8::Context> context, JsHost* host);
};

}  // namespace wsup::worker
