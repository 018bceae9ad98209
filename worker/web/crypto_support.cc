#include "worker/web/crypto_support.h"

#include <cstring>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "worker/web/natives.h"
#include "worker/web/runtime_hooks.h"

namespace wsup::worker::web::crypto {
namespace {

// Relaxed: a statistic read by tests after the events they wait for (`eventually`); it orders
// nothing else, and each increment and decrement is atomic on its own.
std::atomic<size_t> live_keys{0};

// V8's backing-store deleter: frees the handle's object (on whichever thread V8 frees it).
void delete_handle(void* data, size_t /*length*/, void* /*deleter_data*/) {
  std::unique_ptr<NativeHandle> owned(static_cast<NativeHandle*>(data));
}

int base64url_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

}  // namespace

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    wipe();
    bytes_ = std::move(other.bytes_);
  }
  return *this;
}

void SecretBytes::truncate(size_t size) {
  if (size >= bytes_.size()) return;
  OPENSSL_cleanse(bytes_.data() + size, bytes_.size() - size);
  bytes_.resize(size);  // shrinking never reallocates
}

void SecretBytes::wipe() {
  if (!bytes_.empty()) OPENSSL_cleanse(bytes_.data(), bytes_.size());
}

KeyMaterial::KeyMaterial(SecretBytes secret)
    : NativeHandle(kTag), secret_(std::move(secret)), is_private_(false) {
  live_keys.fetch_add(1, std::memory_order_relaxed);
}

KeyMaterial::KeyMaterial(Pkey pkey, bool is_private)
    : NativeHandle(kTag), pkey_(std::move(pkey)), is_private_(is_private) {
  live_keys.fetch_add(1, std::memory_order_relaxed);
}

KeyMaterial::~KeyMaterial() {
  // secret_ wipes itself; EVP_PKEY_free clears the private components of RSA, EC and ECX keys.
  live_keys.fetch_sub(1, std::memory_order_relaxed);
}

size_t KeyMaterial::live_count() {
  return live_keys.load(std::memory_order_relaxed);
}

v8::Local<v8::ArrayBuffer> wrap_handle(v8::Isolate* isolate, std::unique_ptr<NativeHandle> object) {
  // A snapshot of the context would keep the ArrayBuffer and lose what it points at.
  note_native_state(isolate, "a CryptoKey or a digest stream");
  // From here the backing store owns the object: V8 calls delete_handle exactly once, when the
  // last ArrayBuffer using the store is gone or the isolate is torn down.
  std::unique_ptr<v8::BackingStore> store =
      v8::ArrayBuffer::NewBackingStore(object.release(), 0, delete_handle, nullptr);
  return v8::ArrayBuffer::New(isolate, std::move(store));
}

NativeHandle* unwrap_any(v8::Local<v8::Value> value, HandleTag tag) {
  if (!value->IsArrayBuffer()) return nullptr;
  v8::Local<v8::ArrayBuffer> buffer = value.As<v8::ArrayBuffer>();
  if (buffer->ByteLength() != 0) return nullptr;
  // ArrayBuffer::Data() of an empty buffer is null whatever its store holds; the store keeps
  // the pointer. An ordinary empty buffer's store points at nothing.
  auto* object = static_cast<NativeHandle*>(buffer->GetBackingStore()->Data());
  if (object == nullptr || object->tag() != tag) return nullptr;
  return object;
}

ByteView bytes_of(v8::Local<v8::Value> value) {
  if (value->IsArrayBufferView()) {
    v8::Local<v8::ArrayBufferView> view = value.As<v8::ArrayBufferView>();
    const size_t size = view->ByteLength();
    if (size == 0) return {};
    const auto* base = static_cast<const unsigned char*>(view->Buffer()->Data());
    return {base + view->ByteOffset(), size};
  }
  if (value->IsArrayBuffer()) {
    v8::Local<v8::ArrayBuffer> buffer = value.As<v8::ArrayBuffer>();
    return {static_cast<const unsigned char*>(buffer->Data()), buffer->ByteLength()};
  }
  return {};
}

v8::Local<v8::ArrayBuffer> new_array_buffer(v8::Isolate* isolate, const unsigned char* data,
                                            size_t size) {
  v8::Local<v8::ArrayBuffer> buffer;
  if (!web::new_array_buffer(isolate, size).ToLocal(&buffer)) return {};
  if (size != 0) std::memcpy(buffer->Data(), data, size);
  return buffer;
}

std::string to_utf8(v8::Isolate* isolate, v8::Local<v8::Value> value) {
  v8::String::Utf8Value text(isolate, value);
  return *text == nullptr ? std::string() : std::string(*text, static_cast<size_t>(text.length()));
}

const EVP_MD* digest_by_name(std::string_view name) {
  if (name == "SHA-256") return EVP_sha256();
  if (name == "SHA-384") return EVP_sha384();
  if (name == "SHA-512") return EVP_sha512();
  if (name == "SHA-1") return EVP_sha1();
  return nullptr;
}

SecretBytes bignum_bytes(const BIGNUM* bn, size_t size) {
  const size_t minimal = static_cast<size_t>(BN_num_bytes(bn));
  SecretBytes out(size == 0 ? minimal : size);
  if (BN_bn2binpad(bn, out.data(), static_cast<int>(out.size())) < 0) return SecretBytes();
  return out;
}

std::string base64url_encode(const unsigned char* data, size_t size) {
  constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((size + 2) / 3 * 4);
  for (size_t i = 0; i < size; i += 3) {
    const size_t take = std::min<size_t>(3, size - i);
    uint32_t chunk = 0;
    for (size_t k = 0; k < 3; ++k) chunk = (chunk << 8) | (k < take ? data[i + k] : 0u);
    for (size_t k = 0; k <= take; ++k) out.push_back(kAlphabet[(chunk >> (18 - 6 * k)) & 0x3F]);
  }
  return out;
}

bool base64url_decode(std::string_view text, SecretBytes& out) {
  if (text.size() % 4 == 1) return false;
  SecretBytes decoded(text.size() * 3 / 4);
  size_t written = 0;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    const int value = base64url_value(c);
    if (value < 0) return false;
    buffer = (buffer << 6) | static_cast<uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      decoded.data()[written++] = static_cast<unsigned char>((buffer >> bits) & 0xFF);
    }
  }
  decoded.truncate(written);
  out = std::move(decoded);
  return true;
}

void throw_crypto_error(v8::Isolate* isolate, const char* name, std::string_view message) {
  ERR_clear_error();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::String> text =
      v8::String::NewFromUtf8(isolate, message.data(), v8::NewStringType::kNormal,
                              static_cast<int>(message.size()))
          .ToLocalChecked();
  v8::Local<v8::Object> error = v8::Exception::Error(text).As<v8::Object>();
  // Set fails only with an exception already pending (termination): that one stands.
  if (error
          ->Set(context, v8::String::NewFromUtf8Literal(isolate, "name"),
                v8::String::NewFromUtf8(isolate, name).ToLocalChecked())
          .IsNothing()) {
    return;
  }
  isolate->ThrowException(error);
}

void throw_bad_handle(v8::Isolate* isolate) {
  ERR_clear_error();
  isolate->ThrowException(v8::Exception::TypeError(
      v8::String::NewFromUtf8Literal(isolate, "crypto: not a key handle (internal error)")));
}

}  // namespace wsup::worker::web::crypto
