// "wsup:node-natives": the native functions of the built-in Node modules, as the exports of a
// synthetic module only the built-ins can import (node_builtins.cc refuses it to scripts).
// Hashing and HMAC on OpenSSL 3 (EVP_MD, EVP_MAC), random bytes from RAND_bytes,
// CRYPTO_memcmp for timingSafeEqual, and V8's own type checks for node:util's types.
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <cstring>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "worker/node/node_builtins.h"

namespace wsup::worker::node {
namespace {

v8::Local<v8::String> text(v8::Isolate* isolate, std::string_view value) {
  return v8::String::NewFromUtf8(isolate, value.data(), v8::NewStringType::kNormal,
                                 static_cast<int>(value.size()))
      .ToLocalChecked();
}

void throw_error(v8::Isolate* isolate, std::string_view message) {
  isolate->ThrowException(v8::Exception::Error(text(isolate, message)));
}

std::string to_string(v8::Isolate* isolate, v8::Local<v8::Value> value) {
  v8::String::Utf8Value utf8(isolate, value);
  return *utf8 == nullptr ? std::string() : std::string(*utf8, utf8.length());
}

struct MdDeleter {
  void operator()(EVP_MD* md) const { EVP_MD_free(md); }
};
struct MdContextDeleter {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};
struct MacDeleter {
  void operator()(EVP_MAC* mac) const { EVP_MAC_free(mac); }
};
struct MacContextDeleter {
  void operator()(EVP_MAC_CTX* context) const { EVP_MAC_CTX_free(context); }
};
using Md = std::unique_ptr<EVP_MD, MdDeleter>;

// The digest `name` names (OpenSSL's names, case-insensitive: "sha256", "SHA-256", "md5"), or
// null. Extendable-output functions (SHAKE) have no fixed length and are refused.
Md fetch_digest(const std::string& name) {
  Md md(EVP_MD_fetch(nullptr, name.c_str(), nullptr));
  if (md && EVP_MD_get_size(md.get()) <= 0) md.reset();
  return md;
}

// The bytes of a Uint8Array.
std::string_view bytes_of(v8::Local<v8::Value> value) {
  if (!value->IsUint8Array()) return {};
  v8::Local<v8::Uint8Array> view = value.As<v8::Uint8Array>();
  const size_t length = view->ByteLength();
  if (length == 0) return {};
  return {static_cast<const char*>(view->Buffer()->Data()) + view->ByteOffset(), length};
}

// The chunks of an array of Uint8Arrays.
bool chunks_of(v8::Local<v8::Context> context, v8::Local<v8::Value> value,
               std::vector<std::string_view>& chunks) {
  if (!value->IsArray()) return false;
  v8::Local<v8::Array> list = value.As<v8::Array>();
  for (uint32_t i = 0; i < list->Length(); ++i) {
    v8::Local<v8::Value> item;
    if (!list->Get(context, i).ToLocal(&item) || !item->IsUint8Array()) return false;
    chunks.push_back(bytes_of(item));
  }
  return true;
}

v8::Local<v8::ArrayBuffer> to_array_buffer(v8::Isolate* isolate, const unsigned char* data,
                                           size_t length) {
  v8::Local<v8::ArrayBuffer> buffer = v8::ArrayBuffer::New(isolate, length);
  if (length > 0) std::memcpy(buffer->Data(), data, length);
  return buffer;
}

// hasDigest(name) -> whether OpenSSL has a fixed-length digest of that name.
void HasDigest(const v8::FunctionCallbackInfo<v8::Value>& info) {
  info.GetReturnValue().Set(static_cast<bool>(fetch_digest(to_string(info.GetIsolate(), info[0]))));
}

// digest(name, [Uint8Array...]) -> ArrayBuffer of the digest of the chunks, in order.
void Digest(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  Md md = fetch_digest(to_string(isolate, info[0]));
  std::vector<std::string_view> chunks;
  if (!md) return throw_error(isolate, "Digest method not supported");
  if (!chunks_of(isolate->GetCurrentContext(), info[1], chunks))
    return throw_error(isolate, "digest: the data must be Uint8Arrays");
  std::unique_ptr<EVP_MD_CTX, MdContextDeleter> context(EVP_MD_CTX_new());
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  bool ok = context && EVP_DigestInit_ex(context.get(), md.get(), nullptr) == 1;
  for (std::string_view chunk : chunks) {
    ok = ok && EVP_DigestUpdate(context.get(), chunk.data(), chunk.size()) == 1;
  }
  ok = ok && EVP_DigestFinal_ex(context.get(), out, &length) == 1;
  if (!ok) return throw_error(isolate, "digest: OpenSSL failed");
  info.GetReturnValue().Set(to_array_buffer(isolate, out, length));
}

// hmac(name, key: Uint8Array, [Uint8Array...]) -> ArrayBuffer of the HMAC of the chunks.
void Hmac(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  Md md = fetch_digest(to_string(isolate, info[0]));
  std::vector<std::string_view> chunks;
  if (!md) return throw_error(isolate, "Invalid digest");
  if (!info[1]->IsUint8Array() || !chunks_of(isolate->GetCurrentContext(), info[2], chunks))
    return throw_error(isolate, "hmac: the key and data must be Uint8Arrays");
  std::string_view key = bytes_of(info[1]);
  std::unique_ptr<EVP_MAC, MacDeleter> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  std::unique_ptr<EVP_MAC_CTX, MacContextDeleter> context(mac ? EVP_MAC_CTX_new(mac.get())
                                                              : nullptr);
  std::string digest_name = EVP_MD_get0_name(md.get());
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string("digest", digest_name.data(), 0),
      OSSL_PARAM_construct_end(),
  };
  // OpenSSL refuses a null key pointer even for an empty key.
  static const unsigned char kEmpty = 0;
  const auto* key_bytes =
      key.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(key.data());
  bool ok = context && EVP_MAC_init(context.get(), key_bytes, key.size(), params) == 1;
  for (std::string_view chunk : chunks) {
    ok = ok && EVP_MAC_update(context.get(), reinterpret_cast<const unsigned char*>(chunk.data()),
                              chunk.size()) == 1;
  }
  unsigned char out[EVP_MAX_MD_SIZE];
  size_t length = 0;
  ok = ok && EVP_MAC_final(context.get(), out, &length, sizeof(out)) == 1;
  if (!ok) return throw_error(isolate, "hmac: OpenSSL failed");
  info.GetReturnValue().Set(to_array_buffer(isolate, out, length));
}

// randomFill(Uint8Array): fills it from OpenSSL's CSPRNG.
void RandomFill(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  if (!info[0]->IsUint8Array()) return throw_error(isolate, "randomFill: a Uint8Array");
  v8::Local<v8::Uint8Array> view = info[0].As<v8::Uint8Array>();
  const size_t length = view->ByteLength();
  if (length == 0) return;
  auto* data = static_cast<unsigned char*>(view->Buffer()->Data()) + view->ByteOffset();
  if (RAND_bytes(data, static_cast<int>(length)) != 1)
    throw_error(isolate, "randomFill: OpenSSL's random generator failed");
}

// timingSafeEqual(a, b): Uint8Arrays of one length, compared in time independent of content.
void TimingSafeEqual(const v8::FunctionCallbackInfo<v8::Value>& info) {
  std::string_view a = bytes_of(info[0]);
  std::string_view b = bytes_of(info[1]);
  if (a.size() != b.size())
    return throw_error(info.GetIsolate(), "timingSafeEqual: lengths differ");
  info.GetReturnValue().Set(a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0);
}

// digestNames() -> the digests createHash takes, in Node's lower-case spelling.
void DigestNames(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  constexpr std::string_view kCandidates[] = {
      "md5",        "sha1",     "sha224",   "sha256",   "sha384",   "sha512",    "sha512-224",
      "sha512-256", "sha3-224", "sha3-256", "sha3-384", "sha3-512", "ripemd160", "sm3"};
  v8::Local<v8::Array> names = v8::Array::New(isolate);
  uint32_t index = 0;
  for (std::string_view name : kCandidates) {
    if (!fetch_digest(std::string(name))) continue;
    if (names->Set(context, index++, text(isolate, name)).IsNothing()) return;
  }
  info.GetReturnValue().Set(names);
}

// promiseState(promise) -> ['pending'] | ['fulfilled', value] | ['rejected', reason].
void PromiseState(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  if (!info[0]->IsPromise()) return;
  v8::Local<v8::Promise> promise = info[0].As<v8::Promise>();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::Array> result = v8::Array::New(isolate);
  const char* state = "pending";
  if (promise->State() == v8::Promise::kFulfilled) state = "fulfilled";
  if (promise->State() == v8::Promise::kRejected) state = "rejected";
  if (result->Set(context, 0, text(isolate, state)).IsNothing()) return;
  if (promise->State() != v8::Promise::kPending &&
      result->Set(context, 1, promise->Result()).IsNothing()) {
    return;
  }
  info.GetReturnValue().Set(result);
}

// typedArrayName(value) -> "Uint8Array", ..., or undefined for anything but a typed array.
void TypedArrayName(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Local<v8::Value> value = info[0];
  const char* name = value->IsUint8Array()          ? "Uint8Array"
                     : value->IsUint8ClampedArray() ? "Uint8ClampedArray"
                     : value->IsInt8Array()         ? "Int8Array"
                     : value->IsUint16Array()       ? "Uint16Array"
                     : value->IsInt16Array()        ? "Int16Array"
                     : value->IsUint32Array()       ? "Uint32Array"
                     : value->IsInt32Array()        ? "Int32Array"
                     : value->IsFloat32Array()      ? "Float32Array"
                     : value->IsFloat64Array()      ? "Float64Array"
                     : value->IsBigInt64Array()     ? "BigInt64Array"
                     : value->IsBigUint64Array()    ? "BigUint64Array"
                                                    : nullptr;
  if (name != nullptr) info.GetReturnValue().Set(text(info.GetIsolate(), name));
}

// The type checks node:util's types needs from V8: one callback, the check its data.
struct TypeCheck {
  const char* name;
  bool (v8::Value::*check)() const;
};
constexpr TypeCheck kTypeChecks[] = {
    {"isArrayBuffer", &v8::Value::IsArrayBuffer},
    {"isSharedArrayBuffer", &v8::Value::IsSharedArrayBuffer},
    {"isArgumentsObject", &v8::Value::IsArgumentsObject},
    {"isAsyncFunction", &v8::Value::IsAsyncFunction},
    {"isGeneratorFunction", &v8::Value::IsGeneratorFunction},
    {"isGeneratorObject", &v8::Value::IsGeneratorObject},
    {"isPromise", &v8::Value::IsPromise},
    {"isProxy", &v8::Value::IsProxy},
    {"isRegExp", &v8::Value::IsRegExp},
    {"isDate", &v8::Value::IsDate},
    {"isMap", &v8::Value::IsMap},
    {"isSet", &v8::Value::IsSet},
    {"isWeakMap", &v8::Value::IsWeakMap},
    {"isWeakSet", &v8::Value::IsWeakSet},
    {"isMapIterator", &v8::Value::IsMapIterator},
    {"isSetIterator", &v8::Value::IsSetIterator},
    {"isNativeError", &v8::Value::IsNativeError},
    {"isNumberObject", &v8::Value::IsNumberObject},
    {"isStringObject", &v8::Value::IsStringObject},
    {"isBooleanObject", &v8::Value::IsBooleanObject},
    {"isBigIntObject", &v8::Value::IsBigIntObject},
    {"isSymbolObject", &v8::Value::IsSymbolObject},
    {"isModuleNamespaceObject", &v8::Value::IsModuleNamespaceObject},
};

void TypeCheckCallback(const v8::FunctionCallbackInfo<v8::Value>& info) {
  const TypeCheck& check = kTypeChecks[info.Data().As<v8::Int32>()->Value()];
  info.GetReturnValue().Set(((*info[0])->*check.check)());
}

// isBoxedPrimitive(value): any of the boxed kinds.
void IsBoxedPrimitive(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Local<v8::Value> value = info[0];
  info.GetReturnValue().Set(value->IsNumberObject() || value->IsStringObject() ||
                            value->IsBooleanObject() || value->IsBigIntObject() ||
                            value->IsSymbolObject());
}

struct Native {
  const char* name;
  v8::FunctionCallback callback;
};
constexpr Native kNatives[] = {
    {"hasDigest", HasDigest},
    {"digest", Digest},
    {"hmac", Hmac},
    {"randomFill", RandomFill},
    {"timingSafeEqual", TimingSafeEqual},
    {"digestNames", DigestNames},
    {"promiseState", PromiseState},
    {"typedArrayName", TypedArrayName},
    {"isBoxedPrimitive", IsBoxedPrimitive},
};

v8::MaybeLocal<v8::Value> EvaluateNatives(v8::Local<v8::Context> context,
                                          v8::Local<v8::Module> module) {
  v8::Isolate* isolate = context->GetIsolate();
  auto set = [&](const char* name, v8::FunctionCallback callback, v8::Local<v8::Value> data) {
    v8::Local<v8::Function> function;
    return v8::Function::New(context, callback, data, 1, v8::ConstructorBehavior::kThrow)
               .ToLocal(&function) &&
           module->SetSyntheticModuleExport(isolate, text(isolate, name), function)
               .FromMaybe(false);
  };
  for (const Native& native : kNatives) {
    if (!set(native.name, native.callback, {})) return {};
  }
  for (size_t i = 0; i < std::size(kTypeChecks); ++i) {
    if (!set(kTypeChecks[i].name, TypeCheckCallback,
             v8::Int32::New(isolate, static_cast<int32_t>(i)))) {
      return {};
    }
  }
  return v8::Undefined(isolate);
}

}  // namespace

v8::Local<v8::Module> natives_module(v8::Isolate* isolate) {
  std::vector<v8::Local<v8::String>> names;
  for (const Native& native : kNatives) names.push_back(text(isolate, native.name));
  for (const TypeCheck& check : kTypeChecks) names.push_back(text(isolate, check.name));
  return v8::Module::CreateSyntheticModule(isolate, text(isolate, "wsup:node-natives"), names,
                                           EvaluateNatives);
}

}  // namespace wsup::worker::node
