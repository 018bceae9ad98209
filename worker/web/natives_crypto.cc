// Randomness and digests from OpenSSL for crypto.js.
#include <array>
#include <cstdint>
#include <cstring>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "worker/web/natives.h"

namespace wsup::worker::web {
namespace {

// randomFill(ArrayBufferView): JS has already checked the type and the 65536-byte quota.
void RandomFill(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Local<v8::ArrayBufferView> view = info[0].As<v8::ArrayBufferView>();
  const size_t size = view->ByteLength();
  if (size == 0) return;
  auto* bytes = static_cast<unsigned char*>(view->Buffer()->Data()) + view->ByteOffset();
  if (RAND_bytes(bytes, static_cast<int>(size)) != 1) {
    throw_type_error(info.GetIsolate(), "the system random number generator failed");
  }
}

// randomUUID() -> a version 4 UUID string (RFC 4122 section 4.4), lowercase hex.
void RandomUuid(const v8::FunctionCallbackInfo<v8::Value>& info) {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw_type_error(info.GetIsolate(), "the system random number generator failed");
    return;
  }
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0F) | 0x40);
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3F) | 0x80);
  constexpr char kHex[] = "0123456789abcdef";
  char text[36];
  size_t out = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) text[out++] = '-';
    text[out++] = kHex[bytes[i] >> 4];
    text[out++] = kHex[bytes[i] & 0xF];
  }
  info.GetReturnValue().Set(one_byte_string(info.GetIsolate(), text, sizeof(text)));
}

const EVP_MD* DigestByName(v8::Isolate* isolate, v8::Local<v8::Value> name) {
  v8::String::Utf8Value text(isolate, name);
  if (*text == nullptr) return nullptr;
  if (std::strcmp(*text, "SHA-1") == 0) return EVP_sha1();
  if (std::strcmp(*text, "SHA-256") == 0) return EVP_sha256();
  if (std::strcmp(*text, "SHA-384") == 0) return EVP_sha384();
  if (std::strcmp(*text, "SHA-512") == 0) return EVP_sha512();
  return nullptr;
}

// digest(normalizedName, ArrayBufferView) -> ArrayBuffer; crypto.js normalizes the name
// (case-insensitive match) and rejects unknown algorithms before calling.
void Digest(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  const EVP_MD* algorithm = DigestByName(isolate, info[0]);
  if (algorithm == nullptr) {
    throw_type_error(isolate, "unsupported digest algorithm");
    return;
  }
  v8::Local<v8::ArrayBufferView> view = info[1].As<v8::ArrayBufferView>();
  const auto* data = static_cast<const unsigned char*>(view->Buffer()->Data());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  if (EVP_Digest(data == nullptr ? digest : data + view->ByteOffset(), view->ByteLength(), digest,
                 &digest_size, algorithm, nullptr) != 1) {
    throw_type_error(isolate, "digest computation failed");
    return;
  }
  v8::Local<v8::ArrayBuffer> result;
  if (!new_array_buffer(isolate, digest_size).ToLocal(&result)) return;
  std::memcpy(result->Data(), digest, digest_size);
  info.GetReturnValue().Set(result);
}

constexpr NativeFunction kCryptoNatives[] = {
    {"randomFill", RandomFill, 1},
    {"randomUUID", RandomUuid, 0},
    {"digest", Digest, 2},
};

}  // namespace

std::span<const NativeFunction> crypto_natives() {
  return kCryptoNatives;
}

}  // namespace wsup::worker::web
