// Web platform globals that need no event loop and no per-request state:
// URL, URLSearchParams, TextEncoder, TextDecoder, atob, btoa, structuredClone,
// crypto (randomUUID, getRandomValues, subtle.digest), Event, EventTarget, AbortController,
// AbortSignal, performance.now, navigator.userAgent.
//
// The runtime (worker/) owns the rest: Headers, Request, Response, the fetch event, timers,
// console and queueMicrotask. It calls install_web_platform() once into every fresh context, or
// once into the context it bakes into a startup snapshot.
#pragma once

#include <cstdint>
#include <vector>

#include <v8.h>

namespace wsup::worker::api {

// Every native callback address these APIs install (not null-terminated; the runtime joins
// the lists of all API families and adds the terminator), for
// Isolate::CreateParams::external_references and v8::SnapshotCreator.
const std::vector<intptr_t>& web_platform_external_references();

// The context embedder data slot holding the web platform's per-context state (the lazy
// families' private objects); the runtime's JsHost uses slot 1.
inline constexpr int kWebPlatformSlot = 0;

// Installs the globals into `context`: DOMException, Event and EventTarget at once, the others
// as lazy global properties whose first access in a context runs their JavaScript there. Works both
// under v8::SnapshotCreator and on a plain Context::New. Returns false with an exception pending on
// the isolate on failure.
bool install_web_platform(v8::Local<v8::Context> context);

}  // namespace wsup::worker::api
