#include "worker/script_bindings.h"

#include "worker/js_values.h"

namespace wsup::worker {

v8::Local<v8::Object> make_env(v8::Local<v8::Context> context, const LoadedScript& script) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::Local<v8::Object> env = v8::Object::New(isolate);
  for (const auto& [name, json] : script.spec.vars) {
    v8::Local<v8::Value> value;
    v8::TryCatch not_json(isolate);  // the config validates vars; keep odd text as a string
    if (!v8::JSON::Parse(context, v8_string(isolate, json)).ToLocal(&value)) {
      value = v8_string(isolate, json);
    }
    env->Set(context, v8_string(isolate, name), value).Check();
  }
  for (const auto& [name, secret] : script.secret_values) {
    env->Set(context, v8_string(isolate, name), v8_string(isolate, secret)).Check();
  }
  return env;
}

bool bind_env_as_globals(v8::Local<v8::Context> context, v8::Local<v8::Object> env) {
  v8::Local<v8::Array> names;
  if (!env->GetOwnPropertyNames(context).ToLocal(&names)) return false;
  for (uint32_t i = 0; i < names->Length(); ++i) {
    v8::Local<v8::Value> name;
    v8::Local<v8::Value> value;
    if (!names->Get(context, i).ToLocal(&name) || !env->Get(context, name).ToLocal(&value) ||
        !context->Global()->Set(context, name, value).FromMaybe(false)) {
      return false;
    }
  }
  return true;
}

}  // namespace wsup::worker
