// The V8 startup snapshot a Runtime's isolates are made from: the runtime's own baked context
// (startup_snapshot.h, the one its scripts' requests start from when they start fresh) and, for
// every script that allows it, a context in which the script's top level has already run (and
// its warm-up requests, when it has some). A request of such a script starts from a copy of that
// context: the same globals and module state a fresh evaluation of the top level would build,
// nothing any other request did. Building it: snapshot_builder.h.
//
// Contexts in a built blob: the plain baked context is the default one (Context::New); the
// runtime's baked context when it is not plain, then each snapshotted script's context, in
// script order, are the added ones (Context::FromSnapshot 0, 1, ...). Each carries the private
// `internal` object as its first snapshot datum; a script context carries the script's entry as
// its second (the module's exports as {default}, or undefined for a service worker, whose fetch
// listeners are registered inside the context already).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <v8.h>

#include "worker/baked_context.h"

namespace wsup::worker {

// How one script's requests get their context, as decided when the snapshot was made.
struct ScriptStart {
  bool snapshotted = false;     // from its own context, top level already evaluated
  std::string fallback_reason;  // why it is evaluated per request though it asked for a snapshot
  size_t warmed_up = 0;         // warm-up requests that ran before the snapshot was taken
  std::string warm_up_failure;  // why its warm-up requests were left out ("" if none were)
  // Its context holds a WeakMap or WeakSet: V8 10.2 crashes when a full mark-compact without
  // incremental marking runs while such a context is deserialized (see
  // script_preparation.cc, which turns incremental marking on then).
  bool weak_collections = false;
};

class ScriptSnapshot {
 public:
  // The process's startup snapshot as it is (no script has a context of its own): requests of
  // every script start from baked context `base`. `starts` says why, per script.
  ScriptSnapshot(BakedContext base, std::vector<ScriptStart> starts);
  // A blob made by build_script_snapshot, holding `base` and the contexts of the scripts whose
  // start says `snapshotted`.
  ScriptSnapshot(std::string blob, BakedContext base, std::vector<ScriptStart> starts);
  ScriptSnapshot(const ScriptSnapshot&) = delete;
  ScriptSnapshot& operator=(const ScriptSnapshot&) = delete;

  // For Isolate::CreateParams (V8 does not write through them).
  v8::StartupData* blob() const { return const_cast<v8::StartupData*>(&data_); }
  size_t blob_size() const { return static_cast<size_t>(data_.raw_size); }
  const intptr_t* external_references() const;
  bool built() const { return !blob_.empty(); }            // false: the process's startup snapshot
  const std::string& blob_bytes() const { return blob_; }  // empty unless built()

  BakedContext base() const { return base_; }
  size_t script_count() const { return starts_.size(); }
  const ScriptStart& start(size_t script) const { return starts_.at(script); }
  bool snapshotted(size_t script) const { return starts_.at(script).snapshotted; }

  // Which context a request of `script` starts from: scripts with equal keys start from the
  // same one (0: the base context), so a spare context made for one serves the other.
  size_t context_key(size_t script) const;
  // A fresh context for a request of `script`, with its own microtask queue. Empty, with the
  // isolate terminating, when the heap guard stops it.
  v8::MaybeLocal<v8::Context> new_context(v8::Isolate* isolate, size_t script,
                                          v8::MicrotaskQueue* microtasks) const;
  // The context's private `internal` object and, for a snapshotted script, its entry: each
  // readable once per context (Context::GetDataFromSnapshotOnce).
  v8::MaybeLocal<v8::Object> take_internal(v8::Local<v8::Context> context) const;
  v8::MaybeLocal<v8::Value> take_entry(v8::Local<v8::Context> context, size_t script) const;

  // Snapshot data indexes of every context in a built blob.
  static constexpr size_t kInternalDatum = 0;
  static constexpr size_t kEntryDatum = 1;

 private:
  std::string blob_;  // empty: the process's StartupSnapshot
  v8::StartupData data_{nullptr, 0};
  BakedContext base_;
  std::vector<ScriptStart> starts_;
  std::vector<size_t> from_snapshot_;  // per script: FromSnapshot index + 1 (0: the base)
};

}  // namespace wsup::worker
