// The runtime's custom V8 startup snapshot: contexts with every wsup global already installed
// (the web platform APIs, Headers/Request/Response/fetch event, timers, console), so a request's
// fresh context costs one deserialization instead of running the API set-up code. One context
// per BakedContext: the same globals, with more or fewer of the lazy families already built.
//
// Built once per process, the first time it is asked for, on the calling thread (the worker
// thread, after V8Engine). Every isolate of the pool starts from it; Context::New then yields
// the baked context.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <v8.h>

#include "worker/baked_context.h"

namespace wsup::worker {

class StartupSnapshot {
 public:
  // Builds on first use; throws StartupError if the API set-up code fails.
  static const StartupSnapshot& instance();

  // For Isolate::CreateParams::snapshot_blob (V8 does not write through it).
  v8::StartupData* blob() const { return const_cast<v8::StartupData*>(&blob_); }
  // Null-terminated, for CreateParams::external_references.
  const intptr_t* external_references() const { return references_.data(); }
  // A fresh context from the baked context `kind`, with its own microtask queue. Empty with the
  // isolate terminating when the heap guard stops it.
  v8::MaybeLocal<v8::Context> new_context(v8::Isolate* isolate, BakedContext kind,
                                          v8::MicrotaskQueue* microtasks) const;
  // Context::GetDataFromSnapshotOnce index of the private `internal` object in a context made
  // from `kind`.
  size_t internal_index(BakedContext kind) const {
    return internal_index_[static_cast<size_t>(kind)];
  }

  // Every native callback the baked context can call, null-terminated.
  static std::vector<intptr_t> collect_external_references();

  StartupSnapshot(const StartupSnapshot&) = delete;
  StartupSnapshot& operator=(const StartupSnapshot&) = delete;
  ~StartupSnapshot();

 private:
  StartupSnapshot();
  std::vector<intptr_t> references_;
  v8::StartupData blob_{nullptr, 0};
  std::array<size_t, std::size(kBakedContexts)> internal_index_{};
};

// Installs every wsup global into `context` (what the snapshot bakes in); returns the private
// `internal` object. Throws StartupError on failure. Used to build the snapshot and by the
// benchmark that measures installing globals without one.
v8::Local<v8::Object> install_wsup_globals(v8::Local<v8::Context> context);

}  // namespace wsup::worker
