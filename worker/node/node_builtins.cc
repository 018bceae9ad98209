#include "worker/node/node_builtins.h"

#include <algorithm>

#include "worker/embedded_js.h"
#include "worker/embedded_source.h"

namespace wsup::worker::node {
namespace {

struct Builtin {
  std::string_view path;  // how it is imported, and its resource name
  std::string_view file;  // its entry in node_module_sources()
  bool internal;          // only built-ins may import it
};

constexpr Builtin kBuiltins[] = {
    {"node:assert", "wsup:assert.js", false},
    {"node:buffer", "wsup:buffer.js", false},
    {"node:crypto", "wsup:crypto.js", false},
    {"node:events", "wsup:events.js", false},
    {"node:path", "wsup:path.js", false},
    {"node:util", "wsup:util.js", false},
    {"wsup:node-deep-equal", "wsup:deep_equal.js", true},
    {"wsup:node-inspect", "wsup:util_inspect.js", true},
};
constexpr std::string_view kNatives = "wsup:node-natives";

// Node's own module names: a bare import of one of these, or "node:" + one, is a Node module
// (offered by wsup or not), never a package of the script.
constexpr std::string_view kNodeModules[] = {
    "assert",
    "async_hooks",
    "buffer",
    "child_process",
    "cluster",
    "console",
    "constants",
    "crypto",
    "dgram",
    "diagnostics_channel",
    "dns",
    "domain",
    "events",
    "fs",
    "http",
    "http2",
    "https",
    "inspector",
    "module",
    "net",
    "os",
    "path",
    "perf_hooks",
    "process",
    "punycode",
    "querystring",
    "readline",
    "repl",
    "stream",
    "string_decoder",
    "sys",
    "timers",
    "tls",
    "trace_events",
    "tty",
    "url",
    "util",
    "v8",
    "vm",
    "wasi",
    "worker_threads",
    "zlib",
};

bool is_node_module_name(std::string_view name) {
  const std::string_view base = name.substr(0, name.find('/'));  // "fs/promises" -> "fs"
  return std::find(std::begin(kNodeModules), std::end(kNodeModules), base) !=
         std::end(kNodeModules);
}

}  // namespace

Resolved resolve(std::string_view specifier, bool from_builtin) {
  if (from_builtin && specifier == kNatives) return {SpecifierKind::natives, std::string(kNatives)};
  for (const Builtin& builtin : kBuiltins) {
    if (builtin.internal) {
      if (from_builtin && specifier == builtin.path)
        return {SpecifierKind::builtin, std::string(builtin.path)};
      continue;
    }
    // "node:buffer", or "buffer" as Cloudflare also resolves it.
    if (specifier == builtin.path || "node:" + std::string(specifier) == builtin.path)
      return {SpecifierKind::builtin, std::string(builtin.path)};
  }
  const std::string_view name = specifier.starts_with("node:") ? specifier.substr(5) : specifier;
  if (specifier.starts_with("node:") || is_node_module_name(name))
    return {SpecifierKind::unsupported, "node:" + std::string(name)};
  return {};
}

std::string offered_modules() {
  std::string list;
  for (const Builtin& builtin : kBuiltins) {
    if (builtin.internal) continue;
    if (!list.empty()) list += ", ";
    list += builtin.path;
  }
  return list;
}

v8::MaybeLocal<v8::String> builtin_source(v8::Isolate* isolate, std::string_view path) {
  for (const Builtin& builtin : kBuiltins) {
    if (builtin.path != path) continue;
    for (const EmbeddedJs& file : node_module_sources()) {
      if (file.name == builtin.file) return embedded_source(isolate, file);
    }
  }
  return {};
}

}  // namespace wsup::worker::node
