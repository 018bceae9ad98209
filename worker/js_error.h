// Turns a JavaScript exception into the words the log and the --check output show:
// "TypeError: x is not a function", where it was thrown ("hello.js:3:7") and its stack.
#pragma once

#include <string>

#include <v8.h>

namespace wsup::worker {

struct JsError {
  std::string message;   // "Uncaught TypeError: ..." as V8 phrases it
  std::string location;  // "script-path:line:column" (1-based), or "" when unknown
  std::string stack;     // the error's stack property, or "" when it has none
};

// `message` may be empty (a rejected promise has none); the location is then taken from the
// stack the exception captured when it was created.
JsError describe_js_error(v8::Local<v8::Context> context, v8::Local<v8::Value> exception,
                          v8::Local<v8::Message> message = {});

// "path:line:column: message", the form compilers print.
std::string compiler_style(const JsError& error);

}  // namespace wsup::worker
