// The runtime's custom V8 startup snapshot: a context with every wsup global already installed
// (the web platform APIs, Headers/Request/Response/fetch event, timers, console), so a request's
// fresh context costs one deserialization instead of running the API set-up code.
//
// Built once per process, the first time it is asked for, on the calling thread (the worker
// thread, after V8Engine). Every isolate of the pool starts from it; Context::New then yields
// the baked context.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include <v8.h>

namespace wsup::worker {

class StartupSnapshot {
 public:
  // Builds on first use; throws StartupError if the API set-up code fails.
  static const StartupSnapshot& instance();

  // For Isolate::CreateParams::snapshot_blob (V8 does not write through it).
  v8::StartupData* blob() const { return const_cast<v8::StartupData*>(&blob_); }
  size_t blob_size() const { return static_cast<size_t>(blob_.raw_size); }
  // Null-terminated, for CreateParams::external_references.
  const intptr_t* external_references() const { return references_.data(); }
  // Context::GetDataFromSnapshotOnce index of the private `internal` object.
  size_t internal_index() const { return internal_index_; }

  // Every native callback the baked context can call, null-terminated.
  static std::vector<intptr_t> collect_external_references();

  StartupSnapshot(const StartupSnapshot&) = delete;
  StartupSnapshot& operator=(const StartupSnapshot&) = delete;
  ~StartupSnapshot();

 private:
  StartupSnapshot();
  std::vector<intptr_t> references_;
  v8::StartupData blob_{nullptr, 0};
  size_t internal_index_ = 0;
};

// Installs every wsup global into `context` (what the snapshot bakes in); returns the private
// `internal` object. Throws StartupError on failure. Used to build the snapshot and by the
// benchmark that measures installing globals without one.
v8::Local<v8::Object> install_wsup_globals(v8::Local<v8::Context> context);

}  // namespace wsup::worker
