// Installs the web platform. Each embedded JS file is a function (global, natives, internal):
// `natives` holds native functions, `internal` what a file hands to later ones. Files run in
// families: the base family (Event, EventTarget) at install time, every other family on the
// first access to one of its globals in a context. Neither object is reachable from user code.
#include "worker/web/web_platform.h"

#include <chrono>
#include <memory>
#include <string_view>
#include <vector>

#include "worker/embedded_js.h"
#include "worker/web/natives.h"

namespace wsup::worker::web {

void throw_type_error(v8::Isolate* isolate, const char* message) {
  isolate->ThrowException(v8::Exception::TypeError(one_byte_string(isolate, message)));
}

v8::MaybeLocal<v8::ArrayBuffer> new_array_buffer(v8::Isolate* isolate, size_t size) {
  if (size == 0) return v8::ArrayBuffer::New(isolate, 0);  // no allocation: cannot fail
  v8::ArrayBuffer::Allocator* allocator = isolate->GetArrayBufferAllocator();
  void* data = allocator->Allocate(size);
  if (data == nullptr) {
    isolate->ThrowException(v8::Exception::RangeError(
        v8::String::NewFromUtf8Literal(isolate, "Array buffer allocation failed")));
    return {};
  }
  std::unique_ptr<v8::BackingStore> store = v8::ArrayBuffer::NewBackingStore(
      data, size,
      [](void* bytes, size_t length, void* owner) {
        static_cast<v8::ArrayBuffer::Allocator*>(owner)->Free(bytes, length);
      },
      allocator);
  return v8::ArrayBuffer::New(isolate, std::move(store));
}

v8::Local<v8::String> one_byte_string(v8::Isolate* isolate, const char* text, int length) {
  return v8::String::NewFromOneByte(isolate, reinterpret_cast<const uint8_t*>(text),
                                    v8::NewStringType::kNormal, length)
      .ToLocalChecked();
}

namespace {

// performance.now() counts from process start on the monotonic clock; timeOrigin is the wall
// clock at that same instant, so timeOrigin + now() tracks Date.now(). Both are read at call
// time, never stored in the context, so a snapshot carries no stale clock.
const auto kProcessStartMonotonic = std::chrono::steady_clock::now();
const auto kProcessStartWall = std::chrono::system_clock::now();

void PerformanceNow(const v8::FunctionCallbackInfo<v8::Value>& info) {
  const std::chrono::duration<double, std::milli> elapsed =
      std::chrono::steady_clock::now() - kProcessStartMonotonic;
  info.GetReturnValue().Set(elapsed.count());
}

void TimeOrigin(const v8::FunctionCallbackInfo<v8::Value>& info) {
  const std::chrono::duration<double, std::milli> since_epoch =
      kProcessStartWall.time_since_epoch();
  info.GetReturnValue().Set(since_epoch.count());
}

constexpr NativeFunction kTimeNatives[] = {
    {"performanceNow", PerformanceNow, 0},
    {"timeOrigin", TimeOrigin, 0},
};

std::span<const NativeFunction> time_natives() {
  return kTimeNatives;
}

using NativeTable = std::span<const NativeFunction> (*)();
constexpr NativeTable kNativeTables[] = {encoding_natives, crypto_natives, clone_natives,
                                         url_natives, time_natives};

// `tables`: the base family gets only the clocks (Event's timeStamp); the natives of the lazy
// families are made on the first use of one of them in a context.
// A plain object (Object.prototype) in dictionary mode. The families add dozens of properties
// to `natives` and `internal` in every context that uses them; on an ordinary object each
// addition makes and links a new hidden class (map) in that fresh context, on a dictionary-mode
// one it is a hash-table insert.
v8::Local<v8::Object> new_property_bag(v8::Isolate* isolate) {
  v8::Local<v8::Value> object_prototype = v8::Object::New(isolate)->GetPrototype();
  return v8::Object::New(isolate, object_prototype, nullptr, nullptr, 0);
}

bool AddNatives(v8::Local<v8::Context> context, v8::Local<v8::Object> natives,
                std::span<const NativeTable> tables) {
  v8::Isolate* isolate = context->GetIsolate();
  for (NativeTable table : tables) {
    for (const NativeFunction& native : table()) {
      v8::Local<v8::Function> function;
      if (!v8::Function::New(context, native.callback, v8::Local<v8::Value>(), native.length,
                             v8::ConstructorBehavior::kThrow)
               .ToLocal(&function)) {
        return false;
      }
      if (natives->Set(context, one_byte_string(isolate, native.name), function).IsNothing()) {
        return false;
      }
    }
  }
  return true;
}

// A family is a group of embedded files run together that define a set of globals. The base
// family runs at install time (FetchEvent extends Event, and every family uses DOMException);
// the others only get lazy global properties (v8::Object::SetLazyDataProperty): a context
// made from the startup snapshot then carries a few accessor properties instead of their
// classes, closures and maps, and the first access to any of a family's globals in a context
// runs the family there. Later files may use what earlier files of the same family, or the
// base family, put on `internal`; families share nothing else.
struct Family {
  std::vector<std::string_view> files;
  std::vector<std::string_view> globals;  // lazy families: what the files define
};

const Family& base_family() {
  static const Family family{{"wsup:webidl.js", "wsup:events.js"}, {}};
  return family;
}

const std::vector<Family>& lazy_families() {
  static const std::vector<Family> families{
      {{"wsup:dom_exception.js"}, {"DOMException"}},  // first: kDomExceptionFamily
      {{"wsup:abort.js"}, {"AbortSignal", "AbortController"}},
      {{"wsup:encoding.js"}, {"TextEncoder", "TextDecoder", "atob", "btoa"}},
      {{"wsup:percent_encoding.js", "wsup:url_host.js", "wsup:url_search_params.js",
        "wsup:url_parser.js", "wsup:url.js"},
       {"URLSearchParams", "URL"}},
      {{"wsup:crypto.js"}, {"SubtleCrypto", "Crypto", "crypto"}},
      {{"wsup:globals.js"},
       {"structuredClone", "Performance", "Navigator", "performance", "navigator"}},
  };
  return families;
}

// The embedded sources as external strings: compiling neither copies nor allocates their text,
// and V8's per-isolate compilation cache (keyed on source and origin) turns every compile after
// the first in an isolate into a lookup (contexts made without the snapshot).
class StaticSource final : public v8::String::ExternalOneByteStringResource {
 public:
  explicit StaticSource(std::string_view text) : text_(text) {}
  const char* data() const override { return text_.data(); }
  size_t length() const override { return text_.size(); }
  void Dispose() override {}  // static storage: nothing to free

 private:
  std::string_view text_;
};

const EmbeddedJs* find_source(std::string_view name) {
  for (const EmbeddedJs& file : web_platform_sources()) {
    if (name == file.name) return &file;
  }
  return nullptr;
}

// Never destroyed: an isolate disposed during static destruction may still hold the strings.
StaticSource* static_source(const EmbeddedJs& file) {
  static const auto* const sources = [] {
    auto* all = new std::vector<std::unique_ptr<StaticSource>>();
    for (const EmbeddedJs& each : web_platform_sources()) {
      all->push_back(std::make_unique<StaticSource>(each.source));
    }
    return all;
  }();
  return (*sources)[static_cast<size_t>(&file - web_platform_sources().data())].get();
}

// Compiles a family's files; returns their installer functions, in order. Only the lazy
// families' installers are kept in a context (and its snapshot): a small function object each,
// whose code is shared by every context of the isolate, so a family's first use runs without
// compiling anything.
v8::MaybeLocal<v8::Array> CompileFamily(v8::Local<v8::Context> context, const Family& family) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::Local<v8::Array> installers = v8::Array::New(isolate, static_cast<int>(family.files.size()));
  for (uint32_t i = 0; i < family.files.size(); ++i) {
    const EmbeddedJs* file = find_source(family.files[i]);
    if (file == nullptr) {
      throw_type_error(isolate, "web platform: a family names a file that is not embedded");
      return {};
    }
    v8::ScriptOrigin origin(isolate, one_byte_string(isolate, file->name));
    v8::Local<v8::String> source;
    v8::Local<v8::Script> script;
    v8::Local<v8::Value> installer;
    if (!v8::String::NewExternalOneByte(isolate, static_source(*file)).ToLocal(&source) ||
        !v8::Script::Compile(context, source, &origin).ToLocal(&script) ||
        !script->Run(context).ToLocal(&installer) || !installer->IsFunction() ||
        installers->Set(context, i, installer).IsNothing()) {
      return {};
    }
  }
  return installers;
}

// Runs a family's installers; returns the object of the globals they handed to defineGlobal.
v8::MaybeLocal<v8::Object> RunFamily(v8::Local<v8::Context> context,
                                     v8::Local<v8::Array> installers, v8::Local<v8::Object> natives,
                                     v8::Local<v8::Object> internal) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::Local<v8::Object> exported = v8::Object::New(isolate, v8::Null(isolate), nullptr, nullptr, 0);
  // A family's files may touch another lazy family (internal.DOMException), which then runs in
  // the middle of this one: internal.exported is put back afterwards.
  v8::Local<v8::String> key = one_byte_string(isolate, "exported");
  v8::Local<v8::Value> outer;
  if (!internal->Get(context, key).ToLocal(&outer) ||
      internal->Set(context, key, exported).IsNothing()) {
    return {};
  }
  v8::Local<v8::Value> args[3] = {context->Global(), natives, internal};
  for (uint32_t i = 0; i < installers->Length(); ++i) {
    v8::Local<v8::Value> installer;
    if (!installers->Get(context, i).ToLocal(&installer) ||
        installer.As<v8::Function>()->Call(context, v8::Undefined(isolate), 3, args).IsEmpty()) {
      return {};
    }
  }
  if (internal->Set(context, key, outer).IsNothing()) return {};
  return exported;
}

// Per-context state of the lazy families, in the context's embedder data (kWebPlatformSlot):
// [natives of the lazy families once made, internal, what bake_lazy_families keeps alive, then
// per family its installers and, once run, its exported globals]. It cannot be the lazy properties'
// data: V8 shares AccessorInfo objects, and what they hold, between every context made from a
// snapshot, so their data is only the family's index.
enum StateSlot : uint32_t { kNatives, kInternal, kBaked, kFirstFamily };
constexpr uint32_t installers_slot(uint32_t family) {
  return kFirstFamily + 2 * family;
}
constexpr uint32_t exported_slot(uint32_t family) {
  return kFirstFamily + 2 * family + 1;
}
constexpr uint32_t kDomExceptionFamily = 0;  // index in lazy_families()

// Getter of every lazy global: runs the family on first use in this context (later names of
// the same family find its globals cached in the state), and returns the global asked for; V8
// then replaces the accessor with a plain data property holding that value.
void LazyGlobalGetter(v8::Local<v8::Name> name, const v8::PropertyCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::Array> state = context->GetEmbedderData(kWebPlatformSlot).As<v8::Array>();
  const uint32_t family_index = info.Data().As<v8::Integer>()->Value();
  v8::Local<v8::Value> exported;
  if (!state->Get(context, exported_slot(family_index)).ToLocal(&exported)) return;
  if (!exported->IsObject()) {
    v8::Local<v8::Value> natives, internal, installers;
    v8::Local<v8::Object> made;
    if (!state->Get(context, kNatives).ToLocal(&natives)) return;
    if (!natives->IsObject()) {
      natives = new_property_bag(isolate);
      if (!AddNatives(context, natives.As<v8::Object>(), kNativeTables) ||
          state->Set(context, kNatives, natives).IsNothing()) {
        return;
      }
    }
    if (!state->Get(context, kInternal).ToLocal(&internal) ||
        !state->Get(context, installers_slot(family_index)).ToLocal(&installers) ||
        !RunFamily(context, installers.As<v8::Array>(), natives.As<v8::Object>(),
                   internal.As<v8::Object>())
             .ToLocal(&made) ||
        state->Set(context, exported_slot(family_index), made).IsNothing()) {
      return;
    }
    exported = made;
  }
  v8::Local<v8::Value> value;
  if (exported.As<v8::Object>()->Get(context, name).ToLocal(&value)) {
    info.GetReturnValue().Set(value);
  }
}

bool DefineFailed(v8::Isolate* isolate, v8::Maybe<bool> defined) {
  if (defined.IsNothing()) return true;
  if (!defined.FromJust()) {
    throw_type_error(isolate, "web platform: cannot define a global (is the global sealed?)");
    return true;
  }
  return false;
}

// Defines every property of `exported` on the global, WebIDL-style.
bool DefineGlobals(v8::Local<v8::Context> context, v8::Local<v8::Object> exported) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::Local<v8::Array> names;
  if (!exported->GetOwnPropertyNames(context).ToLocal(&names)) return false;
  for (uint32_t i = 0; i < names->Length(); ++i) {
    v8::Local<v8::Value> name, value;
    if (!names->Get(context, i).ToLocal(&name) || !exported->Get(context, name).ToLocal(&value) ||
        DefineFailed(isolate, context->Global()->DefineOwnProperty(context, name.As<v8::Name>(),
                                                                   value, v8::DontEnum))) {
      return false;
    }
  }
  return true;
}

// Defines the lazy globals, and internal.DOMException the same way (the files use the original
// constructor, not the global, which user code may replace).
bool DefineLazyGlobals(v8::Local<v8::Context> context, v8::Local<v8::Object> internal) {
  v8::Isolate* isolate = context->GetIsolate();
  const std::vector<Family>& families = lazy_families();
  v8::Local<v8::Array> state =
      v8::Array::New(isolate, static_cast<int>(kFirstFamily + 2 * families.size()));
  if (state->Set(context, kInternal, internal).IsNothing()) return false;
  context->SetEmbedderData(kWebPlatformSlot, state);
  if (DefineFailed(isolate, internal->SetLazyDataProperty(
                                context, one_byte_string(isolate, "DOMException"), LazyGlobalGetter,
                                v8::Integer::New(isolate, kDomExceptionFamily)))) {
    return false;
  }
  for (uint32_t index = 0; index < families.size(); ++index) {
    v8::Local<v8::Array> installers;
    if (!CompileFamily(context, families[index]).ToLocal(&installers) ||
        state->Set(context, installers_slot(index), installers).IsNothing()) {
      return false;
    }
    v8::Local<v8::Integer> data = v8::Integer::NewFromUnsigned(isolate, index);
    for (std::string_view name : families[index].globals) {
      v8::Local<v8::String> key =
          one_byte_string(isolate, name.data(), static_cast<int>(name.size()));
      if (DefineFailed(isolate, context->Global()->SetLazyDataProperty(
                                    context, key, LazyGlobalGetter, data, v8::DontEnum))) {
        return false;
      }
    }
  }
  return true;
}

}  // namespace

const std::vector<intptr_t>& web_platform_external_references() {
  static const std::vector<intptr_t> references = [] {
    std::vector<intptr_t> all;
    for (NativeTable table : kNativeTables) {
      for (const NativeFunction& native : table()) {
        all.push_back(reinterpret_cast<intptr_t>(native.callback));
      }
    }
    all.push_back(reinterpret_cast<intptr_t>(LazyGlobalGetter));
    return all;
  }();
  return references;
}

std::vector<std::vector<std::string_view>> lazy_family_globals() {
  std::vector<std::vector<std::string_view>> globals;
  for (const Family& family : lazy_families()) globals.push_back(family.globals);
  return globals;
}

bool bake_lazy_families(v8::Local<v8::Context> context, const std::vector<size_t>& families) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::HandleScope handle_scope(isolate);
  v8::Context::Scope context_scope(context);
  v8::Local<v8::Array> names = v8::Array::New(isolate, static_cast<int>(families.size()));
  for (uint32_t i = 0; i < families.size(); ++i) {
    // bake.js knows a family by its first global.
    std::string_view name = lazy_families().at(families[i]).globals.front();
    if (names->Set(context, i, one_byte_string(isolate, name.data(), static_cast<int>(name.size())))
            .IsNothing()) {
      return false;
    }
  }
  const Family bake{{"wsup:bake.js"}, {}};
  v8::Local<v8::Array> compiled;
  v8::Local<v8::Value> bake_function;
  v8::Local<v8::Value> args[] = {context->Global(), names};
  v8::Local<v8::Value> kept;
  v8::Local<v8::Array> state = context->GetEmbedderData(kWebPlatformSlot).As<v8::Array>();
  return CompileFamily(context, bake).ToLocal(&compiled) &&
         compiled->Get(context, 0).ToLocal(&bake_function) &&
         bake_function.As<v8::Function>()
             ->Call(context, v8::Undefined(isolate), 2, args)
             .ToLocal(&kept) &&
         state->Set(context, kBaked, kept).FromMaybe(false);
}

bool install_web_platform(v8::Local<v8::Context> context) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::HandleScope handle_scope(isolate);
  v8::Context::Scope context_scope(context);
  v8::Local<v8::Object> natives = new_property_bag(isolate);
  constexpr NativeTable kBaseTables[] = {time_natives};
  if (!AddNatives(context, natives, kBaseTables)) return false;
  v8::Local<v8::Object> internal = new_property_bag(isolate);
  v8::Local<v8::Object> exported;
  v8::Local<v8::Array> installers;
  return CompileFamily(context, base_family()).ToLocal(&installers) &&
         RunFamily(context, installers, natives, internal).ToLocal(&exported) &&
         DefineGlobals(context, exported) && DefineLazyGlobals(context, internal);
}

}  // namespace wsup::worker::web
