// Builds a Runtime's ScriptSnapshot (script_snapshot.h) in this process: a v8::SnapshotCreator
// made from the process's startup snapshot gets the runtime's baked context and, per script
// that asks for one (cluster.yaml `snapshot`, on by default), a context in which the script's
// top level ran, then its warm-up requests (script_evaluator.h). A script whose context cannot
// go into the snapshot is evaluated per request instead, and its ScriptStart says why.
//
// V8 aborts the process on a few objects it cannot serialize (an Intl formatter, a
// FinalizationRegistry with live registrations, made at top level); the worker therefore builds
// in a child process (snapshot_subprocess.h), where such an abort costs only the build.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "shared/log.h"
#include "worker/baked_context.h"
#include "worker/script_loader.h"
#include "worker/script_snapshot.h"

namespace wsup::worker {

struct SnapshotPlan {
  BakedContext base = BakedContext::plain;  // the context requests start from when fresh
  // CPU time each script's top level and warm-up requests may use together.
  std::chrono::milliseconds startup_cpu{1000};
  // WebAssembly memories at most this large (WasmMemoryPageAllocator::set_max_bytes, a V8 flag
  // the builder must share: code caches depend on the flags); 0: V8's default.
  size_t wasm_max_bytes = 0;
};

// A line a script printed (console.*) while its top level or warm-up requests ran, to be logged
// with script=<its name>.
struct ScriptConsoleLine {
  size_t script = 0;
  log::Level level = log::Level::info;
  std::string text;
};

struct SnapshotBuild {
  std::shared_ptr<const ScriptSnapshot> snapshot;  // null when `errors` is not empty
  // Calls a top level makes that the global scope's rules refuse, one per script:
  // "path:line:column: Disallowed operation called within global scope: ...". The scripts
  // are wrong as written: the runtime refuses to start them (as Cloudflare refuses to deploy).
  std::vector<std::string> errors;
  std::vector<ScriptConsoleLine> console;
};

SnapshotBuild build_script_snapshot(const std::vector<LoadedScript>& scripts,
                                    const SnapshotPlan& plan);

}  // namespace wsup::worker
