// Randomness, digests (whole and incremental) and Workers' timingSafeEqual, from OpenSSL, for
// crypto.js and the SubtleCrypto files.
#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <string>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "worker/web/crypto_support.h"
#include "worker/web/natives.h"
#include "worker/web/runtime_hooks.h"

namespace wsup::worker::web {
namespace {

using crypto::bytes_of;
using crypto::ByteView;

// randomFill(ArrayBufferView): JS has already checked the type and the 65536-byte quota.
void RandomFill(const v8::FunctionCallbackInfo<v8::Value>& info) {
  if (!random_allowed(info.GetIsolate(), "crypto.getRandomValues()")) return;
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
  if (!random_allowed(info.GetIsolate(), "crypto.randomUUID()")) return;
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

const EVP_MD* DigestArgument(const v8::FunctionCallbackInfo<v8::Value>& info) {
  const EVP_MD* algorithm = crypto::digest_by_name(crypto::to_utf8(info.GetIsolate(), info[0]));
  if (algorithm == nullptr) throw_type_error(info.GetIsolate(), "unsupported digest algorithm");
  return algorithm;
}

// digest(normalizedName, BufferSource) -> ArrayBuffer; JS normalizes the name (a
// case-insensitive match) and rejects unknown algorithms before calling.
void Digest(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  const EVP_MD* algorithm = DigestArgument(info);
  if (algorithm == nullptr) return;
  const ByteView data = bytes_of(info[1]);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  if (EVP_Digest(data.nonnull(), data.size, digest, &digest_size, algorithm, nullptr) != 1) {
    crypto::throw_operation_error(isolate, "digest computation failed");
    return;
  }
  info.GetReturnValue().Set(crypto::new_array_buffer(isolate, digest, digest_size));
}

// An incremental digest (crypto.DigestStream, js/crypto.js): EVP_MD_CTX behind a handle.
// The context is freed when the digest finishes or is cancelled, or with the handle.
// Counted while it holds a context (crypto::live_digest_contexts(), for tests). Relaxed: the
// count publishes nothing; a test reads it after V8 has freed the handles, through eventually.
std::atomic<size_t> live_contexts{0};

class DigestState final : public crypto::NativeHandle {
 public:
  static constexpr crypto::HandleTag kTag = crypto::HandleTag::digest;
  explicit DigestState(crypto::MdCtx context) : NativeHandle(kTag), context_(std::move(context)) {
    live_contexts.fetch_add(1, std::memory_order_relaxed);
  }
  ~DigestState() override { release(); }
  // Null once finished or cancelled.
  EVP_MD_CTX* context() const { return context_.get(); }
  uint64_t bytes = 0;  // hashed so far (DigestStream's bytesWritten)
  void release() {
    if (context_ == nullptr) return;
    context_.reset();
    live_contexts.fetch_sub(1, std::memory_order_relaxed);
  }

 private:
  crypto::MdCtx context_;
};

// digestStart(normalizedName) -> handle. Besides WebCrypto's digests, MD5: Workers offers it
// for DigestStream (digest() refuses it, as the standard does).
void DigestStart(const v8::FunctionCallbackInfo<v8::Value>& info) {
  const EVP_MD* algorithm =
      crypto::to_utf8(info.GetIsolate(), info[0]) == "MD5" ? EVP_md5() : DigestArgument(info);
  if (algorithm == nullptr) return;
  crypto::MdCtx context(EVP_MD_CTX_new());
  if (context == nullptr || EVP_DigestInit_ex(context.get(), algorithm, nullptr) != 1) {
    crypto::throw_operation_error(info.GetIsolate(), "digest initialization failed");
    return;
  }
  info.GetReturnValue().Set(
      crypto::wrap_handle(info.GetIsolate(), std::make_unique<DigestState>(std::move(context))));
}

// digestUpdate(handle, BufferSource or string); a string is hashed as its UTF-8 (lone
// surrogates as U+FFFD, as TextEncoder writes them).
void DigestUpdate(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  auto* state = crypto::unwrap<DigestState>(info[0]);
  if (state == nullptr || state->context() == nullptr) return crypto::throw_bad_handle(isolate);
  std::string text;
  ByteView data;
  if (info[1]->IsString()) {
    v8::Local<v8::String> string = info[1].As<v8::String>();
    text.resize(static_cast<size_t>(string->Utf8Length(isolate)));
    string->WriteUtf8(isolate, text.data(), static_cast<int>(text.size()), nullptr,
                      v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8);
    data = {reinterpret_cast<const unsigned char*>(text.data()), text.size()};
  } else {
    data = bytes_of(info[1]);
  }
  if (data.size != 0 && EVP_DigestUpdate(state->context(), data.data, data.size) != 1) {
    crypto::throw_operation_error(isolate, "digest update failed");
    return;
  }
  state->bytes += data.size;
}

// digestBytes(handle) -> BigInt: the bytes hashed so far, also once finished or cancelled.
void DigestBytes(const v8::FunctionCallbackInfo<v8::Value>& info) {
  auto* state = crypto::unwrap<DigestState>(info[0]);
  if (state == nullptr) return crypto::throw_bad_handle(info.GetIsolate());
  info.GetReturnValue().Set(v8::BigInt::NewFromUnsigned(info.GetIsolate(), state->bytes));
}

// digestFinish(handle) -> ArrayBuffer; the handle cannot be used again.
void DigestFinish(const v8::FunctionCallbackInfo<v8::Value>& info) {
  auto* state = crypto::unwrap<DigestState>(info[0]);
  if (state == nullptr || state->context() == nullptr) {
    return crypto::throw_bad_handle(info.GetIsolate());
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  const bool done = EVP_DigestFinal_ex(state->context(), digest, &digest_size) == 1;
  state->release();
  if (!done) {
    crypto::throw_operation_error(info.GetIsolate(), "digest computation failed");
    return;
  }
  info.GetReturnValue().Set(crypto::new_array_buffer(info.GetIsolate(), digest, digest_size));
}

// digestCancel(handle): frees the hashing state now (an aborted or errored DigestStream); the
// handle cannot be used again. Cancelling twice does nothing.
void DigestCancel(const v8::FunctionCallbackInfo<v8::Value>& info) {
  auto* state = crypto::unwrap<DigestState>(info[0]);
  if (state == nullptr) return crypto::throw_bad_handle(info.GetIsolate());
  state->release();
}

// timingSafeEqual(a, b) -> boolean; JS has checked that both are buffer sources of one length.
// The comparison takes the same time wherever the first difference is.
void TimingSafeEqual(const v8::FunctionCallbackInfo<v8::Value>& info) {
  const ByteView a = bytes_of(info[0]);
  const ByteView b = bytes_of(info[1]);
  if (a.size != b.size) return throw_type_error(info.GetIsolate(), "lengths differ");
  info.GetReturnValue().Set(a.size == 0 || CRYPTO_memcmp(a.data, b.data, a.size) == 0);
}

constexpr NativeFunction kCryptoNatives[] = {
    {"randomFill", RandomFill, 1},
    {"randomUUID", RandomUuid, 0},
    {"digest", Digest, 2},
    {"digestStart", DigestStart, 1},
    {"digestUpdate", DigestUpdate, 2},
    {"digestFinish", DigestFinish, 1},
    {"digestCancel", DigestCancel, 1},
    {"digestBytes", DigestBytes, 1},
    {"timingSafeEqual", TimingSafeEqual, 2},
};

}  // namespace

size_t crypto::live_digest_contexts() {
  return live_contexts.load(std::memory_order_relaxed);
}

std::span<const NativeFunction> crypto_natives() {
  return kCryptoNatives;
}

}  // namespace wsup::worker::web
