// Headers, Request, Response, fetch() and the fetch event (Cloudflare Workers' shapes, WHATWG
// Fetch semantics). Written in JavaScript (headers.js, body.js, request.js, response.js,
// response_body.js, fetch.js, fetch_event.js, embedded at build time) over a few natives (UTF-8
// encode/decode/length, the response body pump's bodyChunk/bodyEnd/bodyError, and fetch()'s
// fetchStart/Resume/Abort/Write/EndBody, which reach the request through its JsHost), and
// baked into the runtime's startup snapshot. Bodies use
// the web platform's streams, Blob and FormData families (worker/web/), reached through its
// private object.
#pragma once

#include <cstdint>
#include <vector>

#include <v8.h>

namespace wsup::worker::api {

// Native callback addresses of the fetch API (appended to `out`).
void add_fetch_api_references(std::vector<intptr_t>& out);

// Installs the globals into `context` (after the web platform) and returns the private
// `internal` object holding dispatchFetch(namespace, method, url, flatHeaders, body, env),
// serializeResponse(value), lastSerializeError, toBodyBytes(chunk) and
// pumpResponseBody(stream) (README.md).
// Empty with an exception pending on failure.
v8::MaybeLocal<v8::Object> install_fetch_api(v8::Local<v8::Context> context);

}  // namespace wsup::worker::api
