#include "worker/script_snapshot.h"

#include "worker/startup_snapshot.h"

namespace wsup::worker {

ScriptSnapshot::ScriptSnapshot(BakedContext base, std::vector<ScriptStart> starts)
    : data_(*StartupSnapshot::instance().blob()),
      base_(base),
      starts_(std::move(starts)),
      from_snapshot_(starts_.size(), 0) {
  for (ScriptStart& start : starts_) start.snapshotted = false;
}

ScriptSnapshot::ScriptSnapshot(std::string blob, BakedContext base, std::vector<ScriptStart> starts)
    : blob_(std::move(blob)), base_(base), starts_(std::move(starts)) {
  data_ = v8::StartupData{blob_.data(), static_cast<int>(blob_.size())};
  // The order snapshot_builder.cc adds contexts in (see the header).
  size_t next = base_ == BakedContext::plain ? 0 : 1;
  for (const ScriptStart& start : starts_) {
    from_snapshot_.push_back(start.snapshotted ? next + 1 : 0);
    if (start.snapshotted) ++next;
  }
}

const intptr_t* ScriptSnapshot::external_references() const {
  return StartupSnapshot::instance().external_references();
}

size_t ScriptSnapshot::context_key(size_t script) const {
  return from_snapshot_.at(script);
}

v8::MaybeLocal<v8::Context> ScriptSnapshot::new_context(v8::Isolate* isolate, size_t script,
                                                        v8::MicrotaskQueue* microtasks) const {
  const size_t key = from_snapshot_.at(script);
  if (key != 0) {
    return v8::Context::FromSnapshot(isolate, key - 1, {}, nullptr, {}, microtasks);
  }
  if (!built()) return StartupSnapshot::instance().new_context(isolate, base_, microtasks);
  if (base_ == BakedContext::plain) {
    return v8::Context::New(isolate, nullptr, {}, {}, {}, microtasks);
  }
  return v8::Context::FromSnapshot(isolate, 0, {}, nullptr, {}, microtasks);
}

v8::MaybeLocal<v8::Object> ScriptSnapshot::take_internal(v8::Local<v8::Context> context) const {
  const size_t index = built() ? kInternalDatum : StartupSnapshot::instance().internal_index(base_);
  return context->GetDataFromSnapshotOnce<v8::Object>(index);
}

v8::MaybeLocal<v8::Value> ScriptSnapshot::take_entry(v8::Local<v8::Context> context,
                                                     size_t script) const {
  if (!snapshotted(script)) return v8::Undefined(context->GetIsolate());
  return context->GetDataFromSnapshotOnce<v8::Value>(kEntryDatum);
}

}  // namespace wsup::worker
