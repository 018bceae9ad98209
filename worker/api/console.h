// console.log/info/warn/error/debug: each call becomes one line of the worker's log
// (shared/log.h) through the JsHost of the calling context, which adds script= and req= and caps
// what one request may write (JsHost::console_room).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <v8.h>

namespace wsup::worker::api {

void add_console_references(std::vector<intptr_t>& out);
bool install_console(v8::Local<v8::Context> context);

// How console prints one argument: strings as they are, errors by their stack, other objects
// as JSON where possible, everything else through ToString; at most `max_bytes` of it.
std::string format_console_argument(v8::Local<v8::Context> context, v8::Local<v8::Value> value,
                                    size_t max_bytes = SIZE_MAX);

}  // namespace wsup::worker::api
