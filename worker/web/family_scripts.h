// Compiling the web platform's embedded files (js/*.js), and the per-isolate cache of the large
// families' compiled scripts.
//
// A family's installers compiled in a context that goes into the startup snapshot are copied
// into every context made from it, and the functions inside them are compiled again in each
// (their SharedFunctionInfos are per context). That is right for the small families, cheap to
// carry and to compile; the large ones (streams, Blob/FormData: web_platform.cc) are compiled
// on first use instead, from an UnboundScript kept per isolate: every context of the isolate
// then runs the same compiled functions, and a first use costs running the family's top level,
// not parsing it.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include <v8.h>

namespace wsup::worker::web {

// One per isolate, made by the embedder after the isolate and destroyed (under its Locker)
// before it is disposed; found through the isolate's data slot kFamilyScriptsSlot. Without one,
// the large families are compiled in every context that uses them (tests, benchmarks).
class FamilyScriptCache {
 public:
  explicit FamilyScriptCache(v8::Isolate* isolate);
  ~FamilyScriptCache();
  FamilyScriptCache(const FamilyScriptCache&) = delete;
  FamilyScriptCache& operator=(const FamilyScriptCache&) = delete;

  // The isolate's cache, or null.
  static FamilyScriptCache* of(v8::Isolate* isolate);
  // The compiled script of embedded file `index`, compiled on the first call.
  v8::MaybeLocal<v8::UnboundScript> script(size_t index);

 private:
  v8::Isolate* isolate_;
  std::vector<v8::Global<v8::UnboundScript>> scripts_;  // by index in web_platform_sources()
};

// The isolate data slot holding the FamilyScriptCache (the runtime uses no other).
inline constexpr uint32_t kFamilyScriptsSlot = 0;

// Runs embedded file `name` in `context` and returns what it evaluates to (its installer
// function). `cached`: through the isolate's FamilyScriptCache when there is one. Empty with
// an exception pending on failure.
v8::MaybeLocal<v8::Value> run_embedded_file(v8::Local<v8::Context> context, std::string_view name,
                                            bool cached);

}  // namespace wsup::worker::web
