// JavaScript embedded at build time by cmake/WsupEmbedJs.cmake (wsup_embed_js).
#pragma once

#include <span>

namespace wsup::worker::api {

struct EmbeddedJs {
  const char* name;    // script origin, e.g. "wsup:url.js", shown in stack traces
  const char* source;  // evaluates to function (global, natives, internal)
};

// The web platform's files (worker/api/js), in installation order: later files may use what
// earlier ones put on `internal`.
std::span<const EmbeddedJs> embedded_js_sources();

// The fetch API (worker/api/{headers,body,request,response,fetch_event}.js) as one entry,
// "wsup:fetch_api.js": function (internal), the files sharing its scope.
std::span<const EmbeddedJs> fetch_api_sources();

}  // namespace wsup::worker::api
