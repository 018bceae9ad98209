// JavaScript embedded at build time by cmake/WsupEmbedJs.cmake (wsup_embed_js): the one way
// wsup ships JavaScript inside its binaries, used by the web platform (worker/web/), the
// runtime's own APIs (worker/api/) and Node's built-in modules (worker/node/).
#pragma once

#include <span>

namespace wsup::worker {

struct EmbeddedJs {
  const char* name;    // script origin, e.g. "wsup:url.js", shown in stack traces
  const char* source;  // web platform: evaluates to function (global, natives, internal)
};

// The web platform's files (worker/web/js); its families (web_platform.cc) say which run
// together and in what order: later files may use what earlier ones put on `internal`.
std::span<const EmbeddedJs> web_platform_sources();

// The fetch API (worker/api/{headers,body,request,response,fetch_event}.js) as one entry,
// "wsup:fetch_api.js": function (internal), the files sharing its scope.
std::span<const EmbeddedJs> fetch_api_sources();

// Node's built-in modules (worker/node/js, some generated from npm packages), ES modules, each
// "wsup:<file>"; worker/node/node_builtins.cc maps "node:x" to them.
std::span<const EmbeddedJs> node_module_sources();
// worker/global_scope.js, "wsup:global_scope.js": what the snapshot builder installs into a
// script's context while its top level runs (worker/global_scope.h).
std::span<const EmbeddedJs> global_scope_sources();

}  // namespace wsup::worker
