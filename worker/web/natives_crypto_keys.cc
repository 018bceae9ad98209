// Key material in and out of handles, for the SubtleCrypto files: secret bytes, DER
// (SubjectPublicKeyInfo, PKCS #8), raw public keys (EC points, Ed25519/X25519), generation, and
// what a key is (keyInfo). JWK members are natives_crypto_jwk.cc's. JS checks formats, usages,
// extractability and bounds before calling; the natives check the bytes.
#include <openssl/core_names.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "worker/web/crypto_keys.h"
#include "worker/web/crypto_support.h"
#include "worker/web/natives.h"
#include "worker/web/runtime_hooks.h"

namespace wsup::worker::web {
namespace {

using namespace crypto;

// importSecret(BufferSource) -> handle
void ImportSecret(const v8::FunctionCallbackInfo<v8::Value>& info) {
  const ByteView data = bytes_of(info[0]);
  info.GetReturnValue().Set(wrap_handle(
      info.GetIsolate(), std::make_unique<KeyMaterial>(SecretBytes(data.data, data.size))));
}

// generateSecret(byteLength) -> handle of that many random bytes
void GenerateSecret(const v8::FunctionCallbackInfo<v8::Value>& info) {
  if (!random_allowed(info.GetIsolate(), "crypto.subtle.generateKey()")) return;
  const uint32_t size = info[0].As<v8::Uint32>()->Value();
  SecretBytes secret(size);
  if (size != 0 && RAND_bytes(secret.data(), static_cast<int>(size)) != 1) {
    return throw_operation_error(info.GetIsolate(), "the random number generator failed");
  }
  info.GetReturnValue().Set(
      wrap_handle(info.GetIsolate(), std::make_unique<KeyMaterial>(std::move(secret))));
}

// exportSecret(handle) -> ArrayBuffer of the key's bytes
void ExportSecret(const v8::FunctionCallbackInfo<v8::Value>& info) {
  const KeyMaterial* key = unwrap<KeyMaterial>(info[0]);
  if (key == nullptr || !key->is_secret()) return throw_bad_handle(info.GetIsolate());
  info.GetReturnValue().Set(
      new_array_buffer(info.GetIsolate(), key->secret().data(), key->secret().size()));
}

// importSpki(BufferSource) -> handle of a public key, any type (keyInfo says which)
void ImportSpki(const v8::FunctionCallbackInfo<v8::Value>& info) {
  const ByteView data = bytes_of(info[0]);
  const unsigned char* cursor = data.data;
  Pkey pkey(d2i_PUBKEY(nullptr, &cursor, static_cast<long>(data.size)));
  if (pkey == nullptr || cursor != data.data + data.size) {
    return throw_data_error(info.GetIsolate(), "invalid SubjectPublicKeyInfo (spki) data");
  }
  prefer_uncompressed_points(pkey.get());
  info.GetReturnValue().Set(wrap_key(info.GetIsolate(), std::move(pkey), false));
}

// importPkcs8(BufferSource) -> handle of a private key, any type
void ImportPkcs8(const v8::FunctionCallbackInfo<v8::Value>& info) {
  const ByteView data = bytes_of(info[0]);
  const unsigned char* cursor = data.data;
  Pkcs8Info pkcs8(d2i_PKCS8_PRIV_KEY_INFO(nullptr, &cursor, static_cast<long>(data.size)));
  Pkey pkey;
  if (pkcs8 != nullptr && cursor == data.data + data.size) pkey.reset(EVP_PKCS82PKEY(pkcs8.get()));
  if (pkey == nullptr) {
    return throw_data_error(info.GetIsolate(), "invalid PKCS #8 PrivateKeyInfo (pkcs8) data");
  }
  if (!private_key_consistent(pkey.get())) {
    return throw_data_error(info.GetIsolate(), "the pkcs8 private key's parts do not agree");
  }
  prefer_uncompressed_points(pkey.get());
  info.GetReturnValue().Set(wrap_key(info.GetIsolate(), std::move(pkey), true));
}

// importRaw(curve, BufferSource) -> handle of a public key: an EC point (SEC 1 encoding,
// uncompressed or compressed) for 'P-256'/'P-384'/'P-521', 32 bytes for 'Ed25519'/'X25519'.
void ImportRaw(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  const std::string curve = to_utf8(isolate, info[0]);
  const ByteView data = bytes_of(info[1]);
  Pkey pkey;
  if (const int okp = okp_type(curve); okp != EVP_PKEY_NONE) {
    pkey.reset(EVP_PKEY_new_raw_public_key(okp, nullptr, data.nonnull(), data.size));
  } else if (const char* group = ec_group_of(curve); group != nullptr) {
    pkey = ec_key_from(group, data, nullptr);
  }
  if (pkey == nullptr) return throw_data_error(isolate, "invalid raw " + curve + " public key");
  info.GetReturnValue().Set(wrap_key(isolate, std::move(pkey), false));
}

// keyInfo(handle) -> [kind, isPrivate, detail...]: ['secret', false, byteLength],
// ['RSA', p, modulusBits, publicExponent (Uint8Array)], ['EC', p, 'P-256' | 'P-384' | 'P-521'
// | ''], ['Ed25519', p], ['X25519', p], or ['other', p] for key types WebCrypto does not know.
void KeyInfo(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  const KeyMaterial* key = unwrap<KeyMaterial>(info[0]);
  if (key == nullptr) return throw_bad_handle(isolate);
  v8::Local<v8::Value> is_private = v8::Boolean::New(isolate, key->is_private());
  auto text = [isolate](const char* value) {
    return v8::String::NewFromUtf8(isolate, value).ToLocalChecked();
  };
  if (key->is_secret()) {
    v8::Local<v8::Value> parts[] = {
        text("secret"), is_private,
        v8::Number::New(isolate, static_cast<double>(key->secret().size()))};
    return info.GetReturnValue().Set(v8::Array::New(isolate, parts, 3));
  }
  EVP_PKEY* pkey = key->pkey();
  switch (EVP_PKEY_get_base_id(pkey)) {
    case EVP_PKEY_RSA: {
      BIGNUM* exponent = nullptr;
      if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &exponent) != 1) {
        return throw_data_error(isolate, "the RSA key has no public exponent");
      }
      const Bignum owned(exponent);
      const SecretBytes bytes = bignum_bytes(exponent);
      v8::Local<v8::ArrayBuffer> buffer = new_array_buffer(isolate, bytes.data(), bytes.size());
      if (buffer.IsEmpty()) return;  // a RangeError is thrown
      v8::Local<v8::Value> parts[] = {text("RSA"), is_private,
                                      v8::Integer::New(isolate, EVP_PKEY_get_bits(pkey)),
                                      v8::Uint8Array::New(buffer, 0, bytes.size())};
      return info.GetReturnValue().Set(v8::Array::New(isolate, parts, 4));
    }
    case EVP_PKEY_EC: {
      v8::Local<v8::Value> parts[] = {text("EC"), is_private, text(curve_of(pkey))};
      return info.GetReturnValue().Set(v8::Array::New(isolate, parts, 3));
    }
    case EVP_PKEY_ED25519:
    case EVP_PKEY_X25519: {
      const bool ed = EVP_PKEY_get_base_id(pkey) == EVP_PKEY_ED25519;
      v8::Local<v8::Value> parts[] = {text(ed ? "Ed25519" : "X25519"), is_private};
      return info.GetReturnValue().Set(v8::Array::New(isolate, parts, 2));
    }
    default: {
      v8::Local<v8::Value> parts[] = {text("other"), is_private};
      return info.GetReturnValue().Set(v8::Array::New(isolate, parts, 2));
    }
  }
}

// exportSpki(handle) -> ArrayBuffer (DER SubjectPublicKeyInfo of the key's public part)
void ExportSpki(const v8::FunctionCallbackInfo<v8::Value>& info) {
  const KeyMaterial* key = unwrap<KeyMaterial>(info[0]);
  if (key == nullptr || key->is_secret()) return throw_bad_handle(info.GetIsolate());
  unsigned char* der = nullptr;
  const int size = i2d_PUBKEY(key->pkey(), &der);
  if (size <= 0) return throw_operation_error(info.GetIsolate(), "spki encoding failed");
  info.GetReturnValue().Set(new_array_buffer(info.GetIsolate(), der, static_cast<size_t>(size)));
  OPENSSL_free(der);
}

// exportPkcs8(handle) -> ArrayBuffer (DER PKCS #8 PrivateKeyInfo)
void ExportPkcs8(const v8::FunctionCallbackInfo<v8::Value>& info) {
  const KeyMaterial* key = unwrap<KeyMaterial>(info[0]);
  if (key == nullptr || !key->is_private()) return throw_bad_handle(info.GetIsolate());
  Pkcs8Info pkcs8(EVP_PKEY2PKCS8(key->pkey()));
  unsigned char* der = nullptr;
  const int size = pkcs8 == nullptr ? -1 : i2d_PKCS8_PRIV_KEY_INFO(pkcs8.get(), &der);
  if (size <= 0) return throw_operation_error(info.GetIsolate(), "pkcs8 encoding failed");
  info.GetReturnValue().Set(new_array_buffer(info.GetIsolate(), der, static_cast<size_t>(size)));
  OPENSSL_clear_free(der, static_cast<size_t>(size));
}

// exportRaw(handle) -> ArrayBuffer: an EC public point uncompressed, or Ed25519/X25519's 32
// public bytes.
void ExportRaw(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  const KeyMaterial* key = unwrap<KeyMaterial>(info[0]);
  if (key == nullptr || key->is_secret()) return throw_bad_handle(isolate);
  SecretBytes bytes = EVP_PKEY_get_base_id(key->pkey()) == EVP_PKEY_EC
                          ? ec_public_point(key->pkey())
                          : okp_public_bytes(key->pkey());
  if (bytes.size() == 0) return throw_operation_error(isolate, "raw public key export failed");
  info.GetReturnValue().Set(new_array_buffer(isolate, bytes.data(), bytes.size()));
}

// publicKeyOf(handle) -> a new handle holding only the key's public part
void PublicKeyOf(const v8::FunctionCallbackInfo<v8::Value>& info) {
  const KeyMaterial* key = unwrap<KeyMaterial>(info[0]);
  if (key == nullptr || key->is_secret()) return throw_bad_handle(info.GetIsolate());
  Pkey copy = public_part(key->pkey());
  if (copy == nullptr) return throw_operation_error(info.GetIsolate(), "no public key");
  info.GetReturnValue().Set(wrap_key(info.GetIsolate(), std::move(copy), false));
}

// generateRsa(modulusBits, publicExponent BufferSource) -> handle of a private key
void GenerateRsa(const v8::FunctionCallbackInfo<v8::Value>& info) {
  if (!random_allowed(info.GetIsolate(), "crypto.subtle.generateKey()")) return;
  const uint32_t bits = info[0].As<v8::Uint32>()->Value();
  const ByteView exponent_bytes = bytes_of(info[1]);
  Bignum exponent(
      BN_bin2bn(exponent_bytes.nonnull(), static_cast<int>(exponent_bytes.size), nullptr));
  PkeyCtx context(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* made = nullptr;
  if (exponent == nullptr || context == nullptr || EVP_PKEY_keygen_init(context.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_keygen_bits(context.get(), static_cast<int>(bits)) != 1 ||
      EVP_PKEY_CTX_set1_rsa_keygen_pubexp(context.get(), exponent.get()) != 1 ||
      EVP_PKEY_generate(context.get(), &made) != 1) {
    return throw_operation_error(info.GetIsolate(), "RSA key generation failed");
  }
  info.GetReturnValue().Set(wrap_key(info.GetIsolate(), Pkey(made), true));
}

// generateKeyPair(curve) -> handle of a private key on 'P-256'/'P-384'/'P-521', or an
// 'Ed25519'/'X25519' one
void GenerateKeyPair(const v8::FunctionCallbackInfo<v8::Value>& info) {
  if (!random_allowed(info.GetIsolate(), "crypto.subtle.generateKey()")) return;
  v8::Isolate* isolate = info.GetIsolate();
  const std::string curve = to_utf8(isolate, info[0]);
  Pkey pkey;
  if (const char* group = ec_group_of(curve); group != nullptr) {
    pkey.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", group));
  } else if (curve == "Ed25519" || curve == "X25519") {
    pkey.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, curve == "Ed25519" ? "ED25519" : "X25519"));
  }
  if (pkey == nullptr) return throw_operation_error(isolate, curve + " key generation failed");
  prefer_uncompressed_points(pkey.get());
  info.GetReturnValue().Set(wrap_key(isolate, std::move(pkey), true));
}

constexpr NativeFunction kKeyNatives[] = {
    {"importSecret", ImportSecret, 1},
    {"generateSecret", GenerateSecret, 1},
    {"exportSecret", ExportSecret, 1},
    {"importSpki", ImportSpki, 1},
    {"importPkcs8", ImportPkcs8, 1},
    {"importRaw", ImportRaw, 2},
    {"keyInfo", KeyInfo, 1},
    {"exportSpki", ExportSpki, 1},
    {"exportPkcs8", ExportPkcs8, 1},
    {"exportRaw", ExportRaw, 1},
    {"publicKeyOf", PublicKeyOf, 1},
    {"generateRsa", GenerateRsa, 2},
    {"generateKeyPair", GenerateKeyPair, 1},
};

}  // namespace

std::span<const NativeFunction> crypto_key_natives() {
  return kKeyNatives;
}

}  // namespace wsup::worker::web
