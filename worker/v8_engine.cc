#include "worker/v8_engine.h"

#include <cstdlib>

#include <libplatform/libplatform.h>
#include <v8-initialization.h>

#include "worker/worker_platform.h"

namespace wsup::worker {
namespace {

V8Engine* g_engine = nullptr;  // the one per process; set and cleared on the main thread

// Measured with tests/bench/runtime_bench (docs/PERFORMANCE.md).
// --no-incremental-marking: incremental marking makes every deserialized context pay write
// barriers and marking steps, yet its final pauses here were no shorter than a plain
// mark-sweep's (0.7-2 ms, --trace-gc): each request's context dies young and little stays live,
// so an atomic mark-sweep is cheaper per request (~60 µs less). It must stay off for scripts
// whose snapshot holds a WeakMap (deserialization_gc_guard.h).
// --regexp-tier-up-ticks=10: V8 runs a new regexp on its regexp bytecode and compiles it to
// machine code once it has run it that many times (V8's default: 1; at once for a subject of
// 1,000+ characters). The count goes into a script's snapshot with the regexp: with 1, a regexp
// that the top level or the warm-up ran once was compiled to machine code again in every
// request, on its first run (what a request compiles dies with its context): 1 regexp per
// hono-api request (Hono's router), 3 per hono-zod request (V8's --trace-regexp-parser), 11-13%
// of a hono-zod request's CPU in perf. With 10, a regexp the warm-up ran fewer than 10 times
// starts each request on the bytecode the snapshot kept: no compilation; one that a request runs
// 10 times still gets machine code.
constexpr char kWorkerFlags[] = "--no-incremental-marking --regexp-tier-up-ticks=10";

}  // namespace

V8Engine::V8Engine(const char* argv0) {
  v8::V8::InitializeICUDefaultLocation(argv0);
  v8::V8::InitializeExternalStartupData(argv0);
  v8::V8::SetFlagsFromString(kWorkerFlags);
  // Operators' escape hatch, applied last so it can undo the above (docs/OPERATIONS.md).
  if (const char* flags = std::getenv("WSUP_V8_FLAGS")) v8::V8::SetFlagsFromString(flags);
  // One background thread is plenty: each worker process owns a single core.
  platform_ = std::make_unique<WorkerPlatform>(v8::platform::NewDefaultPlatform(1));
  v8::V8::InitializePlatform(platform_.get());
  v8::V8::Initialize();
  g_engine = this;
}

V8Engine::~V8Engine() {
  g_engine = nullptr;
  v8::V8::Dispose();
  v8::V8::DisposePlatform();
}

v8::Platform& V8Engine::platform() {
  return *platform_;
}

void V8Engine::run_pending_tasks(v8::Isolate* isolate) {
  if (g_engine == nullptr) return;
  v8::Platform& platform = g_engine->platform_->default_platform();
  while (v8::platform::PumpMessageLoop(&platform, isolate)) {
  }
}

void V8Engine::listen_for_tasks(v8::Isolate* isolate, std::function<void(double)> listener) {
  if (g_engine != nullptr) g_engine->platform_->listen_for_tasks(isolate, std::move(listener));
}

}  // namespace wsup::worker
