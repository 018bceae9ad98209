// JSON Web Key members (RFC 7517/7518) in and out of key handles. JS converts the JWK
// dictionary, checks kty/alg/use/key_ops/ext and passes the key's members as strings in a fixed
// order per key kind; these natives decode them (strict base64url), build and check the key,
// and encode them back. Secret members are decoded into wiped buffers, never into JS ones.
#include <openssl/core_names.h>

#include <algorithm>
#include <array>
#include <optional>

#include "worker/web/crypto_keys.h"
#include "worker/web/crypto_support.h"
#include "worker/web/natives.h"

namespace wsup::worker::web {
namespace {

using namespace crypto;

// The members of each kind, in the order of `members` (the same order comes back from export):
//   oct: k      RSA: n e d p q dp dq qi      EC: x y d      OKP (Ed25519, X25519): x d
constexpr std::array<const char*, 8> kRsaParams = {
    OSSL_PKEY_PARAM_RSA_N,         OSSL_PKEY_PARAM_RSA_E,           OSSL_PKEY_PARAM_RSA_D,
    OSSL_PKEY_PARAM_RSA_FACTOR1,   OSSL_PKEY_PARAM_RSA_FACTOR2,     OSSL_PKEY_PARAM_RSA_EXPONENT1,
    OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1};

// The decoded members; nullopt for an absent member (undefined).
class Members {
 public:
  // False (with a DataError thrown) when a present member is not base64url.
  bool read(v8::Isolate* isolate, v8::Local<v8::Array> members) {
    v8::Local<v8::Context> context = isolate->GetCurrentContext();
    for (uint32_t i = 0; i < members->Length() && i < values_.size(); ++i) {
      v8::Local<v8::Value> member;
      if (!members->Get(context, i).ToLocal(&member)) return false;
      if (member->IsUndefined()) continue;
      SecretBytes bytes;
      if (!member->IsString() || !base64url_decode(to_utf8(isolate, member), bytes)) {
        throw_data_error(isolate, "a JWK member is not base64url without padding");
        return false;
      }
      values_[i] = std::move(bytes);
    }
    return true;
  }
  bool has(size_t i) const { return values_[i].has_value(); }
  const SecretBytes& at(size_t i) const { return *values_[i]; }
  ByteView view(size_t i) const { return {at(i).data(), at(i).size()}; }

 private:
  std::array<std::optional<SecretBytes>, 8> values_;
};

Bignum to_bignum(const SecretBytes& bytes) {
  return Bignum(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
}

Pkey rsa_from(const Members& members) {
  const bool is_private = members.has(2);
  const size_t count = is_private ? kRsaParams.size() : 2;
  for (size_t i = 0; i < count; ++i)
    if (!members.has(i) || members.at(i).size() == 0) return nullptr;
  std::array<Bignum, 8> numbers;
  ParamBuilder builder(OSSL_PARAM_BLD_new());
  if (builder == nullptr) return nullptr;
  for (size_t i = 0; i < count; ++i) {
    numbers[i] = to_bignum(members.at(i));
    if (numbers[i] == nullptr ||
        OSSL_PARAM_BLD_push_BN(builder.get(), kRsaParams[i], numbers[i].get()) != 1) {
      return nullptr;
    }
  }
  // A public exponent is odd and above 1, a modulus odd: anything else is no RSA key.
  if (!BN_is_odd(numbers[0].get()) || !BN_is_odd(numbers[1].get()) || BN_is_one(numbers[1].get()))
    return nullptr;
  Params params(OSSL_PARAM_BLD_to_param(builder.get()));
  PkeyCtx context(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* made = nullptr;
  if (params == nullptr || context == nullptr || EVP_PKEY_fromdata_init(context.get()) != 1 ||
      EVP_PKEY_fromdata(context.get(), &made, is_private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                        params.get()) != 1) {
    return nullptr;
  }
  Pkey pkey(made);
  if (is_private && !private_key_consistent(pkey.get())) return nullptr;
  return pkey;
}

Pkey ec_from(const char* group, const Members& members) {
  if (!members.has(0) || !members.has(1)) return nullptr;
  // RFC 7518 6.2.1: x and y are the full size of a coordinate, d the full size of the order
  // (the same sizes for the three NIST curves).
  const size_t size = members.at(0).size();
  if (size == 0 || members.at(1).size() != size || (members.has(2) && members.at(2).size() != size))
    return nullptr;
  SecretBytes point(1 + 2 * size);
  point.data()[0] = 0x04;
  std::copy_n(members.at(0).data(), size, point.data() + 1);
  std::copy_n(members.at(1).data(), size, point.data() + 1 + size);
  Bignum scalar = members.has(2) ? to_bignum(members.at(2)) : nullptr;
  if (members.has(2) && scalar == nullptr) return nullptr;
  Pkey pkey = ec_key_from(group, {point.data(), point.size()}, scalar.get());
  if (pkey != nullptr && ec_coordinate_size(pkey.get()) != size) return nullptr;
  return pkey;
}

Pkey okp_from(int type, const Members& members) {
  if (!members.has(0)) return nullptr;
  if (!members.has(1)) {
    return Pkey(EVP_PKEY_new_raw_public_key(type, nullptr, members.view(0).nonnull(),
                                            members.at(0).size()));
  }
  Pkey pkey(
      EVP_PKEY_new_raw_private_key(type, nullptr, members.view(1).nonnull(), members.at(1).size()));
  if (pkey == nullptr) return nullptr;
  // The public member must be the private key's.
  const SecretBytes derived = okp_public_bytes(pkey.get());
  if (derived.size() != members.at(0).size() ||
      CRYPTO_memcmp(derived.data(), members.at(0).data(), derived.size()) != 0) {
    return nullptr;
  }
  return pkey;
}

// importJwk(kind, members) -> handle; kind is 'oct', 'RSA', 'P-256' / 'P-384' / 'P-521', or
// 'Ed25519' / 'X25519'; members as listed above, absent ones undefined.
void ImportJwk(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  const std::string kind = to_utf8(isolate, info[0]);
  Members members;
  if (!info[1]->IsArray() || !members.read(isolate, info[1].As<v8::Array>())) return;
  if (kind == "oct") {
    if (!members.has(0)) return throw_data_error(isolate, "the JWK has no 'k' member");
    const ByteView k = members.view(0);
    info.GetReturnValue().Set(
        wrap_handle(isolate, std::make_unique<KeyMaterial>(SecretBytes(k.data, k.size))));
    return;
  }
  Pkey pkey;
  bool is_private = false;
  if (kind == "RSA") {
    pkey = rsa_from(members);
    is_private = members.has(2);
  } else if (const char* group = ec_group_of(kind); group != nullptr) {
    pkey = ec_from(group, members);
    is_private = members.has(2);
  } else if (const int type = okp_type(kind); type != EVP_PKEY_NONE) {
    pkey = okp_from(type, members);
    is_private = members.has(1);
  }
  if (pkey == nullptr)
    return throw_data_error(isolate, "the JWK does not hold a valid " + kind + " key");
  info.GetReturnValue().Set(wrap_key(isolate, std::move(pkey), is_private));
}

class Encoder {
 public:
  explicit Encoder(v8::Isolate* isolate) : isolate_(isolate) {}
  void add(const SecretBytes& bytes) {
    if (bytes.size() == 0) failed_ = true;
    const std::string text = base64url_encode(bytes.data(), bytes.size());
    values_.push_back(one_byte_string(isolate_, text.data(), static_cast<int>(text.size())));
  }
  void add_bn(EVP_PKEY* pkey, const char* name, size_t size = 0) {
    BIGNUM* value = nullptr;
    if (EVP_PKEY_get_bn_param(pkey, name, &value) != 1) {
      failed_ = true;
      return;
    }
    const Bignum owned(value);
    add(bignum_bytes(value, size));
  }
  // The array of members, or an OperationError.
  void finish(const v8::FunctionCallbackInfo<v8::Value>& info) {
    if (failed_) return throw_operation_error(isolate_, "JWK export failed");
    info.GetReturnValue().Set(v8::Array::New(isolate_, values_.data(), values_.size()));
  }

 private:
  v8::Isolate* isolate_;
  std::vector<v8::Local<v8::Value>> values_;
  bool failed_ = false;
};

// exportJwk(handle) -> the key's members as base64url strings, in the order listed above
// (public keys stop after their public members).
void ExportJwk(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  const KeyMaterial* key = unwrap<KeyMaterial>(info[0]);
  if (key == nullptr) return throw_bad_handle(isolate);
  Encoder encoder(isolate);
  if (key->is_secret()) {
    encoder.add(SecretBytes(key->secret().data(), key->secret().size()));
    return encoder.finish(info);
  }
  EVP_PKEY* pkey = key->pkey();
  switch (EVP_PKEY_get_base_id(pkey)) {
    case EVP_PKEY_RSA:
      for (size_t i = 0; i < (key->is_private() ? kRsaParams.size() : 2); ++i)
        encoder.add_bn(pkey, kRsaParams[i]);
      break;
    case EVP_PKEY_EC: {
      const SecretBytes point = ec_public_point(pkey);
      const size_t size = ec_coordinate_size(pkey);
      if (point.size() != 1 + 2 * size) return throw_operation_error(isolate, "JWK export failed");
      encoder.add(SecretBytes(point.data() + 1, size));
      encoder.add(SecretBytes(point.data() + 1 + size, size));
      if (key->is_private()) encoder.add_bn(pkey, OSSL_PKEY_PARAM_PRIV_KEY, size);
      break;
    }
    case EVP_PKEY_ED25519:
    case EVP_PKEY_X25519: {
      encoder.add(okp_public_bytes(pkey));
      if (key->is_private()) {
        size_t size = 0;
        EVP_PKEY_get_raw_private_key(pkey, nullptr, &size);
        SecretBytes secret(size);
        if (EVP_PKEY_get_raw_private_key(pkey, secret.data(), &size) != 1) secret.truncate(0);
        encoder.add(secret);
      }
      break;
    }
    default:
      return throw_operation_error(isolate, "JWK export of this key type is not supported");
  }
  encoder.finish(info);
}

constexpr NativeFunction kJwkNatives[] = {
    {"importJwk", ImportJwk, 2},
    {"exportJwk", ExportJwk, 1},
};

}  // namespace

std::span<const NativeFunction> crypto_jwk_natives() {
  return kJwkNatives;
}

}  // namespace wsup::worker::web
