// Runs one script's top level, then its warm-up requests, in a context of the snapshot
// builder's isolate (snapshot_builder.h), under the global scope's rules (global_scope.h) and a
// CPU budget, and says whether the context can go into the snapshot. A service worker runs with
// its bindings as globals and registers its fetch listeners; an ES module graph is instantiated
// under a small wrapper module that imports the entry's default export, because V8 10.2 cannot
// serialize a module namespace object: the export is handed over through the wrapper's
// import.meta and kept as {default: export}, which is all a fetch dispatch reads.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include <v8.h>

#include "worker/global_scope.h"
#include "worker/limits/cpu_watchdog.h"
#include "worker/script_loader.h"

namespace wsup::worker {

struct Evaluation {
  bool ok = false;             // the context may go into the snapshot
  std::string reason;          // otherwise: why not (fall back to evaluation per request)
  v8::Local<v8::Value> entry;  // {default: export} for a module, undefined for a service worker
  // Calls at top level that the global scope's rules refuse: errors in the script.
  std::vector<GlobalScope::Violation> violations;
  size_t warmed_up = 0;
  std::string warm_up_failure;    // a warm-up request failed: evaluate again without warm-up
  bool weak_collections = false;  // the script made a WeakMap or WeakSet (GlobalScope)
  std::vector<GlobalScope::ConsoleLine> console;
};

struct EvaluationOptions {
  bool warm_up = true;  // run the script's warm-up requests after its top level
  std::chrono::nanoseconds cpu_budget{std::chrono::seconds(1)};
};

// In `context` (entered, made from the startup snapshot, `internal` its private object).
// Needs the isolate's host callbacks from prepare_builder_isolate().
Evaluation evaluate_for_snapshot(v8::Local<v8::Context> context, v8::Local<v8::Object> internal,
                                 const LoadedScript& script, limits::CpuWatchdog& watchdog,
                                 const EvaluationOptions& options);

// Hooks the builder's isolate needs before evaluate_for_snapshot (the wrapper module's
// import.meta), and explicit microtask checkpoints.
void prepare_builder_isolate(v8::Isolate* isolate);

// Why `script` cannot be snapshotted whatever its top level does, judged from its text ("" if
// nothing): a module importing a namespace (`import * as`), which V8 10.2 cannot serialize, or
// one of Node's built-in modules (worker/node/).
std::string unsnapshottable_source(const LoadedScript& script);

}  // namespace wsup::worker
