#include "worker/web/family_scripts.h"

#include "worker/embedded_js.h"
#include "worker/embedded_source.h"
#include "worker/web/natives.h"

namespace wsup::worker::web {
namespace {

// Index of the embedded file `name`, or the number of files.
size_t find_source(std::string_view name) {
  const auto files = web_platform_sources();
  for (size_t i = 0; i < files.size(); ++i) {
    if (name == files[i].name) return i;
  }
  return files.size();
}

v8::MaybeLocal<v8::UnboundScript> compile_unbound(v8::Isolate* isolate, size_t index) {
  v8::Local<v8::String> text;  // external: compiling neither copies nor allocates the text
  if (!embedded_source(isolate, web_platform_sources()[index]).ToLocal(&text)) return {};
  v8::ScriptOrigin origin(isolate, one_byte_string(isolate, web_platform_sources()[index].name));
  v8::ScriptCompiler::Source source(text, origin);
  return v8::ScriptCompiler::CompileUnboundScript(isolate, &source);
}

}  // namespace

FamilyScriptCache::FamilyScriptCache(v8::Isolate* isolate)
    : isolate_(isolate), scripts_(web_platform_sources().size()) {
  isolate->SetData(kFamilyScriptsSlot, this);
}

FamilyScriptCache::~FamilyScriptCache() {
  scripts_.clear();
  isolate_->SetData(kFamilyScriptsSlot, nullptr);
}

FamilyScriptCache* FamilyScriptCache::of(v8::Isolate* isolate) {
  return static_cast<FamilyScriptCache*>(isolate->GetData(kFamilyScriptsSlot));
}

v8::MaybeLocal<v8::UnboundScript> FamilyScriptCache::script(size_t index) {
  v8::Global<v8::UnboundScript>& slot = scripts_.at(index);
  if (!slot.IsEmpty()) return slot.Get(isolate_);
  v8::Local<v8::UnboundScript> compiled;
  if (!compile_unbound(isolate_, index).ToLocal(&compiled)) return {};
  slot.Reset(isolate_, compiled);
  return compiled;
}

v8::MaybeLocal<v8::Value> run_embedded_file(v8::Local<v8::Context> context, std::string_view name,
                                            bool cached) {
  v8::Isolate* isolate = context->GetIsolate();
  const size_t index = find_source(name);
  if (index == web_platform_sources().size()) {
    throw_type_error(isolate, "web platform: a family names a file that is not embedded");
    return {};
  }
  FamilyScriptCache* cache = cached ? FamilyScriptCache::of(isolate) : nullptr;
  v8::Local<v8::UnboundScript> unbound;
  if (!(cache != nullptr ? cache->script(index) : compile_unbound(isolate, index))
           .ToLocal(&unbound)) {
    return {};
  }
  return unbound->BindToCurrentContext()->Run(context);
}

}  // namespace wsup::worker::web
