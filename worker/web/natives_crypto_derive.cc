// Key derivation for SubtleCrypto's deriveBits/deriveKey: PBKDF2, HKDF (RFC 5869), and the
// shared secret of ECDH and X25519. JS has checked the lengths and bounded PBKDF2's iterations
// (the cost of a call must stay within a request's CPU limit); failures are OperationErrors.
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>

#include "worker/web/crypto_support.h"
#include "worker/web/natives.h"

namespace wsup::worker::web {
namespace {

using namespace crypto;

using Kdf = OpenSslPtr<EVP_KDF, EVP_KDF_free>;
using KdfCtx = OpenSslPtr<EVP_KDF_CTX, EVP_KDF_CTX_free>;

struct KdfArguments {
  const EVP_MD* md = nullptr;
  const KeyMaterial* key = nullptr;
  uint32_t size = 0;  // bytes to derive
};
// (hash, handle, salt, iterations | info, byteLength)
bool read_kdf_arguments(const v8::FunctionCallbackInfo<v8::Value>& info, KdfArguments& out) {
  out.md = digest_by_name(to_utf8(info.GetIsolate(), info[0]));
  out.key = unwrap<KeyMaterial>(info[1]);
  out.size = info[4]->IsUint32() ? info[4].As<v8::Uint32>()->Value() : 0;
  if (out.md == nullptr || out.key == nullptr || !out.key->is_secret()) {
    throw_bad_handle(info.GetIsolate());
    return false;
  }
  return true;
}

const unsigned char kEmpty = 0;
const char* secret_or_empty(const KeyMaterial& key) {
  return reinterpret_cast<const char*>(key.secret().empty() ? &kEmpty : key.secret().data());
}

// pbkdf2(hash, handle, salt, iterations, byteLength) -> ArrayBuffer
void Pbkdf2(const v8::FunctionCallbackInfo<v8::Value>& info) {
  KdfArguments args;
  if (!read_kdf_arguments(info, args)) return;
  const ByteView salt = bytes_of(info[2]);
  const uint32_t iterations = info[3].As<v8::Uint32>()->Value();
  SecretBytes out(args.size);
  if (args.size != 0 &&
      PKCS5_PBKDF2_HMAC(secret_or_empty(*args.key), static_cast<int>(args.key->secret().size()),
                        salt.nonnull(), static_cast<int>(salt.size), static_cast<int>(iterations),
                        args.md, static_cast<int>(args.size), out.data()) != 1) {
    return throw_operation_error(info.GetIsolate(), "PBKDF2 failed");
  }
  info.GetReturnValue().Set(new_array_buffer(info.GetIsolate(), out.data(), out.size()));
}

// hkdf(hash, handle, salt, info, byteLength) -> ArrayBuffer. The extract step is an HMAC keyed
// by the salt (RFC 5869 2.2), done here so that an empty input key, which WebCrypto allows,
// works; OpenSSL's HKDF then expands.
void Hkdf(const v8::FunctionCallbackInfo<v8::Value>& info) {
  KdfArguments args;
  if (!read_kdf_arguments(info, args)) return;
  const ByteView salt = bytes_of(info[2]);
  const ByteView context_info = bytes_of(info[3]);
  // An absent salt is a string of HashLen zeros (RFC 5869 2.2).
  const size_t hash_size = static_cast<size_t>(EVP_MD_get_size(args.md));
  const SecretBytes zeros(hash_size);
  const ByteView salt_used = salt.size != 0 ? salt : ByteView{zeros.data(), zeros.size()};
  SecretBytes prk(EVP_MAX_MD_SIZE);
  unsigned int prk_size = 0;
  const std::span<const unsigned char> ikm = args.key->secret();
  if (HMAC(args.md, salt_used.data, static_cast<int>(salt_used.size),
           ikm.empty() ? &kEmpty : ikm.data(), ikm.size(), prk.data(), &prk_size) == nullptr) {
    return throw_operation_error(info.GetIsolate(), "HKDF failed");
  }
  prk.truncate(prk_size);
  Kdf kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr));
  KdfCtx context(kdf == nullptr ? nullptr : EVP_KDF_CTX_new(kdf.get()));
  int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
  char* digest_name = const_cast<char*>(EVP_MD_get0_name(args.md));
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest_name, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, prk.data(), prk.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
                                        const_cast<unsigned char*>(context_info.nonnull()),
                                        context_info.size),
      OSSL_PARAM_construct_end(),
  };
  SecretBytes out(args.size);
  if (context == nullptr ||
      (args.size != 0 && EVP_KDF_derive(context.get(), out.data(), out.size(), params) != 1)) {
    return throw_operation_error(info.GetIsolate(),
                                 "HKDF failed (is the length above 255 "
                                 "times the hash's?)");
  }
  info.GetReturnValue().Set(new_array_buffer(info.GetIsolate(), out.data(), out.size()));
}

// deriveShared(privateHandle, publicHandle) -> ArrayBuffer: the ECDH or X25519 shared secret.
// An all-zero X25519 result (a small-order public key) fails in OpenSSL, as WebCrypto requires.
void DeriveShared(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  const KeyMaterial* own = unwrap<KeyMaterial>(info[0]);
  const KeyMaterial* peer = unwrap<KeyMaterial>(info[1]);
  if (own == nullptr || peer == nullptr || own->is_secret() || peer->is_secret()) {
    return throw_bad_handle(isolate);
  }
  PkeyCtx context(EVP_PKEY_CTX_new_from_pkey(nullptr, own->pkey(), nullptr));
  size_t size = 0;
  if (context == nullptr || EVP_PKEY_derive_init(context.get()) != 1 ||
      EVP_PKEY_derive_set_peer(context.get(), peer->pkey()) != 1 ||
      EVP_PKEY_derive(context.get(), nullptr, &size) != 1) {
    return throw_operation_error(isolate, "key agreement failed");
  }
  SecretBytes secret(size);
  if (EVP_PKEY_derive(context.get(), secret.data(), &size) != 1) {
    return throw_operation_error(isolate, "key agreement failed (a small-order public key?)");
  }
  info.GetReturnValue().Set(new_array_buffer(isolate, secret.data(), size));
}

constexpr NativeFunction kDeriveNatives[] = {
    {"pbkdf2", Pbkdf2, 5},
    {"hkdf", Hkdf, 5},
    {"deriveShared", DeriveShared, 2},
};

}  // namespace

std::span<const NativeFunction> crypto_derive_natives() {
  return kDeriveNatives;
}

}  // namespace wsup::worker::web
