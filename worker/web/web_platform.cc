// Installs the web platform. Each embedded JS file is a function (global, natives, internal):
// `natives` holds native functions, `internal` what a file hands to later ones. Files run in
// families: the base family (Event, EventTarget) at install time, every other family on the
// first access to one of its globals in a context. Neither object is reachable from user code.
#include "worker/web/web_platform.h"

#include <string_view>
#include <vector>

#include "worker/web/family_scripts.h"
#include "worker/web/natives.h"
#include "worker/web/runtime_hooks.h"

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

using NativeTable = std::span<const NativeFunction> (*)();
// Every table, for the external references; each family lists the tables its files use.
constexpr NativeTable kNativeTables[] = {
    encoding_natives,    crypto_natives,        crypto_key_natives,    crypto_jwk_natives,
    crypto_sign_natives, crypto_cipher_natives, crypto_derive_natives, clone_natives,
    url_natives,         streams_natives,       time_natives,          navigator_natives};

// A plain object (Object.prototype) in dictionary mode. The families add dozens of properties
// to `natives` and `internal` in every context that uses them; on an ordinary object each
// addition makes and links a new hidden class (map) in that fresh context, on a dictionary-mode
// one it is a hash-table insert.
v8::Local<v8::Object> new_property_bag(v8::Isolate* isolate) {
  v8::Local<v8::Value> object_prototype = v8::Object::New(isolate)->GetPrototype();
  return v8::Object::New(isolate, object_prototype, nullptr, nullptr, 0);
}

// Adds the functions of `tables` to `natives`, skipping a table already there (another family
// of the context added it): each function costs a template and an instance, so a context pays
// only for the tables of the families it uses.
bool AddNatives(v8::Local<v8::Context> context, v8::Local<v8::Object> natives,
                std::span<const NativeTable> tables) {
  v8::Isolate* isolate = context->GetIsolate();
  for (NativeTable table : tables) {
    if (table().empty()) continue;
    v8::Maybe<bool> present =
        natives->HasRealNamedProperty(context, one_byte_string(isolate, table().front().name));
    if (present.IsNothing()) return false;
    if (present.FromJust()) continue;
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
// base family, put on `internal`. A family reaches another only through the other's
// `internals`: lazy properties of `internal` (like its globals) whose first read builds that
// family, so it does not depend on globals user code may have replaced.
struct Family {
  std::vector<std::string_view> files;
  std::vector<std::string_view> globals;    // lazy families: what the files define
  std::vector<std::string_view> internals;  // what they hand to others (exportInternal)
  std::vector<NativeTable> natives;         // the tables of natives the files use
  // Compiled at install (the installers live in every context: no compile on first use) or
  // on first use, from the isolate's FamilyScriptCache (family_scripts.h): the large families,
  // whose functions would otherwise be carried and compiled again in every context, and those
  // few requests use (a context then carries nothing of them but their lazy properties). They
  // are never baked into a snapshot context either (lazy_family_built_on_first_use_only).
  bool compile_at_install = true;
  // Whether building it makes WeakMaps: the runtime must know of every WeakMap a script's top
  // level leaves in its snapshot (runtime_hooks.h, note_weak_collections).
  bool keeps_weak_collections = false;
};

const Family& base_family() {
  static const Family family{{"wsup:webidl.js", "wsup:events.js"}, {}, {}, {time_natives}};
  return family;
}

const std::vector<Family>& lazy_families() {
  static const std::vector<Family> families{
      {{"wsup:dom_exception.js"}, {"DOMException"}, {"DOMException"}, {}},
      {{"wsup:abort.js"}, {"AbortSignal", "AbortController"}, {"AbortController"}, {}},
      {{"wsup:encoding.js"},
       {"TextEncoder", "TextDecoder", "atob", "btoa"},
       {"TextDecoder"},
       {encoding_natives}},
      {{"wsup:percent_encoding.js", "wsup:url_host.js", "wsup:url_search_params.js",
        "wsup:url_parser.js", "wsup:url.js"},
       {"URLSearchParams", "URL"},
       {"URL", "urlForms"},
       {encoding_natives, url_natives}},
      {{"wsup:crypto.js"}, {"Crypto", "crypto"}, {}, {crypto_natives}},
      // Apart from crypto's: getRandomValues alone does not build SubtleCrypto.
      {{"wsup:subtle_webidl.js", "wsup:crypto_key.js", "wsup:subtle_keys.js", "wsup:subtle.js"},
       {"SubtleCrypto", "CryptoKey"},
       {"subtle"},
       {crypto_natives, crypto_key_natives, crypto_jwk_natives, crypto_sign_natives,
        crypto_cipher_natives, crypto_derive_natives, encoding_natives, clone_natives}},
      {{"wsup:globals.js"},
       {"structuredClone", "Performance", "Navigator", "performance", "navigator", "scheduler"},
       {"cloneWithTransfer"},
       {clone_natives, time_natives, navigator_natives}},
      {{"wsup:event_types.js"},
       {"CustomEvent", "ErrorEvent", "MessageEvent", "PromiseRejectionEvent", "reportError"},
       {"MessageEvent", "PromiseRejectionEvent", "reportException", "dispatchGlobalEvent"},
       {},
       false},
      // A port's state is in a WeakMap, and EventTarget adopts ports into another.
      {{"wsup:messaging.js"}, {"MessageChannel", "MessagePort"}, {}, {clone_natives}, false, true},
      // urlpattern-polyfill between wsup's prelude and epilogue (CMakeLists.txt).
      {{"wsup:urlpattern.js"}, {"URLPattern"}, {}, {}, false},
      // web-streams-polyfill between wsup's prelude and epilogue (CMakeLists.txt).
      {{"wsup:streams.js"},
       {"ReadableStream", "ReadableStreamDefaultReader", "ReadableStreamBYOBReader",
        "ReadableStreamBYOBRequest", "ReadableStreamDefaultController",
        "ReadableByteStreamController", "WritableStream", "WritableStreamDefaultWriter",
        "WritableStreamDefaultController", "TransformStream", "TransformStreamDefaultController",
        "ByteLengthQueuingStrategy", "CountQueuingStrategy"},
       {"streams"},
       {encoding_natives, streams_natives},
       false,
       true},
      {{"wsup:stream_adapters.js"},
       {"TextEncoderStream", "TextDecoderStream", "CompressionStream", "DecompressionStream",
        "IdentityTransformStream", "FixedLengthStream"},
       {},
       {encoding_natives, streams_natives},
       false,
       true},
      {{"wsup:blob.js", "wsup:form_data.js", "wsup:multipart.js"},
       {"Blob", "File", "FormData"},
       {"blobs"},
       {encoding_natives, crypto_natives},
       false,
       true},
  };
  return families;
}

// Compiles a family's files; returns their installer functions, in order. The installers of
// the families compiled at install are kept in the context (and its snapshot): a small function
// object each, so a family's first use runs without compiling its top level. The large
// families' files come from the isolate's FamilyScriptCache when it has one (family_scripts.h).
v8::MaybeLocal<v8::Array> CompileFamily(v8::Local<v8::Context> context, const Family& family) {
  v8::Isolate* isolate = context->GetIsolate();
  if (family.keeps_weak_collections) note_weak_collections(isolate);
  v8::Local<v8::Array> installers = v8::Array::New(isolate, static_cast<int>(family.files.size()));
  for (uint32_t i = 0; i < family.files.size(); ++i) {
    v8::Local<v8::Value> installer;
    if (!run_embedded_file(context, family.files[i], !family.compile_at_install)
             .ToLocal(&installer) ||
        !installer->IsFunction() || installers->Set(context, i, installer).IsNothing()) {
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
// [natives of the lazy families run so far, internal, what bake_lazy_families keeps alive, then
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
      if (state->Set(context, kNatives, natives).IsNothing()) return;
    }
    if (!AddNatives(context, natives.As<v8::Object>(), lazy_families()[family_index].natives)) {
      return;
    }
    if (!state->Get(context, kInternal).ToLocal(&internal) ||
        !state->Get(context, installers_slot(family_index)).ToLocal(&installers)) {
      return;
    }
    if (!installers->IsArray()) {  // compiled on first use
      v8::Local<v8::Array> compiled;
      if (!CompileFamily(context, lazy_families()[family_index]).ToLocal(&compiled) ||
          state->Set(context, installers_slot(family_index), compiled).IsNothing()) {
        return;
      }
      installers = compiled;
    }
    if (!RunFamily(context, installers.As<v8::Array>(), natives.As<v8::Object>(),
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

// Defines the lazy globals on the global object and each family's internals the same way on
// `internal` (the files use the original constructors and helpers, not the globals, which user
// code may replace).
bool DefineLazyGlobals(v8::Local<v8::Context> context, v8::Local<v8::Object> internal) {
  v8::Isolate* isolate = context->GetIsolate();
  const std::vector<Family>& families = lazy_families();
  v8::Local<v8::Array> state =
      v8::Array::New(isolate, static_cast<int>(kFirstFamily + 2 * families.size()));
  if (state->Set(context, kInternal, internal).IsNothing()) return false;
  context->SetEmbedderData(kWebPlatformSlot, state);
  for (uint32_t index = 0; index < families.size(); ++index) {
    v8::Local<v8::Array> installers;
    if (families[index].compile_at_install &&
        (!CompileFamily(context, families[index]).ToLocal(&installers) ||
         state->Set(context, installers_slot(index), installers).IsNothing())) {
      return false;
    }
    v8::Local<v8::Integer> data = v8::Integer::NewFromUnsigned(isolate, index);
    auto define_lazy = [&](v8::Local<v8::Object> target, std::string_view name) {
      v8::Local<v8::String> key =
          one_byte_string(isolate, name.data(), static_cast<int>(name.size()));
      return !DefineFailed(
          isolate, target->SetLazyDataProperty(context, key, LazyGlobalGetter, data, v8::DontEnum));
    };
    for (std::string_view name : families[index].globals) {
      if (!define_lazy(context->Global(), name)) return false;
    }
    for (std::string_view name : families[index].internals) {
      if (!define_lazy(internal, name)) return false;
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

v8::Local<v8::Object> web_platform_internal(v8::Local<v8::Context> context) {
  v8::Isolate* isolate = context->GetIsolate();
  if (context->GetNumberOfEmbedderDataFields() <= static_cast<uint32_t>(kWebPlatformSlot)) {
    return v8::Object::New(isolate);
  }
  v8::Local<v8::Value> state = context->GetEmbedderData(kWebPlatformSlot);
  v8::Local<v8::Value> internal;
  if (state.IsEmpty() || !state->IsArray() ||
      !state.As<v8::Array>()->Get(context, kInternal).ToLocal(&internal) || !internal->IsObject()) {
    return v8::Object::New(isolate);
  }
  return internal.As<v8::Object>();
}

bool lazy_family_built_on_first_use_only(size_t index) {
  return !lazy_families().at(index).compile_at_install;
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
  const Family bake{{"wsup:bake.js"}, {}, {}, {}};
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
  if (!AddNatives(context, natives, base_family().natives)) return false;
  v8::Local<v8::Object> internal = new_property_bag(isolate);
  v8::Local<v8::Object> exported;
  v8::Local<v8::Array> installers;
  return CompileFamily(context, base_family()).ToLocal(&installers) &&
         RunFamily(context, installers, natives, internal).ToLocal(&exported) &&
         DefineGlobals(context, exported) && DefineLazyGlobals(context, internal);
}

}  // namespace wsup::worker::web
