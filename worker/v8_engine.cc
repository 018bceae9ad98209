#include "worker/v8_engine.h"

#include <libplatform/libplatform.h>
#include <v8-initialization.h>

namespace wsup::worker {

V8Engine::V8Engine(const char* argv0) {
  v8::V8::InitializeICUDefaultLocation(argv0);
  v8::V8::InitializeExternalStartupData(argv0);
  // One background thread is plenty: each worker process owns a single core.
  platform_ = v8::platform::NewDefaultPlatform(1);
  v8::V8::InitializePlatform(platform_.get());
  v8::V8::Initialize();
}

V8Engine::~V8Engine() {
  v8::V8::Dispose();
  v8::V8::DisposePlatform();
}

}  // namespace wsup::worker
