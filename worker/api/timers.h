// setTimeout, setInterval, clearTimeout, clearInterval and queueMicrotask. The timers act on
// the JsHost of the calling context (js_host.h), which runs them on the worker's
// Boost.Asio loop; queueMicrotask uses the context's own MicrotaskQueue.
#pragma once

#include <cstdint>
#include <vector>

#include <v8.h>

namespace wsup::worker::api {

void add_timers_references(std::vector<intptr_t>& out);
bool install_timers(v8::Local<v8::Context> context);

}  // namespace wsup::worker::api
