// Signatures and MACs for SubtleCrypto's sign/verify: HMAC, RSASSA-PKCS1-v1_5, RSA-PSS, ECDSA
// (WebCrypto's r || s form, converted from and to OpenSSL's DER) and Ed25519. JS has checked the
// algorithm against the key, its usages and its type; a verification that fails for any reason
// is `false`, never an error (WebCrypto), a signing that fails is an OperationError.
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>

#include "worker/web/crypto_keys.h"
#include "worker/web/crypto_support.h"
#include "worker/web/natives.h"

namespace wsup::worker::web {
namespace {

using namespace crypto;

// The HMAC of `data` under the secret `key`; false when OpenSSL fails.
bool hmac_of(const EVP_MD* md, const KeyMaterial& key, ByteView data, unsigned char* out,
             unsigned int* size) {
  const std::span<const unsigned char> secret = key.secret();
  static const unsigned char kNoKey = 0;
  return HMAC(md, secret.empty() ? &kNoKey : secret.data(), static_cast<int>(secret.size()),
              data.nonnull(), data.size, out, size) != nullptr;
}

struct HmacArguments {
  const EVP_MD* md;
  const KeyMaterial* key;
};
// (hash, handle, ...): null key when an argument is not what JS should pass (thrown).
HmacArguments hmac_arguments(const v8::FunctionCallbackInfo<v8::Value>& info) {
  const EVP_MD* md = digest_by_name(to_utf8(info.GetIsolate(), info[0]));
  const KeyMaterial* key = unwrap<KeyMaterial>(info[1]);
  if (md == nullptr || key == nullptr || !key->is_secret()) {
    throw_bad_handle(info.GetIsolate());
    return {nullptr, nullptr};
  }
  return {md, key};
}

// hmacSign(hash, handle, data) -> ArrayBuffer
void HmacSign(const v8::FunctionCallbackInfo<v8::Value>& info) {
  const HmacArguments args = hmac_arguments(info);
  if (args.key == nullptr) return;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (!hmac_of(args.md, *args.key, bytes_of(info[2]), mac, &size)) {
    return throw_operation_error(info.GetIsolate(), "HMAC computation failed");
  }
  info.GetReturnValue().Set(new_array_buffer(info.GetIsolate(), mac, size));
}

// hmacVerify(hash, handle, signature, data) -> boolean, compared in constant time
void HmacVerify(const v8::FunctionCallbackInfo<v8::Value>& info) {
  const HmacArguments args = hmac_arguments(info);
  if (args.key == nullptr) return;
  const ByteView signature = bytes_of(info[2]);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (!hmac_of(args.md, *args.key, bytes_of(info[3]), mac, &size)) {
    return throw_operation_error(info.GetIsolate(), "HMAC computation failed");
  }
  info.GetReturnValue().Set(signature.size == size &&
                            CRYPTO_memcmp(signature.data, mac, size) == 0);
}

enum class Scheme { pkcs1, pss, ecdsa, ed25519, unknown };
Scheme scheme_of(const std::string& name) {
  if (name == "RSASSA-PKCS1-v1_5") return Scheme::pkcs1;
  if (name == "RSA-PSS") return Scheme::pss;
  if (name == "ECDSA") return Scheme::ecdsa;
  if (name == "Ed25519") return Scheme::ed25519;
  return Scheme::unknown;
}

// Arguments of sign and verify: (scheme, handle, hash, signature?, data, saltLength).
struct SignArguments {
  Scheme scheme = Scheme::unknown;
  const KeyMaterial* key = nullptr;
  const EVP_MD* md = nullptr;  // null for Ed25519
  int salt_length = 0;
};
bool read_sign_arguments(const v8::FunctionCallbackInfo<v8::Value>& info, int salt_index,
                         SignArguments& out) {
  out.scheme = scheme_of(to_utf8(info.GetIsolate(), info[0]));
  out.key = unwrap<KeyMaterial>(info[1]);
  out.md =
      out.scheme == Scheme::ed25519 ? nullptr : digest_by_name(to_utf8(info.GetIsolate(), info[2]));
  if (out.scheme == Scheme::unknown || out.key == nullptr || out.key->is_secret() ||
      (out.md == nullptr && out.scheme != Scheme::ed25519)) {
    throw_bad_handle(info.GetIsolate());
    return false;
  }
  out.salt_length = info[salt_index]->IsUint32() ? info[salt_index].As<v8::Uint32>()->Value() : 0;
  return true;
}

// A DigestSign/DigestVerify context set up for the scheme; null on failure.
MdCtx start(const SignArguments& args, bool signing) {
  MdCtx context(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pkey_context = nullptr;
  if (context == nullptr) return nullptr;
  const int started =
      signing ? EVP_DigestSignInit_ex(context.get(), &pkey_context,
                                      args.md == nullptr ? nullptr : EVP_MD_get0_name(args.md),
                                      nullptr, nullptr, args.key->pkey(), nullptr)
              : EVP_DigestVerifyInit_ex(context.get(), &pkey_context,
                                        args.md == nullptr ? nullptr : EVP_MD_get0_name(args.md),
                                        nullptr, nullptr, args.key->pkey(), nullptr);
  if (started != 1) return nullptr;
  if (args.scheme == Scheme::pkcs1 &&
      EVP_PKEY_CTX_set_rsa_padding(pkey_context, RSA_PKCS1_PADDING) != 1) {
    return nullptr;
  }
  if (args.scheme == Scheme::pss &&
      (EVP_PKEY_CTX_set_rsa_padding(pkey_context, RSA_PKCS1_PSS_PADDING) != 1 ||
       EVP_PKEY_CTX_set_rsa_mgf1_md(pkey_context, args.md) != 1 ||
       EVP_PKEY_CTX_set_rsa_pss_saltlen(pkey_context, args.salt_length) != 1)) {
    return nullptr;
  }
  return context;
}

// ECDSA: OpenSSL's DER (SEQUENCE of r, s) to WebCrypto's r || s, each `size` bytes, and back.
SecretBytes der_to_raw(const unsigned char* der, size_t der_size, size_t size) {
  const unsigned char* cursor = der;
  EcdsaSig sig(d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(der_size)));
  if (sig == nullptr) return SecretBytes();
  SecretBytes raw(2 * size);
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), raw.data(), static_cast<int>(size)) < 0 ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), raw.data() + size, static_cast<int>(size)) < 0) {
    return SecretBytes();
  }
  return raw;
}
SecretBytes raw_to_der(ByteView raw, size_t size) {
  if (raw.size != 2 * size) return SecretBytes();
  EcdsaSig sig(ECDSA_SIG_new());
  Bignum r(BN_bin2bn(raw.data, static_cast<int>(size), nullptr));
  Bignum s(BN_bin2bn(raw.data + size, static_cast<int>(size), nullptr));
  if (sig == nullptr || r == nullptr || s == nullptr ||
      ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) {
    return SecretBytes();
  }
  r.release();  // owned by sig now
  s.release();
  unsigned char* der = nullptr;
  const int der_size = i2d_ECDSA_SIG(sig.get(), &der);
  if (der_size <= 0) return SecretBytes();
  SecretBytes out(der, static_cast<size_t>(der_size));
  OPENSSL_free(der);
  return out;
}

// sign(scheme, handle, hash, data, saltLength) -> ArrayBuffer
void Sign(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  SignArguments args;
  if (!read_sign_arguments(info, 4, args)) return;
  const ByteView data = bytes_of(info[3]);
  MdCtx context = start(args, true);
  size_t size = 0;
  if (context == nullptr ||
      EVP_DigestSign(context.get(), nullptr, &size, data.nonnull(), data.size) != 1) {
    return throw_operation_error(isolate, "signing failed (is the key too small for the hash?)");
  }
  SecretBytes signature(size);
  if (EVP_DigestSign(context.get(), signature.data(), &size, data.nonnull(), data.size) != 1) {
    return throw_operation_error(isolate, "signing failed");
  }
  signature.truncate(size);
  if (args.scheme == Scheme::ecdsa) {
    signature =
        der_to_raw(signature.data(), signature.size(), ec_coordinate_size(args.key->pkey()));
    if (signature.size() == 0) return throw_operation_error(isolate, "signing failed");
  }
  info.GetReturnValue().Set(new_array_buffer(isolate, signature.data(), signature.size()));
}

// verify(scheme, handle, hash, signature, data, saltLength) -> boolean
void Verify(const v8::FunctionCallbackInfo<v8::Value>& info) {
  SignArguments args;
  if (!read_sign_arguments(info, 5, args)) return;
  ByteView signature = bytes_of(info[3]);
  const ByteView data = bytes_of(info[4]);
  SecretBytes der;
  if (args.scheme == Scheme::ecdsa) {
    der = raw_to_der(signature, ec_coordinate_size(args.key->pkey()));
    if (der.size() == 0) return info.GetReturnValue().Set(false);
    signature = {der.data(), der.size()};
  }
  MdCtx context = start(args, false);
  const bool valid =
      context != nullptr && EVP_DigestVerify(context.get(), signature.nonnull(), signature.size,
                                             data.nonnull(), data.size) == 1;
  ERR_clear_error();  // a bad signature leaves errors behind
  info.GetReturnValue().Set(valid);
}

constexpr NativeFunction kSignNatives[] = {
    {"hmacSign", HmacSign, 3},
    {"hmacVerify", HmacVerify, 4},
    {"sign", Sign, 5},
    {"verify", Verify, 6},
};

}  // namespace

std::span<const NativeFunction> crypto_sign_natives() {
  return kSignNatives;
}

}  // namespace wsup::worker::web
