// Fatal handlers: V8 aborts the process on an out-of-memory it cannot recover from (one huge
// allocation, a heap that stays full past HeapLimitGuard's headroom) and on fatal API errors.
// These handlers pass the reason to a callback first, so the worker can record it (in its
// shared-memory segment) for the supervisor to report.
//
// The callback runs in a process that is about to die, possibly out of memory: it must not
// allocate, take locks, or throw. It gets plain C strings from V8 and may copy them into
// preallocated memory and write(2) them. When it returns, the process aborts (V8 does so for
// OOMs; for fatal API errors the handler calls std::abort, since V8 would carry on with an
// unusable isolate).
#pragma once

#include <cstddef>

namespace v8 {
class Isolate;
}

namespace wsup::worker::limits {

enum class FatalKind {
  heap_out_of_memory,     // the JavaScript heap could not grow
  process_out_of_memory,  // V8 could not get memory from the system (or another fatal OOM)
  fatal_error,            // a V8 API or internal check failed
};

struct FatalReport {
  FatalKind kind;
  const char* location;  // V8's location string, e.g. "Ineffective mark-compacts near heap limit"
  const char* message;   // detail; never null (may be empty)
};

using FatalCallback = void (*)(const FatalReport& report, void* data);

// Sets the process-wide callback (V8's handlers take no user data: the last call wins) and
// installs V8's OOM and fatal-error handlers on `isolate` and process-wide. Call for every
// isolate, right after Isolate::New. Any thread that owns the isolate.
void install_fatal_handlers(v8::Isolate* isolate, FatalCallback callback, void* data);

const char* fatal_kind_name(FatalKind kind);

// Writes "kind=<name> location=\"...\" message=\"...\"" into `buffer` (NUL-terminated,
// truncated to fit) without allocating. Returns the length written, excluding the NUL.
size_t format_fatal_report(const FatalReport& report, char* buffer, size_t size);

}  // namespace wsup::worker::limits
