#include "worker/module_graph.h"

#include "worker/api/js_host.h"
#include "worker/js_values.h"

namespace wsup::worker {

bool ModuleGraph::compile(v8::Isolate* isolate, const LoadedScript& script) {
  script_ = &script;
  modules_.clear();
  modules_.resize(script.modules.size());
  for (size_t i = 0; i < script.modules.size(); ++i) {
    v8::Local<v8::Module> module;
    if (!compile_module(isolate, script.modules[i]).ToLocal(&module)) return false;
    modules_[i].Reset(isolate, module);
  }
  return true;
}

v8::Local<v8::Module> ModuleGraph::entry(v8::Isolate* isolate) const {
  return modules_.front().Get(isolate);
}

v8::MaybeLocal<v8::Module> ModuleGraph::resolve(v8::Isolate* isolate,
                                                v8::Local<v8::String> specifier,
                                                v8::Local<v8::Module> referrer) const {
  // A module graph has a handful of files: a linear search by handle identity is exact, where
  // identity hashes may collide.
  for (size_t from = 0; from < modules_.size(); ++from) {
    if (modules_[from].Get(isolate) != referrer) continue;
    const auto& imports = script_->modules[from].imports;
    auto to = imports.find(to_utf8(isolate, specifier));
    if (to != imports.end()) return modules_[to->second].Get(isolate);
  }
  isolate->ThrowException(v8::Exception::Error(v8::String::Concat(
      isolate, v8::String::NewFromUtf8Literal(isolate, "Cannot resolve module "), specifier)));
  return {};
}

v8::MaybeLocal<v8::Module> ModuleGraph::resolve_in_context(
    v8::Local<v8::Context> context, v8::Local<v8::String> specifier,
    v8::Local<v8::FixedArray> /*import_assertions*/, v8::Local<v8::Module> referrer) {
  v8::Isolate* isolate = context->GetIsolate();
  JsHost* host = JsHost::of(context);
  const ModuleGraph* graph = host != nullptr ? host->module_graph() : nullptr;
  if (graph == nullptr) {
    isolate->ThrowException(v8::Exception::Error(
        v8::String::NewFromUtf8Literal(isolate, "No module graph is being linked here")));
    return {};
  }
  return graph->resolve(isolate, specifier, referrer);
}

}  // namespace wsup::worker
