#include "worker/script_preparation.h"

#include <v8-initialization.h>

#include <string_view>

#include "worker/runtime.h"
#include "worker/snapshot_subprocess.h"
#include "worker/startup_error.h"
#include "worker/startup_snapshot.h"
#include "worker/stopwatch.h"
#include "worker/wasm_memory_budget.h"

namespace wsup::worker {
namespace {

// Loads (and so compiles) every script in a scratch isolate made from the startup snapshot.
std::vector<LoadedScript> load_all(const std::vector<ScriptSpec>& specs,
                                   std::vector<std::string>* errors,
                                   std::vector<std::string>* files_read = nullptr) {
  const StartupSnapshot& snapshot = StartupSnapshot::instance();
  std::unique_ptr<v8::ArrayBuffer::Allocator> allocator(
      v8::ArrayBuffer::Allocator::NewDefaultAllocator());
  v8::Isolate::CreateParams params;
  params.array_buffer_allocator = allocator.get();
  params.snapshot_blob = snapshot.blob();
  params.external_references = snapshot.external_references();
  v8::Isolate* isolate = v8::Isolate::New(params);
  std::vector<LoadedScript> scripts;
  try {
    v8::Isolate::Scope isolate_scope(isolate);
    for (const ScriptSpec& spec : specs) {
      try {
        scripts.push_back(load_script(isolate, spec, files_read));
      } catch (const StartupError& error) {
        if (errors == nullptr) throw;
        errors->push_back(error.what());
      }
    }
  } catch (...) {
    isolate->Dispose();
    throw;
  }
  isolate->Dispose();
  return scripts;
}

}  // namespace

void set_webassembly(bool on) {
  // Both: with asm.js validation on, V8 installs WebAssembly's internals even when hidden.
  v8::V8::SetFlagsFromString(on ? "--expose-wasm --validate-asm"
                                : "--no-expose-wasm --no-validate-asm");
}

bool mentions_webassembly(const std::vector<LoadedScript>& scripts) {
  constexpr std::string_view kWord = "WebAssembly";
  for (const LoadedScript& script : scripts) {
    if (script.source.find(kWord) != std::string::npos) return true;
    for (const ModuleFile& file : script.modules)
      if (file.source.find(kWord) != std::string::npos) return true;
  }
  return false;
}

std::vector<LoadedScript> load_scripts(const std::vector<ScriptSpec>& specs) {
  return load_all(specs, nullptr);
}

PreparedScripts prepare_scripts(const RuntimeOptions& options, std::vector<std::string>* errors,
                                std::vector<std::string>* files_read) {
  PreparedScripts prepared;
  // Flags before compiling: code caches carry a hash of V8's flags and are refused on a mismatch.
  // No WebAssembly memory larger than an isolate's whole ArrayBuffer budget (the heap limit).
  const size_t wasm_max_bytes = size_t{options.limits.heap_mib} << 20;
  WasmMemoryPageAllocator::set_max_bytes(wasm_max_bytes);
  prepared.webassembly = options.webassembly.value_or(false);
  set_webassembly(prepared.webassembly);
  const size_t errors_before = errors != nullptr ? errors->size() : 0;
  prepared.scripts = load_all(options.scripts, errors, files_read);
  if (errors != nullptr && errors->size() != errors_before) return prepared;
  if (!options.webassembly && mentions_webassembly(prepared.scripts)) {
    prepared.webassembly = true;
    set_webassembly(true);
    prepared.scripts = load_all(options.scripts, errors);
  }
  prepared.base = options.baked_context.value_or(baked_context_for(prepared.scripts));
  SnapshotPlan plan;
  plan.base = prepared.base;
  plan.startup_cpu = std::chrono::milliseconds(options.limits.startup_cpu_ms);
  plan.wasm_max_bytes = wasm_max_bytes;
  const Stopwatch building;
  prepared.build = options.snapshot_builder.empty()
                       ? build_script_snapshot(prepared.scripts, plan)
                       : build_snapshot_in_child(options.snapshot_builder, prepared.scripts, plan,
                                                 prepared.webassembly);
  prepared.build_ns = building.elapsed_ns();
  // A snapshotted script that keeps a WeakMap or WeakSet needs no other V8 flags: V8 10.2
  // crashes when a full collection starts while Context::FromSnapshot deserializes such a
  // context, with incremental marking on or off, and WorkerIsolate::new_context keeps
  // collections out of it (deserialization_gc_guard.h).
  if (prepared.build.errors.empty()) return prepared;
  if (errors != nullptr) {
    errors->insert(errors->end(), prepared.build.errors.begin(), prepared.build.errors.end());
    return prepared;
  }
  std::string text;
  for (const std::string& error : prepared.build.errors) {
    text += (text.empty() ? "" : "\n") + error;
  }
  throw StartupError(text);
}

std::string describe_start(const ScriptSpec& spec, const ScriptStart& start) {
  std::string text = spec.name + ": isolation " +
                     (spec.isolation == Isolation::isolate ? "isolate" : "request") + "; ";
  if (!spec.snapshot) return text + "top level evaluated in every new context (snapshot: false)";
  if (!start.snapshotted) {
    return text + "top level evaluated in every new context, it cannot be snapshotted: " +
           start.fallback_reason;
  }
  text += "new contexts start from its snapshot";
  if (start.warmed_up > 0) {
    text += " (after " + std::to_string(start.warmed_up) + " warm-up request" +
            (start.warmed_up == 1 ? ")" : "s)");
  }
  if (!start.warm_up_failure.empty()) text += "; warm-up left out: " + start.warm_up_failure;
  return text;
}

ScriptCheck check_scripts(const RuntimeOptions& options) {
  ScriptCheck check;
  PreparedScripts prepared = prepare_scripts(options, &check.errors, &check.files);
  if (!check.errors.empty() || !prepared.build.snapshot) return check;
  for (size_t i = 0; i < prepared.scripts.size(); ++i) {
    check.starts.push_back(
        describe_start(prepared.scripts[i].spec, prepared.build.snapshot->start(i)));
  }
  return check;
}

std::vector<std::string> check_scripts(const std::vector<ScriptSpec>& scripts) {
  std::vector<std::string> errors;
  load_all(scripts, &errors);
  return errors;
}

}  // namespace wsup::worker
