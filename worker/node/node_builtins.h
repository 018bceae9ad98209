// Node's built-in modules for scripts with compatibility_flags: [nodejs_compat] (Cloudflare's
// flag of the same name): node:assert, node:buffer, node:crypto, node:events, node:path and
// node:util, imported as "node:x" or as a bare "x". They are ES modules embedded in the binary
// (js/, some of them npm packages wrapped at build time) and join a script's module graph like
// its own files, so only the requests of scripts that import one pay for it. Their natives
// come from a synthetic module, "wsup:node-natives", that only built-ins may import.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <v8.h>

namespace wsup::worker::node {

// What an import specifier names, for the script loader.
enum class SpecifierKind {
  other,        // not a Node module name: a relative import or an error
  unsupported,  // a Node module wsup does not offer (node:fs, "http", ...)
  builtin,      // one of the built-ins (embedded source)
  natives,      // wsup:node-natives
};

struct Resolved {
  SpecifierKind kind = SpecifierKind::other;
  std::string path;  // the built-in's canonical name ("node:buffer"), its resource name
};

// Resolves `specifier` as imported by a script's file (`from_builtin` false: "node:x" or bare
// "x"), or by a built-in (true: also wsup's internal modules).
Resolved resolve(std::string_view specifier, bool from_builtin);

// "node:assert, node:buffer, ..." for messages.
std::string offered_modules();

// The source of built-in `path` (Resolved::path of kind builtin) as an external string: no copy.
v8::MaybeLocal<v8::String> builtin_source(v8::Isolate* isolate, std::string_view path);

// The synthetic module of the natives (node_natives.cc); a new one per call (per request).
v8::Local<v8::Module> natives_module(v8::Isolate* isolate);

}  // namespace wsup::worker::node
