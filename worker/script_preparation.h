// Everything a runtime does with its scripts before serving: load and compile them (with the
// WebAssembly flag they need), choose the baked context, and build their snapshot (in this
// process or in a child, RuntimeOptions::snapshot_builder). Runtime does it at start-up;
// `wsup-worker --check` does it without serving and reports how each script's requests start.
#pragma once

#include <string>
#include <vector>

#include "worker/baked_context.h"
#include "worker/script_loader.h"
#include "worker/snapshot_builder.h"

namespace wsup::worker {

struct RuntimeOptions;

struct PreparedScripts {
  std::vector<LoadedScript> scripts;
  bool webassembly = false;  // the V8 flag they were compiled under (now set)
  BakedContext base = BakedContext::plain;
  SnapshotBuild build;  // empty when loading failed
  uint64_t build_ns = 0;
};

// With `errors` null, throws StartupError at the first script that does not load, and for a
// top level that breaks the global scope's rules; otherwise appends those to `errors`.
// `files_read` as load_script's.
PreparedScripts prepare_scripts(const RuntimeOptions& options, std::vector<std::string>* errors,
                                std::vector<std::string>* files_read = nullptr);

// Whether contexts made from now on get the WebAssembly global (sets V8 flags: process-wide).
void set_webassembly(bool on);
// Whether any of the scripts' sources (modules: every file) mentions WebAssembly.
bool mentions_webassembly(const std::vector<LoadedScript>& scripts);
// Loads and compiles every script (in a scratch isolate), under the flags set now. Throws
// StartupError.
std::vector<LoadedScript> load_scripts(const std::vector<ScriptSpec>& specs);

// "name: isolation request; requests start from its snapshot ...": how a script's requests get
// their context, for `wsup check` and the log.
std::string describe_start(const ScriptSpec& spec, const ScriptStart& start);

struct ScriptCheck {
  std::vector<std::string> errors;  // "path:line:column: message", one per problem
  std::vector<std::string> starts;  // describe_start of each script, when there are no errors
  std::vector<std::string> files;   // every script file read (load_script's files_read)
};
// For `wsup-worker --check`: prepares every script without serving.
ScriptCheck check_scripts(const RuntimeOptions& options);
// Compiles `scripts` only; returns the errors.
std::vector<std::string> check_scripts(const std::vector<ScriptSpec>& scripts);

}  // namespace wsup::worker
