// A script's global scope while the snapshot builder runs it (its top level, then its warm-up
// requests), under the rules Cloudflare Workers enforces there: no I/O, no timers and no random
// values (Math.random(), crypto.getRandomValues(), crypto.randomUUID()), and the wall clock
// reads 0 (Date.now(), new Date(), performance.now(): 1970-01-01, as deployed Workers read it at
// global scope). So what the snapshot freezes is what any evaluation of the top level computes:
// nothing in it differs between two requests. A refused operation throws the "disallowed" error
// and is recorded with the file:line:column that asked, even when the script catches the error.
// Warm-up requests are requests: they may draw random values (their state is shared by every
// request anyway, docs/CONFIG.md), but timers and I/O stay refused (nothing would run them).
//
// GlobalScope is the JsHost of the builder's context for that time (timers and I/O ask it), and
// installs global_scope.js there: Math.random's guard and stand-ins for the built-ins V8 10.2
// leaves out of a SnapshotCreator's contexts (Array.prototype.at, findLast, Object.hasOwn, ...).
//
//   GlobalScope scope(context, "api");     // attached; stand-ins and guards in place
//   ... run the top level, then set_phase(warm_up) and the warm-up requests ...
//   std::string problem = scope.leave();   // "" when the context can go into a snapshot
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <v8.h>

#include "shared/log.h"
#include "worker/api/js_host.h"
#include "worker/worker_platform.h"

namespace wsup::worker {

class GlobalScope final : public JsHost {
 public:
  enum class Phase { top_level, warm_up };
  struct Violation {
    Phase phase = Phase::top_level;
    std::string what;      // "setTimeout()", "Math.random()", ...
    std::string location;  // "path:line:column" of the script code that asked ("" unknown)
  };
  struct ConsoleLine {
    log::Level level = log::Level::info;
    std::string text;
  };

  // Attaches to `context` (entered by the caller) and installs global_scope.js. Throws
  // StartupError when that fails (a wsup bug, not the script's).
  GlobalScope(v8::Local<v8::Context> context, std::string script_name);
  ~GlobalScope() override;  // detaches from the context
  GlobalScope(const GlobalScope&) = delete;
  GlobalScope& operator=(const GlobalScope&) = delete;

  void set_phase(Phase phase) { phase_ = phase; }
  // Takes the stand-ins and the guards out and detaches; returns why the context cannot go into
  // a snapshot, or "" when it can. In the context, after the last JavaScript of the build.
  std::string leave();

  const std::vector<Violation>& violations() const { return violations_; }
  // After leave(): whether the script made a WeakMap or WeakSet (see global_scope.js, 3.).
  bool weak_collections() const { return weak_collections_; }
  bool violated(Phase phase) const;
  // What the script made during `phase` that holds native state ("" nothing): in a warm-up
  // request it fails that warm-up (the snapshot is then taken without any), not the snapshot.
  std::string native_state_made_in(Phase phase) const;
  // The console output of the script so far (the builder logs it with the script's name).
  std::vector<ConsoleLine> take_console() { return std::move(console_); }

  // The text of the "disallowed" error for `what`.
  static std::string disallowed_message(std::string_view what);

  // JsHost
  uint32_t set_timer(v8::Local<v8::Function> callback, std::vector<v8::Local<v8::Value>> arguments,
                     double delay_ms, bool repeat) override;
  void clear_timer(uint32_t) override {}
  void console_message(log::Level level, std::string_view text) override;
  bool response_body_chunk(std::string_view) override { return false; }
  void response_body_end() override {}
  void response_body_error(v8::Local<v8::Value>) override {}
  // A top level's rejections are its own business until a request runs (none is reported).
  void promise_rejected_unhandled(v8::Local<v8::Promise>, v8::Local<v8::Value>) override {}
  void promise_handled_late(v8::Local<v8::Promise>) override {}
  bool refuse_at_global_scope(std::string_view what) override;
  bool refuse_random_at_global_scope(std::string_view what) override;
  uint32_t fetch_start(egress::SubrequestSpec, v8::Local<v8::Object>, std::string&) override {
    refuse_at_global_scope("fetch()");
    return 0;
  }
  void note_native_state(std::string_view what) override;
  void note_weak_collections() override { weak_collections_ = true; }

 private:
  v8::Isolate* isolate_;
  v8::Global<v8::Context> context_;
  v8::Global<v8::Function> leave_;  // global_scope.js's leave()
  std::string script_name_;
  Phase phase_ = Phase::top_level;
  std::vector<Violation> violations_;
  std::vector<ConsoleLine> console_;
  std::string native_state_;  // what the script made that holds native state ("" nothing)
  Phase native_state_phase_ = Phase::top_level;  // when it made it
  bool weak_collections_ = false;
  ClockFreeze clock_;  // Date.now() reads 0 while this lives
  bool attached_ = false;
};

// The native callbacks global_scope.js's guards hold, for the snapshot's external references.
void add_global_scope_references(std::vector<intptr_t>& out);

// Makes the web platform ask the current context's JsHost before making random values, and
// read performance.now() as 0 under a ClockFreeze (web/runtime_hooks.h). Idempotent.
void install_global_scope_hooks();

}  // namespace wsup::worker
