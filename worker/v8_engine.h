// Process-wide V8 start-up and shutdown, in the order V8's hello-world sample uses.
//
// Construct exactly one V8Engine in main(), before any other thread of the process starts:
// with memory protection keys, a thread created before V8::Initialize cannot touch V8's
// protected memory (docs/ARCHITECTURE.md, "Decisions and why": "Limits inside a worker").
#pragma once

#include <functional>
#include <memory>

#include <v8-platform.h>

namespace wsup::worker {

class WorkerPlatform;

class V8Engine {
 public:
  // argv0 is used by ICU to locate its data next to the binary when needed.
  explicit V8Engine(const char* argv0);
  ~V8Engine();
  V8Engine(const V8Engine&) = delete;
  V8Engine& operator=(const V8Engine&) = delete;

  v8::Platform& platform();
  const WorkerPlatform& worker_platform() const { return *platform_; }

  // Runs the tasks V8 queued for `isolate`'s thread (finalization callbacks, WebAssembly
  // compilation results, GC follow-ups) that are due now. Call with no context entered; a no-op
  // when no V8Engine exists.
  static void run_pending_tasks(v8::Isolate* isolate);
  // WorkerPlatform::listen_for_tasks on the process's engine; a no-op without one.
  static void listen_for_tasks(v8::Isolate* isolate, std::function<void(double)> listener);

 private:
  std::unique_ptr<WorkerPlatform> platform_;
};

}  // namespace wsup::worker
