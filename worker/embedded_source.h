// An embedded JavaScript file's text (embedded_js.h) as a V8 external string: compiling it
// neither copies nor allocates the text, and V8's per-isolate compilation cache (keyed on source
// and origin) turns every compile of it after the first in an isolate into a lookup. Used by
// the web platform's families and by Node's built-in modules.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string_view>

#include <v8.h>

#include "worker/embedded_js.h"

namespace wsup::worker {

inline v8::MaybeLocal<v8::String> embedded_source(v8::Isolate* isolate, const EmbeddedJs& file) {
  class StaticSource final : public v8::String::ExternalOneByteStringResource {
   public:
    explicit StaticSource(std::string_view text) : text_(text) {}
    const char* data() const override { return text_.data(); }
    size_t length() const override { return text_.size(); }
    void Dispose() override {}  // static storage: nothing to free

   private:
    std::string_view text_;
  };
  // One resource per file for the whole process, never destroyed: an isolate disposed during
  // static destruction may still hold the strings. Locked: the loop thread and the snapshot
  // maker may compile at once.
  static auto* const resources = new std::map<const char*, std::unique_ptr<StaticSource>>();
  static std::mutex mutex;
  StaticSource* resource;
  {
    std::lock_guard lock(mutex);
    std::unique_ptr<StaticSource>& slot = (*resources)[file.source];
    if (!slot) slot = std::make_unique<StaticSource>(file.source);
    resource = slot.get();
  }
  return v8::String::NewExternalOneByte(isolate, resource);
}

}  // namespace wsup::worker
