// What the WebCrypto natives (natives_crypto*.cc) share: owners for OpenSSL's objects, the
// opaque handles through which JavaScript holds native state (key material, digest contexts),
// reading the byte arguments crypto.js passes, and the errors natives raise.
//
// Handles. A CryptoKey's material never becomes a JS-visible buffer: it lives in a KeyMaterial
// owned by the backing store of a zero-length ArrayBuffer, and that buffer is all JS holds (in
// a private field of CryptoKey). V8 frees the backing store, and so runs ~KeyMaterial, which
// wipes the secret bytes (OPENSSL_cleanse; EVP_PKEY_free clears private components itself),
// when the buffer is collected and when the isolate is disposed. V8 may free backing stores
// on one of its background threads, so a handle's destructor must not touch V8 or any state
// of the thread that made it. The buffer is zero bytes long, so no JS code, crypto.js
// included, can read what it points at; natives get it back with unwrap<T>(), which checks a
// tag first. A context holding a handle cannot go into a startup snapshot (the serializer
// would copy zero bytes and drop the pointer): bake.js never makes keys.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <v8.h>

namespace wsup::worker::web::crypto {

// ---- owners for OpenSSL objects -------------------------------------------------------------
template <typename T, void (*Free)(T*)>
struct OpenSslFree {
  void operator()(T* object) const { Free(object); }
};
template <typename T, void (*Free)(T*)>
using OpenSslPtr = std::unique_ptr<T, OpenSslFree<T, Free>>;

inline void free_bignum(BIGNUM* bn) {
  BN_clear_free(bn);  // may hold a private component
}
using Pkey = OpenSslPtr<EVP_PKEY, EVP_PKEY_free>;
using PkeyCtx = OpenSslPtr<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using MdCtx = OpenSslPtr<EVP_MD_CTX, EVP_MD_CTX_free>;
using CipherCtx = OpenSslPtr<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>;
using Bignum = OpenSslPtr<BIGNUM, free_bignum>;
using ParamBuilder = OpenSslPtr<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>;
using Params = OpenSslPtr<OSSL_PARAM, OSSL_PARAM_free>;
using EcdsaSig = OpenSslPtr<ECDSA_SIG, ECDSA_SIG_free>;
using Pkcs8Info = OpenSslPtr<PKCS8_PRIV_KEY_INFO, PKCS8_PRIV_KEY_INFO_free>;

// Bytes that are wiped when freed: secrets and private components on their way in or out.
class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(size_t size) : bytes_(size) {}
  SecretBytes(const unsigned char* data, size_t size) : bytes_(data, data + size) {}
  SecretBytes(SecretBytes&&) = default;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  ~SecretBytes() { wipe(); }

  unsigned char* data() { return bytes_.data(); }
  const unsigned char* data() const { return bytes_.data(); }
  size_t size() const { return bytes_.size(); }
  // Shortens to `size` bytes, wiping the tail first.
  void truncate(size_t size);

 private:
  void wipe();
  std::vector<unsigned char> bytes_;  // never grown after construction, so never copied
};

// ---- handles --------------------------------------------------------------------------------
enum class HandleTag : uint32_t { key = 0x4b455931, digest = 0x44494731 };

// Base of every native object JS holds through a handle. Destroyed by V8, maybe on another
// thread (see the file comment).
class NativeHandle {
 public:
  explicit NativeHandle(HandleTag tag) : tag_(tag) {}
  virtual ~NativeHandle() = default;
  NativeHandle(const NativeHandle&) = delete;
  NativeHandle& operator=(const NativeHandle&) = delete;
  HandleTag tag() const { return tag_; }

 private:
  HandleTag tag_;
};

// A CryptoKey's material: secret bytes (HMAC, AES, PBKDF2, HKDF) or an EVP_PKEY (RSA, EC,
// Ed25519, X25519; public only, or private with its public part).
class KeyMaterial final : public NativeHandle {
 public:
  static constexpr HandleTag kTag = HandleTag::key;
  explicit KeyMaterial(SecretBytes secret);
  KeyMaterial(Pkey pkey, bool is_private);
  ~KeyMaterial() override;

  bool is_secret() const { return pkey_ == nullptr; }
  bool is_private() const { return is_private_; }
  std::span<const unsigned char> secret() const { return {secret_.data(), secret_.size()}; }
  EVP_PKEY* pkey() const { return pkey_.get(); }

  // KeyMaterial objects alive in this process (made and not yet freed by V8): lets tests see
  // that collected keys and disposed isolates free their material.
  static size_t live_count();

 private:
  SecretBytes secret_;
  Pkey pkey_;
  bool is_private_ = false;
};

// Wraps `object` in a new zero-length ArrayBuffer that owns it.
v8::Local<v8::ArrayBuffer> wrap_handle(v8::Isolate* isolate, std::unique_ptr<NativeHandle> object);
// The object behind a handle made by wrap_handle with T's tag, or nullptr for anything else.
NativeHandle* unwrap_any(v8::Local<v8::Value> value, HandleTag tag);
template <typename T>
T* unwrap(v8::Local<v8::Value> value) {
  return static_cast<T*>(unwrap_any(value, T::kTag));
}
inline v8::Local<v8::ArrayBuffer> wrap_key(v8::Isolate* isolate, Pkey pkey, bool is_private) {
  return wrap_handle(isolate, std::make_unique<KeyMaterial>(std::move(pkey), is_private));
}

// ---- arguments and results ------------------------------------------------------------------
// The bytes of an ArrayBufferView or ArrayBuffer argument (crypto.js has checked the type);
// empty for anything else, and for detached buffers.
struct ByteView {
  const unsigned char* data = nullptr;
  size_t size = 0;
  // OpenSSL refuses null pointers even for empty input in some calls.
  const unsigned char* nonnull() const {
    static const unsigned char kEmpty = 0;
    return data == nullptr ? &kEmpty : data;
  }
};
ByteView bytes_of(v8::Local<v8::Value> value);

// A copy of data[0, size) from the isolate's ArrayBuffer budget (web::new_array_buffer): empty,
// with a RangeError thrown, past it. ReturnValue::Set of an empty handle returns undefined.
v8::Local<v8::ArrayBuffer> new_array_buffer(v8::Isolate* isolate, const unsigned char* data,
                                            size_t size);
// Incremental digests (crypto.DigestStream) whose hashing state is alive in this process: freed
// when the stream closes, aborts or errors, or when V8 collects an unfinished one.
size_t live_digest_contexts();

std::string to_utf8(v8::Isolate* isolate, v8::Local<v8::Value> value);

// SHA-1/256/384/512 by their WebCrypto names; nullptr for anything else.
const EVP_MD* digest_by_name(std::string_view name);

// Big-endian unsigned bytes of a BIGNUM, left-padded to `size` (0: its minimal length).
SecretBytes bignum_bytes(const BIGNUM* bn, size_t size = 0);

// base64url without padding (RFC 7515 section 2), as JWK members are written.
std::string base64url_encode(const unsigned char* data, size_t size);
// Strict: the URL-safe alphabet only, no padding, no whitespace. False when `text` is not that.
bool base64url_decode(std::string_view text, SecretBytes& out);

// ---- errors ---------------------------------------------------------------------------------
// Throws an Error whose `name` is a WebCrypto DOMException name ("OperationError", "DataError",
// "NotSupportedError", "InvalidAccessError"); crypto.js turns it into that DOMException. Clears
// OpenSSL's error queue, so that a failure never leaks into the next call.
void throw_crypto_error(v8::Isolate* isolate, const char* name, std::string_view message);
inline void throw_operation_error(v8::Isolate* isolate, std::string_view message) {
  throw_crypto_error(isolate, "OperationError", message);
}
inline void throw_data_error(v8::Isolate* isolate, std::string_view message) {
  throw_crypto_error(isolate, "DataError", message);
}
// For a handle that is not what crypto.js should have passed: a bug, reported as a TypeError.
void throw_bad_handle(v8::Isolate* isolate);

}  // namespace wsup::worker::web::crypto
