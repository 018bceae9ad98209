#include "worker/script_evaluator.h"

#include <cctype>
#include <functional>
#include <string_view>

#include "worker/code_generation_policy.h"
#include "worker/js_error.h"
#include "worker/js_values.h"
#include "worker/module_graph.h"
#include "worker/script_bindings.h"

namespace wsup::worker {
namespace {

// What V8's module callbacks need while one graph is instantiated and evaluated (the builder
// runs on one thread, one graph at a time).
struct WrappedGraph {
  const ModuleGraph* graph = nullptr;
  v8::Global<v8::Module> wrapper;
  v8::Global<v8::Object> wrapper_meta;  // the wrapper's import.meta, once it asked for it
};
thread_local WrappedGraph* t_graph = nullptr;

// Imports the entry's default export and hands it over on its own import.meta (no module
// namespace object is ever made: V8 10.2 cannot serialize one).
constexpr char kWrapperName[] = "wsup:snapshot-entry.mjs";
constexpr char kWrapperSource[] =
    "import handler from 'wsup:entry';\n"
    "import.meta.handler = handler;\n";

v8::MaybeLocal<v8::Module> resolve(v8::Local<v8::Context> context, v8::Local<v8::String> specifier,
                                   v8::Local<v8::FixedArray> /*import_assertions*/,
                                   v8::Local<v8::Module> referrer) {
  v8::Isolate* isolate = context->GetIsolate();
  if (referrer == t_graph->wrapper.Get(isolate)) return t_graph->graph->entry(isolate);
  return t_graph->graph->resolve(isolate, specifier, referrer);
}

void on_import_meta(v8::Local<v8::Context> context, v8::Local<v8::Module> module,
                    v8::Local<v8::Object> meta) {
  v8::Isolate* isolate = context->GetIsolate();
  if (t_graph != nullptr && module == t_graph->wrapper.Get(isolate)) {
    t_graph->wrapper_meta.Reset(isolate, meta);
  }
}

std::string thrown(v8::Local<v8::Context> context, v8::Local<v8::Value> exception,
                   v8::Local<v8::Message> message = {}) {
  JsError error = describe_js_error(context, exception, message);
  if (error.message.starts_with("Uncaught ")) error.message.erase(0, 9);
  return compiler_style(error);
}

// Runs JavaScript under what is left of one CPU budget.
class Budget {
 public:
  Budget(v8::Isolate* isolate, limits::CpuWatchdog& watchdog, std::chrono::nanoseconds budget)
      : isolate_(isolate), watchdog_(watchdog), left_(budget) {}
  // False when the watchdog stopped `body` (or nothing was left to start it with).
  bool run(const std::function<void()>& body) {
    if (left_.count() <= 0) return false;
    watchdog_.arm(isolate_, left_);
    body();
    const limits::SliceCharge charge = watchdog_.disarm();
    left_ -= charge.cpu;
    if (!charge.terminated && !isolate_->IsExecutionTerminating()) return true;
    isolate_->CancelTerminateExecution();
    return false;
  }

 private:
  v8::Isolate* isolate_;
  limits::CpuWatchdog& watchdog_;
  std::chrono::nanoseconds left_;
};

// A service worker's top level, its bindings as globals first. Returns why it failed, or "".
std::string run_service_worker(v8::Local<v8::Context> context, const LoadedScript& script) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::TryCatch try_catch(isolate);
  v8::Local<v8::UnboundScript> unbound;
  if (!bind_env_as_globals(context, make_env(context, script)) ||
      !compile_service_worker(isolate, script).ToLocal(&unbound) ||
      unbound->BindToCurrentContext()->Run(context).IsEmpty()) {
    if (try_catch.HasTerminated()) return {};  // the budget says so
    return "its top level threw " + thrown(context, try_catch.Exception(), try_catch.Message());
  }
  isolate->PerformMicrotaskCheckpoint();
  return {};
}

// A module graph under the wrapper; `entry` gets {default: export}. Returns why it failed, or "".
std::string run_module(v8::Local<v8::Context> context, const LoadedScript& script,
                       v8::Local<v8::Value>& entry) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::TryCatch try_catch(isolate);
  ModuleGraph graph;
  WrappedGraph wrapped;
  wrapped.graph = &graph;
  t_graph = &wrapped;
  struct Reset {
    ~Reset() { t_graph = nullptr; }
  } reset;
  if (!graph.compile(isolate, script)) {
    return "it does not compile: " + thrown(context, try_catch.Exception(), try_catch.Message());
  }
  v8::ScriptOrigin origin(isolate, v8_string(isolate, kWrapperName), 0, 0, false, -1, {}, false,
                          false, true);
  v8::ScriptCompiler::Source source(v8_string(isolate, kWrapperSource), origin);
  v8::Local<v8::Module> wrapper;
  if (!v8::ScriptCompiler::CompileModule(isolate, &source).ToLocal(&wrapper)) {
    return "its entry wrapper does not compile: " + thrown(context, try_catch.Exception());
  }
  wrapped.wrapper.Reset(isolate, wrapper);
  if (!wrapper->InstantiateModule(context, resolve).FromMaybe(false)) {
    const std::string why = thrown(context, try_catch.Exception(), try_catch.Message());
    if (why.find("export named 'default'") != std::string::npos) {
      return "its entry module has no default export";
    }
    return "its modules do not link: " + why;
  }
  v8::Local<v8::Value> evaluation;
  if (!wrapper->Evaluate(context).ToLocal(&evaluation)) {
    if (try_catch.HasTerminated()) return {};
    return "its top level threw " + thrown(context, try_catch.Exception(), try_catch.Message());
  }
  isolate->PerformMicrotaskCheckpoint();
  if (wrapper->GetStatus() == v8::Module::kErrored) {
    return "its top level threw " + thrown(context, wrapper->GetException());
  }
  if (evaluation->IsPromise() && evaluation.As<v8::Promise>()->State() == v8::Promise::kPending) {
    return "its top-level await did not settle (only microtasks run at global scope: no I/O, "
           "no timers)";
  }
  v8::Local<v8::Value> handler = v8::Undefined(isolate);
  if (!wrapped.wrapper_meta.IsEmpty()) {
    v8::Local<v8::Object> meta = wrapped.wrapper_meta.Get(isolate);
    if (!meta->Get(context, v8_string(isolate, "handler")).ToLocal(&handler)) {
      return "its default export could not be read";
    }
  }
  v8::Local<v8::Object> exports = v8::Object::New(isolate);
  if (!exports->Set(context, v8_string(isolate, "default"), handler).FromMaybe(false)) {
    return "its default export could not be kept";
  }
  entry = exports;
  return {};
}

// One warm-up request ("/path" or "METHOD /path") through the fetch dispatch. Returns why it
// failed, or "".
std::string run_warm_up(v8::Local<v8::Context> context, v8::Local<v8::Object> internal,
                        v8::Local<v8::Value> entry, const LoadedScript& script,
                        const std::string& request) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::TryCatch try_catch(isolate);
  const size_t space = request.find(' ');
  const std::string method = space == std::string::npos ? "GET" : request.substr(0, space);
  const std::string path = space == std::string::npos ? request : request.substr(space + 1);
  v8::Local<v8::Value> dispatch;
  v8::Local<v8::Value> result;
  v8::Local<v8::Value> argv[] = {entry,
                                 v8_string(isolate, method),
                                 v8_string(isolate, "http://localhost" + path),
                                 v8::Array::New(isolate),
                                 v8::Null(isolate),
                                 make_env(context, script)};
  if (!internal->Get(context, v8_string(isolate, "dispatchFetch")).ToLocal(&dispatch) ||
      !dispatch->IsFunction() ||
      !dispatch.As<v8::Function>()
           ->Call(context, v8::Undefined(isolate), 6, argv)
           .ToLocal(&result) ||
      !result->IsArray()) {
    if (try_catch.HasTerminated()) return {};
    return "the handler threw " + thrown(context, try_catch.Exception(), try_catch.Message());
  }
  isolate->PerformMicrotaskCheckpoint();
  v8::Local<v8::Value> promise;
  if (!result.As<v8::Array>()->Get(context, 0).ToLocal(&promise) || !promise->IsPromise()) {
    return "no fetch listener called respondWith()";
  }
  switch (promise.As<v8::Promise>()->State()) {
    case v8::Promise::kPending:
      return "it did not respond with microtasks alone (no I/O and no timers while the "
             "snapshot is made)";
    case v8::Promise::kRejected:
      return "the handler threw " + thrown(context, promise.As<v8::Promise>()->Result());
    case v8::Promise::kFulfilled:
      return {};
  }
  return {};
}

std::string violation_text(const GlobalScope::Violation& violation) {
  return GlobalScope::disallowed_message(violation.what) +
         (violation.location.empty() ? std::string() : " (at " + violation.location + ")");
}

bool is_space(char c) {
  return std::isspace(static_cast<unsigned char>(c)) != 0;
}

// True when `text` has `import * as` or `export * as` (whitespace between the words optional).
bool names_a_namespace(std::string_view text) {
  for (size_t star = text.find('*'); star != std::string_view::npos;
       star = text.find('*', star + 1)) {
    size_t before = star;
    while (before > 0 && is_space(text[before - 1])) --before;
    const std::string_view head = text.substr(0, before);
    if (!head.ends_with("import") && !head.ends_with("export")) continue;
    size_t after = star + 1;
    while (after < text.size() && is_space(text[after])) ++after;
    if (text.substr(after, 2) == "as" &&
        (after + 2 == text.size() || is_space(text[after + 2]) || text[after + 2] == '{'))
      return true;
  }
  return false;
}

}  // namespace

void prepare_builder_isolate(v8::Isolate* isolate) {
  isolate->SetMicrotasksPolicy(v8::MicrotasksPolicy::kExplicit);
  isolate->SetHostInitializeImportMetaObjectCallback(on_import_meta);
}

std::string unsnapshottable_source(const LoadedScript& script) {
  for (const ModuleFile& file : script.modules) {
    // Their natives (worker/node/node_natives.cc) are a synthetic module, and their code imports
    // it as a namespace: neither can go into a snapshot.
    if (file.kind == ModuleFile::Kind::builtin) {
      return "it imports Node's built-in module " + file.path +
             " (nodejs_compat), which wsup cannot snapshot yet";
    }
    if (names_a_namespace(file.source)) {
      return "its module " + file.path +
             " imports or exports a namespace (import * as / export * as), an object V8 10.2 "
             "cannot snapshot";
    }
  }
  return {};
}

Evaluation evaluate_for_snapshot(v8::Local<v8::Context> context, v8::Local<v8::Object> internal,
                                 const LoadedScript& script, limits::CpuWatchdog& watchdog,
                                 const EvaluationOptions& options) {
  v8::Isolate* isolate = context->GetIsolate();
  Evaluation result;
  apply_code_generation_policy(context, script.spec);  // as every request context of the script
  GlobalScope scope(context, script.spec.name);
  Budget budget(isolate, watchdog, options.cpu_budget);
  const std::string over_budget = "it ran past limits.startup_cpu_ms (" +
                                  std::to_string(options.cpu_budget.count() / 1'000'000) +
                                  " ms of CPU time while the snapshot is made)";
  result.entry = v8::Undefined(isolate);
  std::string failure;
  if (!budget.run([&] {
        failure = script.spec.module ? run_module(context, script, result.entry)
                                     : run_service_worker(context, script);
      })) {
    failure = over_budget;
  }
  for (const GlobalScope::Violation& violation : scope.violations()) {
    result.violations.push_back(violation);
  }
  if (!result.violations.empty()) {
    failure = violation_text(result.violations.front());
  } else if (failure.empty() && options.warm_up) {
    scope.set_phase(GlobalScope::Phase::warm_up);
    for (const std::string& request : script.spec.warm_up) {
      std::string problem;
      if (!budget.run(
              [&] { problem = run_warm_up(context, internal, result.entry, script, request); })) {
        problem = over_budget;
      }
      // A refused call explains the failure better than the error it threw.
      if (scope.violated(GlobalScope::Phase::warm_up)) {
        problem = violation_text(scope.violations().back());
      }
      const std::string native = scope.native_state_made_in(GlobalScope::Phase::warm_up);
      if (problem.empty() && !native.empty()) {
        problem = "it made " + native + ", whose native state cannot go into a snapshot";
      }
      if (!problem.empty()) {
        result.warm_up_failure = "warm-up request \"" + request + "\": " + problem;
        break;
      }
      ++result.warmed_up;
    }
  }
  const std::string left = scope.leave();
  result.weak_collections = scope.weak_collections();
  result.console = scope.take_console();
  if (!failure.empty()) {
    result.reason = failure;
  } else if (!left.empty()) {
    result.reason = left;
  } else {
    result.ok = result.warm_up_failure.empty();
  }
  return result;
}

}  // namespace wsup::worker
