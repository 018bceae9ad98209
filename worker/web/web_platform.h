// Web platform globals that need no event loop and no per-request state:
// URL, URLSearchParams, URLPattern, TextEncoder, TextDecoder, atob, btoa, structuredClone,
// crypto (randomUUID, getRandomValues, subtle: WebCrypto), CryptoKey, Event, EventTarget,
// CustomEvent, ErrorEvent, MessageEvent, PromiseRejectionEvent, reportError, AbortController,
// AbortSignal, MessageChannel, MessagePort, performance, navigator, scheduler, self, the WHATWG
// Streams (ReadableStream, WritableStream, TransformStream, ...), TextEncoderStream,
// TextDecoderStream, CompressionStream, DecompressionStream, IdentityTransformStream,
// FixedLengthStream, Blob, File and FormData.
// (MessagePort and scheduler deliver through the runtime's timers, installed first.)
//
// The runtime (worker/) owns the rest: Headers, Request, Response, the fetch event, timers,
// console and queueMicrotask. It calls install_web_platform() once into every fresh context, or
// once into the context it bakes into a startup snapshot.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <v8.h>

namespace wsup::worker::web {

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

// The private object the web platform's files share (js/webidl.js), for the runtime's own
// JavaScript (worker/api/): the families' `internals` (internal.reportException,
// internal.streams, internal.blobs, ...) are lazy properties of it, so reading one builds that
// family. An empty object when `context` has no web platform.
v8::Local<v8::Object> web_platform_internal(v8::Local<v8::Context> context);

// navigator.userAgent in every context from now on (default "Cloudflare-Workers", the string
// Workers libraries detect Cloudflare by). Set before isolates run JavaScript: it is read
// without a lock.
void set_user_agent(std::string user_agent);
const std::string& user_agent();

// Whether lazy family `index` is one of those built only on first use: the large ones and those
// few requests use. Compiled then (not at install, so contexts carry nothing of them but their
// lazy properties), and never built into a snapshot context either (every request of that
// context would pay for it).
bool lazy_family_built_on_first_use_only(size_t index);

// The lazy families, each as the globals it defines (its index is its number below). A script
// whose text names none of a family's globals is unlikely to use it (it still may, by a
// computed name: the family then runs lazily as usual).
std::vector<std::vector<std::string_view>> lazy_family_globals();

// Runs the lazy families numbered `families` in `context` (made by install_web_platform) now,
// and takes their common paths a few times (js/bake.js): for a context a startup snapshot is
// about to be made of, so that contexts made from it carry these families ready instead of
// building them on first use (~40-135 µs each). Returns false with an exception pending.
bool bake_lazy_families(v8::Local<v8::Context> context, const std::vector<size_t>& families);

}  // namespace wsup::worker::web
