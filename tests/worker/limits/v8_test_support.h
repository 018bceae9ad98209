// Shared set-up for the limits tests: one V8Engine for the whole test binary, isolates owned by
// RAII handles, and a helper that runs a script in a fresh context and describes its outcome.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include <v8.h>

namespace wsup::worker::limits::testing {

struct IsolateDisposer {
  void operator()(v8::Isolate* isolate) const { isolate->Dispose(); }
};
using IsolatePtr = std::unique_ptr<v8::Isolate, IsolateDisposer>;

// An isolate with `allocator` (default: V8's) and, when heap_limit_bytes > 0, a heap limit.
IsolatePtr new_isolate(size_t heap_limit_bytes = 0,
                       std::shared_ptr<v8::ArrayBuffer::Allocator> allocator = nullptr);

// Runs `source` in a fresh context of `isolate`. Returns the result as a string,
// "terminated" if execution was terminated, or "threw <constructor name>: <message>".
std::string run_js(v8::Isolate* isolate, const char* source);

// Source of a loop that allocates without bound (8 MB arrays).
inline constexpr const char* kAllocateForever =
    "let a = []; for (;;) a.push(new Array(1e6).fill(1));";

}  // namespace wsup::worker::limits::testing
