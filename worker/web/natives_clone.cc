// structuredClone through V8's own serializer (the HTML structured serialize algorithm as V8
// implements it for postMessage).
#include <cstdlib>
#include <memory>

#include "worker/web/natives.h"

namespace wsup::worker::web {
namespace {

// Turns V8's clone errors into DOMException("...", "DataCloneError") using the constructor
// that clone.js passes in, so no per-context state is needed on the C++ side.
class DataCloneErrorDelegate final : public v8::ValueSerializer::Delegate {
 public:
  DataCloneErrorDelegate(v8::Isolate* isolate, v8::Local<v8::Function> dom_exception)
      : isolate_(isolate), dom_exception_(dom_exception) {}

  void ThrowDataCloneError(v8::Local<v8::String> message) override {
    v8::Local<v8::Context> context = isolate_->GetCurrentContext();
    v8::Local<v8::Value> args[] = {message, one_byte_string(isolate_, "DataCloneError")};
    v8::Local<v8::Object> error;
    if (dom_exception_->NewInstance(context, 2, args).ToLocal(&error)) {
      isolate_->ThrowException(error);
    }
  }

 private:
  v8::Isolate* isolate_;
  v8::Local<v8::Function> dom_exception_;
};

struct FreeDeleter {
  void operator()(uint8_t* data) const { std::free(data); }
};

// structuredClone(value, DOMException) -> a deep copy (cycles, Map, Set, Date, RegExp,
// ArrayBuffer and views, Error, boxed primitives); functions and symbols throw DataCloneError.
void StructuredClone(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  DataCloneErrorDelegate delegate(isolate, info[1].As<v8::Function>());
  v8::ValueSerializer serializer(isolate, &delegate);
  serializer.WriteHeader();
  if (serializer.WriteValue(context, info[0]).IsNothing()) return;  // exception pending
  // Release() hands over a buffer from the delegate's default realloc-based allocator.
  auto [data, size] = serializer.Release();
  std::unique_ptr<uint8_t, FreeDeleter> owned(data);
  v8::ValueDeserializer deserializer(isolate, owned.get(), size);
  if (deserializer.ReadHeader(context).IsNothing()) return;
  v8::Local<v8::Value> copy;
  if (deserializer.ReadValue(context).ToLocal(&copy)) info.GetReturnValue().Set(copy);
}

constexpr NativeFunction kCloneNatives[] = {
    {"structuredClone", StructuredClone, 2},
};

}  // namespace

std::span<const NativeFunction> clone_natives() {
  return kCloneNatives;
}

}  // namespace wsup::worker::web
