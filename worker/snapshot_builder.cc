#include "worker/snapshot_builder.h"

#include <v8-initialization.h>

#include "worker/script_evaluator.h"
#include "worker/startup_error.h"
#include "worker/startup_snapshot.h"

namespace wsup::worker {
namespace {

// A context of the builder's isolate made from the process's startup snapshot, with its private
// `internal` object (snapshot data do not carry over into a snapshot made from a snapshot: the
// builder adds it again).
struct BaseContext {
  v8::Local<v8::Context> context;
  v8::Local<v8::Object> internal;
};

BaseContext base_context(v8::Isolate* isolate, BakedContext kind) {
  const StartupSnapshot& startup = StartupSnapshot::instance();
  BaseContext made;
  if (!startup.new_context(isolate, kind, nullptr).ToLocal(&made.context) ||
      !made.context->GetDataFromSnapshotOnce<v8::Object>(startup.internal_index(kind))
           .ToLocal(&made.internal)) {
    throw StartupError("V8 could not make the \"" + std::string(to_string(kind)) +
                       "\" context of the startup snapshot for a script snapshot");
  }
  return made;
}

std::string violation_error(const GlobalScope::Violation& violation) {
  return (violation.location.empty() ? std::string() : violation.location + ": ") +
         GlobalScope::disallowed_message(violation.what);
}

// Evaluates `script` into a new context; with a failed warm-up, again without the warm-up.
// Appends the context to `contexts` when it can go into the snapshot.
void evaluate_script(v8::SnapshotCreator& creator, const LoadedScript& script, size_t index,
                     const SnapshotPlan& plan, limits::CpuWatchdog& watchdog, ScriptStart& start,
                     SnapshotBuild& build, std::vector<v8::Global<v8::Context>>& contexts) {
  v8::Isolate* isolate = creator.GetIsolate();
  EvaluationOptions options;
  options.cpu_budget = plan.startup_cpu;
  for (bool warm_up : {true, false}) {
    if (!warm_up && start.warm_up_failure.empty()) return;
    options.warm_up = warm_up;
    v8::HandleScope scope(isolate);
    BaseContext made = base_context(isolate, plan.base);
    v8::Context::Scope context_scope(made.context);
    Evaluation evaluation =
        evaluate_for_snapshot(made.context, made.internal, script, watchdog, options);
    for (GlobalScope::ConsoleLine& line : evaluation.console) {
      build.console.push_back(ScriptConsoleLine{index, line.level, std::move(line.text)});
    }
    if (!evaluation.violations.empty()) {
      build.errors.push_back(violation_error(evaluation.violations.front()));
      return;
    }
    if (!evaluation.warm_up_failure.empty()) {
      start.warm_up_failure = evaluation.warm_up_failure;
      continue;
    }
    if (!evaluation.ok) {
      start.fallback_reason = evaluation.reason;
      return;
    }
    creator.AddData(made.context, made.internal);     // ScriptSnapshot::kInternalDatum
    creator.AddData(made.context, evaluation.entry);  // ScriptSnapshot::kEntryDatum
    contexts.emplace_back(isolate, made.context);
    start.snapshotted = true;
    start.warmed_up = evaluation.warmed_up;
    start.weak_collections = evaluation.weak_collections;
    return;
  }
}

}  // namespace

SnapshotBuild build_script_snapshot(const std::vector<LoadedScript>& scripts,
                                    const SnapshotPlan& plan) {
  SnapshotBuild build;
  std::vector<ScriptStart> starts(scripts.size());
  bool any = false;
  for (size_t i = 0; i < scripts.size(); ++i) {
    if (!scripts[i].spec.snapshot) continue;
    starts[i].fallback_reason = unsnapshottable_source(scripts[i]);
    any = any || starts[i].fallback_reason.empty();
  }
  if (!any) {
    build.snapshot = std::make_shared<ScriptSnapshot>(plan.base, std::move(starts));
    return build;
  }
  const StartupSnapshot& startup = StartupSnapshot::instance();
  v8::SnapshotCreator creator(startup.external_references(), startup.blob());
  v8::Isolate* isolate = creator.GetIsolate();
  prepare_builder_isolate(isolate);
  // The creator is handed the contexts only once no script broke the rules: a creator destroyed
  // without CreateBlob must hold none (V8 10.2 frees its handles after disposing the isolate).
  std::vector<v8::Global<v8::Context>> contexts;  // plain, the base kind, then the scripts'
  {
    limits::CpuWatchdog watchdog;
    v8::HandleScope scope(isolate);
    for (BakedContext kind : {BakedContext::plain, plan.base}) {
      if (!contexts.empty() && kind == BakedContext::plain) break;
      BaseContext base = base_context(isolate, kind);
      creator.AddData(base.context, base.internal);
      contexts.emplace_back(isolate, base.context);
    }
    for (size_t i = 0; i < scripts.size(); ++i) {
      if (!scripts[i].spec.snapshot || !starts[i].fallback_reason.empty()) continue;
      evaluate_script(creator, scripts[i], i, plan, watchdog, starts[i], build, contexts);
    }
  }
  // A script that breaks the global scope's rules does not start: nothing to serialize.
  if (!build.errors.empty()) return build;
  {
    // In the order ScriptSnapshot expects: plain as the default, then the others.
    v8::HandleScope scope(isolate);
    creator.SetDefaultContext(contexts.front().Get(isolate));
    for (size_t i = 1; i < contexts.size(); ++i) creator.AddContext(contexts[i].Get(isolate));
    contexts.clear();
  }
  // kKeep: the bytecode the top levels compiled stays, so requests do not compile it again.
  v8::StartupData blob = creator.CreateBlob(v8::SnapshotCreator::FunctionCodeHandling::kKeep);
  std::unique_ptr<const char[]> owned(blob.data);
  if (blob.data == nullptr) throw StartupError("V8 could not create the scripts' snapshot");
  build.snapshot = std::make_shared<ScriptSnapshot>(std::string(blob.data, blob.raw_size),
                                                    plan.base, std::move(starts));
  return build;
}

}  // namespace wsup::worker
