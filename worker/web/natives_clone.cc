// structuredClone through V8's own serializer (the HTML structured serialize algorithm as V8
// implements it for postMessage), with the transfer of ArrayBuffers and MessagePorts, the
// cloning of CryptoKeys, and the host objects MessagePort and CryptoKey are made of.
#include <cstdlib>
#include <memory>
#include <vector>

#include "worker/web/natives.h"
#include "worker/web/runtime_hooks.h"

namespace wsup::worker::web {
namespace {

// What a host object is: its embedder field holds the kind (hostObjectClass's argument), so
// the serializer knows one from the other without calling into JavaScript.
enum class HostKind : int32_t { port = 0, crypto_key = 1 };

HostKind host_kind(v8::Local<v8::Object> object) {
  if (object->InternalFieldCount() < 1) return HostKind::port;
  v8::Local<v8::Value> kind = object->GetInternalField(0);
  return kind->IsInt32() &&
                 kind.As<v8::Int32>()->Value() == static_cast<int32_t>(HostKind::crypto_key)
             ? HostKind::crypto_key
             : HostKind::port;
}

v8::Local<v8::Object> new_data_clone_error(v8::Isolate* isolate,
                                           v8::Local<v8::Function> dom_exception,
                                           v8::Local<v8::String> message) {
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::Value> args[] = {message, one_byte_string(isolate, "DataCloneError")};
  v8::Local<v8::Object> error;
  if (!dom_exception->NewInstance(context, 2, args).ToLocal(&error)) return {};
  return error;
}

// Turns V8's clone errors into DOMException("...", "DataCloneError") using the constructor
// that globals.js passes in, so no per-context state is needed on the C++ side. Host objects
// are written as their kind and an index: a MessagePort's in the transfer list's ports (a port
// not in it cannot be cloned), a CryptoKey's in the keys met so far (WebCrypto's serialization
// steps: the copy shares the key's native material, its handle, and has the same type,
// extractable, algorithm and usages; the copies are made once serialization is done).
class CloneSerializerDelegate final : public v8::ValueSerializer::Delegate {
 public:
  CloneSerializerDelegate(v8::Isolate* isolate, v8::Local<v8::Function> dom_exception,
                          const std::vector<v8::Local<v8::Object>>& ports)
      : isolate_(isolate),
        dom_exception_(dom_exception),
        ports_(ports),
        keys_(v8::Array::New(isolate)) {}

  void set_serializer(v8::ValueSerializer* serializer) { serializer_ = serializer; }
  // The CryptoKeys met, in the order of their indexes.
  v8::Local<v8::Array> keys() const { return keys_; }

  void ThrowDataCloneError(v8::Local<v8::String> message) override {
    v8::Local<v8::Object> error = new_data_clone_error(isolate_, dom_exception_, message);
    if (!error.IsEmpty()) isolate_->ThrowException(error);
  }

  v8::Maybe<bool> WriteHostObject(v8::Isolate* isolate, v8::Local<v8::Object> object) override {
    if (host_kind(object) == HostKind::crypto_key) {
      // V8 writes an object met again as a reference to the first: each key comes here once.
      // `object` may live in a handle scope of the serializer's that closes before the copies
      // are made: the key is kept in an array of the caller's scope instead.
      const uint32_t index = keys_->Length();
      if (keys_->CreateDataProperty(isolate->GetCurrentContext(), index, object).IsNothing()) {
        return v8::Nothing<bool>();
      }
      serializer_->WriteUint32(static_cast<uint32_t>(HostKind::crypto_key));
      serializer_->WriteUint32(index);
      return v8::Just(true);
    }
    serializer_->WriteUint32(static_cast<uint32_t>(HostKind::port));
    for (size_t i = 0; i < ports_.size(); ++i) {
      if (ports_[i] != object) continue;
      serializer_->WriteUint32(static_cast<uint32_t>(i));
      return v8::Just(true);
    }
    ThrowDataCloneError(one_byte_string(
        isolate, "A MessagePort could not be cloned: it is not in the transfer list."));
    return v8::Nothing<bool>();
  }

 private:
  v8::Isolate* isolate_;
  v8::Local<v8::Function> dom_exception_;
  const std::vector<v8::Local<v8::Object>>& ports_;
  v8::Local<v8::Array> keys_;
  v8::ValueSerializer* serializer_ = nullptr;
};

// Gives back, for each port index written above, the port shipped in its place, and for each
// key index the key's copy.
class CloneDeserializerDelegate final : public v8::ValueDeserializer::Delegate {
 public:
  CloneDeserializerDelegate(v8::Local<v8::Array> shipped, v8::Local<v8::Array> key_copies)
      : shipped_(shipped), key_copies_(key_copies) {}
  void set_deserializer(v8::ValueDeserializer* deserializer) { deserializer_ = deserializer; }

  v8::MaybeLocal<v8::Object> ReadHostObject(v8::Isolate* isolate) override {
    v8::Local<v8::Context> context = isolate->GetCurrentContext();
    uint32_t kind = 0;
    uint32_t index = 0;
    if (!deserializer_->ReadUint32(&kind) || !deserializer_->ReadUint32(&index)) {
      throw_type_error(isolate, "structuredClone: a host object's record is truncated");
      return {};
    }
    const bool is_key = kind == static_cast<uint32_t>(HostKind::crypto_key);
    v8::Local<v8::Array> list = is_key ? key_copies_ : shipped_;
    v8::Local<v8::Value> object;
    if (list.IsEmpty() || index >= list->Length() || !list->Get(context, index).ToLocal(&object) ||
        !object->IsObject()) {
      throw_type_error(isolate, is_key ? "structuredClone: a CryptoKey's copy is missing"
                                       : "structuredClone: a transferred port is missing");
      return {};
    }
    return object.As<v8::Object>();
  }

 private:
  v8::Local<v8::Array> shipped_;
  v8::Local<v8::Array> key_copies_;
  v8::ValueDeserializer* deserializer_ = nullptr;
};

// Calls `function` (from JS: shipPorts, copyKeys) with `list`; returns the array it answers, or
// empty with an exception pending.
v8::MaybeLocal<v8::Array> call_with_list(v8::Isolate* isolate, v8::Local<v8::Value> function,
                                         v8::Local<v8::Array> list, const char* missing) {
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  if (!function->IsFunction()) {
    throw_type_error(isolate, missing);
    return {};
  }
  v8::Local<v8::Value> argv[] = {list};
  v8::Local<v8::Value> result;
  if (!function.As<v8::Function>()
           ->Call(context, v8::Undefined(isolate), 1, argv)
           .ToLocal(&result)) {
    return {};
  }
  if (!result->IsArray()) {
    throw_type_error(isolate, missing);
    return {};
  }
  return result.As<v8::Array>();
}

struct FreeDeleter {
  void operator()(uint8_t* data) const { std::free(data); }
};

bool throw_clone_error(v8::Isolate* isolate, v8::Local<v8::Function> dom_exception,
                       const char* message) {
  v8::Local<v8::Object> error =
      new_data_clone_error(isolate, dom_exception, one_byte_string(isolate, message));
  if (!error.IsEmpty()) isolate->ThrowException(error);
  return false;
}

// Reads the transfer list's ArrayBuffers (info[2]) and ports (info[3]), checking what HTML's
// StructuredSerializeWithTransfer checks before anything is serialized: no duplicates, no
// detached or undetachable buffers, no SharedArrayBuffer.
bool read_transfer_list(const v8::FunctionCallbackInfo<v8::Value>& info,
                        v8::Local<v8::Function> dom_exception,
                        std::vector<v8::Local<v8::ArrayBuffer>>& buffers,
                        std::vector<v8::Local<v8::Object>>& ports) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  if (info[2]->IsArray()) {
    v8::Local<v8::Array> list = info[2].As<v8::Array>();
    for (uint32_t i = 0; i < list->Length(); ++i) {
      v8::Local<v8::Value> item;
      if (!list->Get(context, i).ToLocal(&item)) return false;
      if (!item->IsArrayBuffer()) {
        return throw_clone_error(
            isolate, dom_exception,
            "A value in the transfer list is not transferable (only ArrayBuffers and "
            "MessagePorts are).");
      }
      v8::Local<v8::ArrayBuffer> buffer = item.As<v8::ArrayBuffer>();
      for (v8::Local<v8::ArrayBuffer> seen : buffers) {
        if (seen == buffer) {
          return throw_clone_error(isolate, dom_exception,
                                   "An ArrayBuffer is duplicated in the transfer list.");
        }
      }
      if (buffer->WasDetached() || !buffer->IsDetachable()) {
        return throw_clone_error(isolate, dom_exception,
                                 "An ArrayBuffer in the transfer list is detached or cannot be "
                                 "detached.");
      }
      buffers.push_back(buffer);
    }
  }
  if (info[3]->IsArray()) {
    v8::Local<v8::Array> list = info[3].As<v8::Array>();
    for (uint32_t i = 0; i < list->Length(); ++i) {
      v8::Local<v8::Value> item;
      if (!list->Get(context, i).ToLocal(&item)) return false;
      if (!item->IsObject()) return throw_clone_error(isolate, dom_exception, "Not a port.");
      for (v8::Local<v8::Object> seen : ports) {
        if (seen == item) {
          return throw_clone_error(isolate, dom_exception,
                                   "A MessagePort is duplicated in the transfer list.");
        }
      }
      ports.push_back(item.As<v8::Object>());
    }
  }
  return true;
}

// structuredClone(value, DOMException, transferBuffers, transferPorts, shipPorts, copyKeys) ->
// a deep copy (cycles, Map, Set, Date, RegExp, ArrayBuffer and views, Error, boxed primitives,
// CryptoKey); functions and symbols throw DataCloneError. The buffers of the transfer list are
// detached and their memory handed to the copy's buffers; shipPorts(ports) returns the ports
// that stand for the transferred ones in the copy, copyKeys(keys) the copies of the CryptoKeys
// met (a key met twice is copied once, as any object is). Nothing is detached or shipped when
// serializing fails.
void StructuredClone(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  if (!info[1]->IsFunction()) return throw_type_error(isolate, "structuredClone: no DOMException");
  v8::Local<v8::Function> dom_exception = info[1].As<v8::Function>();
  std::vector<v8::Local<v8::ArrayBuffer>> buffers;
  std::vector<v8::Local<v8::Object>> ports;
  if (!read_transfer_list(info, dom_exception, buffers, ports)) return;

  CloneSerializerDelegate delegate(isolate, dom_exception, ports);
  v8::ValueSerializer serializer(isolate, &delegate);
  delegate.set_serializer(&serializer);
  for (uint32_t i = 0; i < buffers.size(); ++i) serializer.TransferArrayBuffer(i, buffers[i]);
  serializer.WriteHeader();
  if (serializer.WriteValue(context, info[0]).IsNothing()) return;  // exception pending
  // Release() hands over a buffer from the delegate's default realloc-based allocator.
  auto [data, size] = serializer.Release();
  std::unique_ptr<uint8_t, FreeDeleter> owned(data);

  std::vector<v8::Local<v8::ArrayBuffer>> moved;
  for (v8::Local<v8::ArrayBuffer> buffer : buffers) {
    std::shared_ptr<v8::BackingStore> store = buffer->GetBackingStore();
    buffer->Detach();
    moved.push_back(v8::ArrayBuffer::New(isolate, std::move(store)));
  }
  v8::Local<v8::Array> shipped;
  if (!ports.empty()) {
    v8::Local<v8::Array> list = v8::Array::New(isolate, static_cast<int>(ports.size()));
    for (uint32_t i = 0; i < ports.size(); ++i) {
      if (list->Set(context, i, ports[i]).IsNothing()) return;
    }
    if (!call_with_list(isolate, info[4], list, "structuredClone: shipPorts failed")
             .ToLocal(&shipped)) {
      return;
    }
  }
  v8::Local<v8::Array> key_copies;
  if (delegate.keys()->Length() != 0 &&
      !call_with_list(isolate, info[5], delegate.keys(), "structuredClone: copyKeys failed")
           .ToLocal(&key_copies)) {
    return;
  }

  CloneDeserializerDelegate reader(shipped, key_copies);
  v8::ValueDeserializer deserializer(isolate, owned.get(), size, &reader);
  reader.set_deserializer(&deserializer);
  for (uint32_t i = 0; i < moved.size(); ++i) deserializer.TransferArrayBuffer(i, moved[i]);
  if (deserializer.ReadHeader(context).IsNothing()) return;
  v8::Local<v8::Value> copy;
  if (!deserializer.ReadValue(context).ToLocal(&copy)) return;
  v8::Local<v8::Array> pair = v8::Array::New(isolate, 2);
  if (pair->Set(context, 0, copy).IsNothing() ||
      pair->Set(context, 1, shipped.IsEmpty() ? v8::Array::New(isolate, 0) : shipped).IsNothing()) {
    return;
  }
  info.GetReturnValue().Set(pair);
}

// The constructor of MessagePort's host objects; `this` is the new object, its embedder field
// the kind (HostKind::port, the field's initial undefined).
void HostObjectConstructor(const v8::FunctionCallbackInfo<v8::Value>& info) {
  // A port delivers through the timers of the request that runs it: one made by a script's top
  // level cannot go into a snapshot that every request copies (the script then runs per request).
  note_native_state(info.GetIsolate(), "a MessagePort (MessageChannel)");
  info.GetReturnValue().Set(info.This());
}

// The constructor of CryptoKey's host objects. Making one needs a key handle, which noted the
// native state already (crypto_support.h, wrap_handle).
void KeyObjectConstructor(const v8::FunctionCallbackInfo<v8::Value>& info) {
  if (info.This()->InternalFieldCount() < 1)
    return throw_type_error(info.GetIsolate(), "Illegal constructor");
  info.This()->SetInternalField(
      0, v8::Int32::New(info.GetIsolate(), static_cast<int32_t>(HostKind::crypto_key)));
  info.GetReturnValue().Set(info.This());
}

// hostObjectClass(kind) -> a constructor whose instances carry an embedder field, so that V8's
// serializer treats them as host objects: kind 0 MessagePort (messaging.js: construct it with
// Reflect.construct(HostObject, [], NewTarget) to give the instance NewTarget's prototype),
// kind 1 CryptoKey (crypto_key.js extends it).
void HostObjectClass(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  const bool key = info[0]->IsInt32() &&
                   info[0].As<v8::Int32>()->Value() == static_cast<int32_t>(HostKind::crypto_key);
  v8::Local<v8::FunctionTemplate> constructor =
      v8::FunctionTemplate::New(isolate, key ? KeyObjectConstructor : HostObjectConstructor);
  constructor->InstanceTemplate()->SetInternalFieldCount(1);
  v8::Local<v8::Function> function;
  if (constructor->GetFunction(isolate->GetCurrentContext()).ToLocal(&function)) {
    info.GetReturnValue().Set(function);
  }
}

constexpr NativeFunction kCloneNatives[] = {
    {"structuredClone", StructuredClone, 6},
    {"hostObjectClass", HostObjectClass, 1},
    // Listed so that they are among the external references: a context holding the classes (a
    // script's top level that made a MessageChannel, the SubtleCrypto family built into a
    // startup snapshot) can then be serialized.
    {"hostObjectConstructor", HostObjectConstructor, 0},
    {"keyObjectConstructor", KeyObjectConstructor, 0},
};

}  // namespace

std::span<const NativeFunction> clone_natives() {
  return kCloneNatives;
}

}  // namespace wsup::worker::web
