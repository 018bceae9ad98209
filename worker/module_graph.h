// One script's ES module files compiled into an isolate, and the resolver that links them: the
// entry imports files of the script's folder by relative specifier (script_loader.h found them
// and their code caches at start-up). Used where a module graph is instantiated: a request's
// context when the script runs per request, the snapshot builder's context otherwise.
#pragma once

#include <cstddef>
#include <vector>

#include <v8.h>

#include "worker/script_loader.h"

namespace wsup::worker {

class ModuleGraph {
 public:
  // Compiles every file of `script` (from its code caches). False, with an exception pending,
  // when one does not compile. Needs an entered context.
  bool compile(v8::Isolate* isolate, const LoadedScript& script);
  bool empty() const { return modules_.empty(); }
  v8::Local<v8::Module> entry(v8::Isolate* isolate) const;
  // The module `specifier` names when `referrer` (a module of this graph) imports it; empty,
  // with an Error thrown, when it names none.
  v8::MaybeLocal<v8::Module> resolve(v8::Isolate* isolate, v8::Local<v8::String> specifier,
                                     v8::Local<v8::Module> referrer) const;
  // Drops the compiled modules (handles go back to the isolate: call with it entered).
  void clear() { modules_.clear(); }

  // For Module::InstantiateModule: resolves among the graph of the context's JsHost
  // (JsHost::module_graph).
  static v8::MaybeLocal<v8::Module> resolve_in_context(v8::Local<v8::Context> context,
                                                       v8::Local<v8::String> specifier,
                                                       v8::Local<v8::FixedArray> import_assertions,
                                                       v8::Local<v8::Module> referrer);

 private:
  const LoadedScript* script_ = nullptr;
  std::vector<v8::Global<v8::Module>> modules_;  // index-aligned with script_->modules
};

}  // namespace wsup::worker
