// The Web APIs that need no event loop and no per-request state (Headers, Request, Response,
// URL, URLSearchParams, TextEncoder/TextDecoder, atob/btoa, structuredClone, crypto,
// AbortController/AbortSignal, Event/EventTarget, performance, navigator).
//
// Contract with the runtime (worker/): the runtime creates each context (possibly from a
// startup snapshot), calls install() once into it, and uses make_request()/read_response() to
// cross between C++ HTTP values and JS objects. Timers, console, queueMicrotask and the fetch
// event (addEventListener / FetchEvent / export default { fetch }) belong to the runtime.
#pragma once

#include <cstdint>
#include <string>

#include <v8.h>

#include "shared/http_message.h"

namespace wsup::worker::api {

// Every native callback address the API installs, null-terminated, for
// Isolate::CreateParams::external_references and SnapshotCreator (a snapshot that holds API
// objects can only be deserialized when these are registered).
const intptr_t* external_references();

// Installs the globals into a fresh context. Must work both at snapshot-creation time and on
// a plain Context::New. Returns false (with a pending exception) on failure.
bool install(v8::Local<v8::Context> context);

// Builds a JS `Request` for the incoming request (body readable once, as in Workers).
v8::MaybeLocal<v8::Object> make_request(v8::Local<v8::Context> context, const HttpRequest& request);

// Starts reading what a handler produced. Resolves when the body is fully read; rejects with a
// TypeError naming what was produced when `value` is not a Response.
v8::MaybeLocal<v8::Promise> read_response(v8::Local<v8::Context> context,
                                          v8::Local<v8::Value> value);

// Converts the settled value of read_response()'s promise into an HttpResponse.
// Returns false and sets `error` when it cannot (a bug, not a user error).
bool to_http_response(v8::Local<v8::Context> context, v8::Local<v8::Value> settled,
                      HttpResponse& out, std::string& error);

}  // namespace wsup::worker::api
