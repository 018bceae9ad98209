#include "worker/limits/fatal_handlers.h"

#include <atomic>
#include <cstdlib>

#include <v8-initialization.h>
#include <v8-isolate.h>

namespace wsup::worker::limits {
namespace {

// Release/acquire: a handler that sees the new callback also sees its data. Written before
// any isolate can fail, read on the dying thread.
std::atomic<FatalCallback> g_callback{nullptr};
std::atomic<void*> g_data{nullptr};

void report(FatalKind kind, const char* location, const char* message) {
  FatalReport fatal{kind, location != nullptr ? location : "", message != nullptr ? message : ""};
  void* data = g_data.load(std::memory_order_acquire);
  if (FatalCallback callback = g_callback.load(std::memory_order_acquire)) callback(fatal, data);
}

void on_oom(const char* location, bool is_heap_oom) {
  report(is_heap_oom ? FatalKind::heap_out_of_memory : FatalKind::process_out_of_memory, location,
         is_heap_oom ? "JavaScript heap out of memory" : "process out of memory");
}

void on_fatal_error(const char* location, const char* message) {
  report(FatalKind::fatal_error, location, message);
  // V8 would return to the failed API call with a dead isolate (and, for ToLocalChecked, an
  // empty handle about to be dereferenced): end here, as V8 does without a handler.
  std::abort();
}

// Appends text to buffer[*used..size-1), always leaving room for the NUL. Inside a quoted
// value, quotes become ' and control characters spaces, so the line stays one parseable line.
void append(char* buffer, size_t size, size_t* used, const char* text, bool quoted = false) {
  for (; *text != '\0' && *used + 1 < size; ++text) {
    char c = *text;
    if (quoted && c == '"') c = '\'';
    if (quoted && static_cast<unsigned char>(c) < 0x20) c = ' ';
    buffer[(*used)++] = c;
  }
}

}  // namespace

void install_fatal_handlers(v8::Isolate* isolate, FatalCallback callback, void* data) {
  g_data.store(data, std::memory_order_release);
  g_callback.store(callback, std::memory_order_release);
  isolate->SetOOMErrorHandler(&on_oom);
  isolate->SetFatalErrorHandler(&on_fatal_error);
  // OOMs outside any isolate (e.g. the platform's worker threads).
  v8::V8::SetFatalMemoryErrorCallback(&on_oom);
}

const char* fatal_kind_name(FatalKind kind) {
  switch (kind) {
    case FatalKind::heap_out_of_memory:
      return "heap_out_of_memory";
    case FatalKind::process_out_of_memory:
      return "process_out_of_memory";
    case FatalKind::fatal_error:
      return "fatal_error";
  }
  return "unknown";
}

size_t format_fatal_report(const FatalReport& report, char* buffer, size_t size) {
  if (size == 0) return 0;
  size_t used = 0;
  append(buffer, size, &used, "kind=");
  append(buffer, size, &used, fatal_kind_name(report.kind));
  append(buffer, size, &used, " location=\"");
  append(buffer, size, &used, report.location, true);
  append(buffer, size, &used, "\" message=\"");
  append(buffer, size, &used, report.message, true);
  append(buffer, size, &used, "\"");
  buffer[used] = '\0';
  return used;
}

}  // namespace wsup::worker::limits
