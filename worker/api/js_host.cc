#include "worker/api/js_host.h"

namespace wsup::worker {

JsHost* JsHost::of(v8::Local<v8::Context> context) {
  if (context.IsEmpty() ||
      context->GetNumberOfEmbedderDataFields() <= static_cast<uint32_t>(kJsHostSlot)) {
    return nullptr;
  }
  return static_cast<JsHost*>(context->GetAlignedPointerFromEmbedderData(kJsHostSlot));
}

void JsHost::attach(v8::Local<v8::Context> context, JsHost* host) {
  context->SetAlignedPointerInEmbedderData(kJsHostSlot, host);
}

}  // namespace wsup::worker
