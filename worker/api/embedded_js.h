// The JS sources of the web platform, embedded at build time by embed_js.cmake.
#pragma once

#include <span>

namespace wsup::worker::api {

struct EmbeddedJs {
  const char* name;    // script origin, e.g. "wsup:url.js", shown in stack traces
  const char* source;  // evaluates to function (global, natives, internal)
};

// In installation order: later files may use what earlier ones put on `internal`.
std::span<const EmbeddedJs> embedded_js_sources();

}  // namespace wsup::worker::api
