#include "worker/global_scope.h"

#include "worker/embedded_js.h"
#include "worker/js_error.h"
#include "worker/js_values.h"
#include "worker/startup_error.h"
#include "worker/web/runtime_hooks.h"

namespace wsup::worker {
namespace {

// Where the script code that asked for `what` is: the innermost frame of a file of the script
// (wsup's own JavaScript is named "wsup:...").
std::string caller_location(v8::Isolate* isolate) {
  v8::HandleScope scope(isolate);
  v8::Local<v8::StackTrace> stack = v8::StackTrace::CurrentStackTrace(isolate, 32);
  for (int i = 0; i < stack->GetFrameCount(); ++i) {
    v8::Local<v8::StackFrame> frame = stack->GetFrame(isolate, i);
    const std::string name = to_utf8(isolate, frame->GetScriptName());
    if (name.empty() || name.starts_with("wsup:")) continue;
    return name + ":" + std::to_string(frame->GetLineNumber()) + ":" +
           std::to_string(frame->GetColumn());
  }
  return {};
}

// global_scope.js's `refuse(what)`: Math.random's guard calls it at global scope.
void refuse_callback(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  JsHost* host = JsHost::of(isolate->GetCurrentContext());
  if (host != nullptr) host->refuse_random_at_global_scope(to_utf8(isolate, info[0]));
}

bool allow_random(v8::Isolate* isolate, const char* what) {
  JsHost* host = JsHost::of(isolate->GetCurrentContext());
  return host == nullptr || !host->refuse_random_at_global_scope(what);
}

bool clock_frozen() {
  return ClockFreeze::active();
}

void weak_collections_made(v8::Isolate* isolate) {
  if (JsHost* host = JsHost::of(isolate->GetCurrentContext())) host->note_weak_collections();
}

void native_state_made(v8::Isolate* isolate, const char* what) {
  if (JsHost* host = JsHost::of(isolate->GetCurrentContext())) host->note_native_state(what);
}

const EmbeddedJs& global_scope_js() {
  return global_scope_sources().front();
}

}  // namespace

GlobalScope::GlobalScope(v8::Local<v8::Context> context, std::string script_name)
    : isolate_(context->GetIsolate()),
      context_(isolate_, context),
      script_name_(std::move(script_name)) {
  install_global_scope_hooks();
  JsHost::attach(context, this);
  attached_ = true;
  v8::HandleScope scope(isolate_);
  v8::TryCatch try_catch(isolate_);
  const EmbeddedJs& js = global_scope_js();
  v8::ScriptOrigin origin(isolate_, v8_string(isolate_, js.name));
  v8::Local<v8::Script> script;
  v8::Local<v8::Value> installer;
  v8::Local<v8::Function> refuse;
  v8::Local<v8::Value> leave;
  if (v8::Script::Compile(context, v8_string(isolate_, js.source), &origin).ToLocal(&script) &&
      script->Run(context).ToLocal(&installer) && installer->IsFunction() &&
      v8::Function::New(context, refuse_callback, {}, 1, v8::ConstructorBehavior::kThrow)
          .ToLocal(&refuse)) {
    v8::Local<v8::Value> argv[] = {refuse};
    if (!installer.As<v8::Function>()
             ->Call(context, v8::Undefined(isolate_), 1, argv)
             .ToLocal(&leave)) {
      leave.Clear();
    }
  }
  if (leave.IsEmpty() || !leave->IsFunction()) {
    throw StartupError(
        "preparing the global scope of script \"" + script_name_ + "\" failed: " +
        compiler_style(describe_js_error(context, try_catch.Exception(), try_catch.Message())));
  }
  leave_.Reset(isolate_, leave.As<v8::Function>());
}

GlobalScope::~GlobalScope() {
  if (!attached_) return;
  v8::HandleScope scope(isolate_);
  JsHost::attach(context_.Get(isolate_), nullptr);
}

std::string GlobalScope::leave() {
  v8::HandleScope scope(isolate_);
  v8::Local<v8::Context> context = context_.Get(isolate_);
  v8::TryCatch try_catch(isolate_);
  v8::Local<v8::Value> result;
  v8::Local<v8::Value> problems;
  v8::Local<v8::Value> weak;
  std::string reason;
  if (leave_.IsEmpty() ||
      !leave_.Get(isolate_)->Call(context, v8::Undefined(isolate_), 0, nullptr).ToLocal(&result) ||
      !result->IsObject() ||
      !result.As<v8::Object>()->Get(context, v8_string(isolate_, "problems")).ToLocal(&problems) ||
      !problems->IsArray() ||
      !result.As<v8::Object>()
           ->Get(context, v8_string(isolate_, "weakCollections"))
           .ToLocal(&weak)) {
    reason =
        "taking the snapshot's stand-ins out failed" +
        (try_catch.HasCaught() ? ": " + compiler_style(describe_js_error(
                                            context, try_catch.Exception(), try_catch.Message()))
                               : std::string());
  } else {
    weak_collections_ = weak_collections_ || weak->IsTrue();
    v8::Local<v8::Array> list = problems.As<v8::Array>();
    for (uint32_t i = 0; i < list->Length(); ++i) {
      v8::Local<v8::Value> problem;
      if (!list->Get(context, i).ToLocal(&problem)) continue;
      reason += (reason.empty() ? "" : "; ") + to_utf8(isolate_, problem);
    }
  }
  if (!native_state_.empty()) {
    reason += (reason.empty() ? "" : "; ") + std::string("the top level made ") + native_state_ +
              ", whose native state cannot go into a snapshot";
  }
  leave_.Reset();
  JsHost::attach(context, nullptr);
  attached_ = false;
  context_.Reset();
  return reason;
}

bool GlobalScope::violated(Phase phase) const {
  for (const Violation& violation : violations_)
    if (violation.phase == phase) return true;
  return false;
}

std::string GlobalScope::disallowed_message(std::string_view what) {
  return "Disallowed operation called within global scope: " + std::string(what) +
         ". Asynchronous I/O, timers and generating random values are not allowed at a "
         "script's global scope (as on Cloudflare Workers), nor I/O and timers in its warm-up "
         "requests: do this inside a handler.";
}

bool GlobalScope::refuse_random_at_global_scope(std::string_view what) {
  // A warm-up request is a request: what it draws (Hono's requestId() middleware calls
  // crypto.randomUUID() in every request) is not top-level state. What it keeps of them is warm-up
  // state, shared by every request as module state is shared by a Cloudflare isolate's requests;
  // V8 reseeds Math.random in every context made from the snapshot.
  if (phase_ == Phase::warm_up) return false;
  return refuse_at_global_scope(what);
}

bool GlobalScope::refuse_at_global_scope(std::string_view what) {
  violations_.push_back(Violation{phase_, std::string(what), caller_location(isolate_)});
  isolate_->ThrowException(v8::Exception::Error(v8_string(isolate_, disallowed_message(what))));
  return true;
}

uint32_t GlobalScope::set_timer(v8::Local<v8::Function>, std::vector<v8::Local<v8::Value>>, double,
                                bool repeat) {
  refuse_at_global_scope(repeat ? "setInterval()" : "setTimeout()");
  return 0;
}

void GlobalScope::note_native_state(std::string_view what) {
  if (!native_state_.empty()) return;
  native_state_ = what;
  native_state_phase_ = phase_;
}

std::string GlobalScope::native_state_made_in(Phase phase) const {
  return native_state_phase_ == phase ? native_state_ : std::string();
}

void GlobalScope::console_message(log::Level level, std::string_view text) {
  console_.push_back(ConsoleLine{level, std::string(text)});
}

void add_global_scope_references(std::vector<intptr_t>& out) {
  out.push_back(reinterpret_cast<intptr_t>(&refuse_callback));
}

void install_global_scope_hooks() {
  web::RuntimeHooks hooks;
  hooks.allow_random = allow_random;
  hooks.clock_frozen = clock_frozen;
  hooks.native_state_made = native_state_made;
  hooks.weak_collections_made = weak_collections_made;
  web::set_runtime_hooks(hooks);
}

}  // namespace wsup::worker
