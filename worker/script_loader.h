// Reading and compiling worker scripts. A script is compiled once at start-up to find its
// errors and make a V8 code cache; isolates (and, for ES modules, every request) then compile
// from that cache, which skips parsing.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <v8.h>

#include "config/cluster_config.h"

namespace wsup::worker {

using config::Isolation;

// One script as the configuration names it.
struct ScriptSpec {
  std::string name;     // what HttpRequest::script selects
  std::string path;     // the file; relative imports resolve against its folder
  bool module = false;  // ES module (export default { fetch }) rather than service worker
  std::map<std::string, std::string> vars;     // binding -> JSON text ("\"str\"", "42", ...)
  std::map<std::string, std::string> secrets;  // binding -> environment variable name
  // eval() and new Function() (cluster.yaml allow_eval); refused with an EvalError otherwise.
  bool allow_eval = false;
  // cluster.yaml's compatibility_flags: "nodejs_compat" lets modules import Node's built-ins.
  std::vector<std::string> compatibility_flags = {};
  std::string compatibility_date = {};  // checked by the config; changes nothing

  bool has_flag(std::string_view flag) const;
  // Requests start from a snapshot of the script's evaluated top level (false: it runs in
  // every request's fresh context). See script_snapshot.h.
  bool snapshot = true;
  std::vector<std::string> warm_up{};  // "/path" or "METHOD /path", run before the snapshot
  Isolation isolation = Isolation::request;
  // isolation: isolate: a context is replaced after this many requests (0: never), or once its
  // isolate's live heap passes recycle_heap_mib MiB (0: never).
  uint32_t recycle_requests = 0;
  uint32_t recycle_heap_mib = 0;
};

struct ModuleFile {
  // What the module is: a file of the script, one of wsup's built-in modules (node:buffer,
  // ..., worker/node/), or the synthetic module of the built-ins' natives.
  enum class Kind { file, builtin, natives };
  std::string path;    // a file's normalized absolute path, or the built-in's specifier
  std::string source;  // a file's text; empty for the built-ins (embedded in the binary)
  std::vector<uint8_t> code_cache;
  std::map<std::string, size_t> imports;  // specifier as written -> index in modules
  Kind kind = Kind::file;
  // Its name in stack traces: a file relative to the entry's folder, a built-in its specifier.
  std::string shown_name;
};

struct LoadedScript {
  ScriptSpec spec;
  std::string source;               // service worker: the script text
  std::string shown_name;           // service worker: its name in stack traces (the file name)
  std::vector<uint8_t> code_cache;  // service worker: its code cache
  std::vector<ModuleFile> modules;  // module: [0] is the entry, then every file it imports
  std::vector<std::pair<std::string, std::string>> secret_values;  // binding -> value
};

// Reads and compiles `spec` (a module with every file it imports) inside `isolate` (entered by
// the caller). Throws StartupError "path:line:column: message" on the first error. Secrets are
// read from the environment here, once; a missing variable is logged and left unbound.
// `files_read`, when given, gets the path of every file of the script it reads (a module graph's
// files, the one that did not compile included): what `wsup dev` watches.
LoadedScript load_script(v8::Isolate* isolate, const ScriptSpec& spec,
                         std::vector<std::string>* files_read = nullptr);

// Compiles from the code cache (recompiling if V8 rejects it); empty with an exception pending
// on failure. Needs an entered context.
v8::MaybeLocal<v8::UnboundScript> compile_service_worker(v8::Isolate* isolate,
                                                         const LoadedScript& script);
v8::MaybeLocal<v8::Module> compile_module(v8::Isolate* isolate, const ModuleFile& file);

}  // namespace wsup::worker
