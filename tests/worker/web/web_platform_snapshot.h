// Builds a startup snapshot whose default context has the web platform installed, the way the
// runtime bakes its own; shared by the snapshot test and the benchmark.
#pragma once

#include <cstdint>
#include <vector>

#include <v8.h>

#include "worker/web/web_platform.h"

namespace wsup::test {

// Owns a blob made by SnapshotCreator (which allocates it with new[]).
struct StartupBlob {
  v8::StartupData data{nullptr, 0};
  StartupBlob() = default;
  StartupBlob(const StartupBlob&) = delete;
  StartupBlob& operator=(const StartupBlob&) = delete;
  ~StartupBlob() { delete[] data.data; }
};

// The web platform's external references, null-terminated as V8 wants them.
inline std::vector<intptr_t> WebPlatformReferences() {
  std::vector<intptr_t> references = worker::web::web_platform_external_references();
  references.push_back(0);
  return references;
}

// Fills `blob`; returns false if install_web_platform failed under the SnapshotCreator.
// kKeep is what the runtime uses (bytecode compiled during install stays in the blob).
inline bool MakeWebPlatformSnapshot(const std::vector<intptr_t>& references, StartupBlob& blob,
                                    v8::SnapshotCreator::FunctionCodeHandling code_handling =
                                        v8::SnapshotCreator::FunctionCodeHandling::kKeep) {
  v8::SnapshotCreator creator(references.data());
  v8::Isolate* isolate = creator.GetIsolate();
  {
    v8::Isolate::Scope isolate_scope(isolate);
    v8::HandleScope scope(isolate);
    v8::Local<v8::Context> context = v8::Context::New(isolate);
    v8::TryCatch try_catch(isolate);
    if (!worker::web::install_web_platform(context)) return false;
    creator.SetDefaultContext(context);
  }
  blob.data = creator.CreateBlob(code_handling);
  return blob.data.data != nullptr;
}

}  // namespace wsup::test
