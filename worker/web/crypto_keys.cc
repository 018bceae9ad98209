#include "worker/web/crypto_keys.h"

#include <cstring>

#include <openssl/core_names.h>
#include <openssl/err.h>

namespace wsup::worker::web::crypto {
namespace {

struct Curve {
  std::string_view webcrypto;
  const char* openssl;
};
constexpr Curve kCurves[] = {
    {"P-256", "prime256v1"}, {"P-384", "secp384r1"}, {"P-521", "secp521r1"}};

using BnCtx = OpenSslPtr<BN_CTX, BN_CTX_free>;

Bignum get_bn(EVP_PKEY* pkey, const char* name) {
  BIGNUM* value = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &value) != 1) return nullptr;
  return Bignum(value);
}

// a == b mod m, for the RSA checks below.
bool congruent_mod(const BIGNUM* a, const BIGNUM* b, const BIGNUM* m, BN_CTX* ctx) {
  Bignum ra(BN_new()), rb(BN_new());
  return ra != nullptr && rb != nullptr && BN_nnmod(ra.get(), a, m, ctx) == 1 &&
         BN_nnmod(rb.get(), b, m, ctx) == 1 && BN_cmp(ra.get(), rb.get()) == 0;
}

bool rsa_private_consistent(EVP_PKEY* pkey) {
  Bignum n = get_bn(pkey, OSSL_PKEY_PARAM_RSA_N), e = get_bn(pkey, OSSL_PKEY_PARAM_RSA_E),
         d = get_bn(pkey, OSSL_PKEY_PARAM_RSA_D), p = get_bn(pkey, OSSL_PKEY_PARAM_RSA_FACTOR1),
         q = get_bn(pkey, OSSL_PKEY_PARAM_RSA_FACTOR2),
         dp = get_bn(pkey, OSSL_PKEY_PARAM_RSA_EXPONENT1),
         dq = get_bn(pkey, OSSL_PKEY_PARAM_RSA_EXPONENT2),
         qi = get_bn(pkey, OSSL_PKEY_PARAM_RSA_COEFFICIENT1);
  if (!n || !e || !d || !p || !q || !dp || !dq || !qi) return false;
  BnCtx ctx(BN_CTX_new());
  Bignum product(BN_new()), p1(BN_dup(p.get())), q1(BN_dup(q.get())), ed(BN_new()), one(BN_new()),
      qq(BN_new());
  if (!ctx || !product || !p1 || !q1 || !ed || !one || !qq || BN_one(one.get()) != 1 ||
      BN_mul(product.get(), p.get(), q.get(), ctx.get()) != 1 ||
      BN_cmp(product.get(), n.get()) != 0 || BN_sub_word(p1.get(), 1) != 1 ||
      BN_sub_word(q1.get(), 1) != 1 || BN_is_zero(p1.get()) || BN_is_zero(q1.get()) ||
      BN_mul(ed.get(), e.get(), d.get(), ctx.get()) != 1 ||
      BN_mul(qq.get(), qi.get(), q.get(), ctx.get()) != 1) {
    return false;
  }
  return congruent_mod(ed.get(), one.get(), p1.get(), ctx.get()) &&
         congruent_mod(ed.get(), one.get(), q1.get(), ctx.get()) &&
         congruent_mod(dp.get(), d.get(), p1.get(), ctx.get()) &&
         congruent_mod(dq.get(), d.get(), q1.get(), ctx.get()) &&
         congruent_mod(qq.get(), one.get(), p.get(), ctx.get());
}

bool ec_checks(EVP_PKEY* pkey, bool with_private) {
  PkeyCtx check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  if (check == nullptr || EVP_PKEY_public_check_quick(check.get()) != 1) return false;
  return !with_private ||
         (EVP_PKEY_private_check(check.get()) == 1 && EVP_PKEY_pairwise_check(check.get()) == 1);
}

}  // namespace

const char* ec_group_of(std::string_view curve) {
  for (const Curve& each : kCurves)
    if (each.webcrypto == curve) return each.openssl;
  return nullptr;
}

int okp_type(std::string_view curve) {
  if (curve == "Ed25519") return EVP_PKEY_ED25519;
  if (curve == "X25519") return EVP_PKEY_X25519;
  return EVP_PKEY_NONE;
}

const char* curve_of(EVP_PKEY* pkey) {
  char group[64] = {};
  size_t length = 0;
  if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                     &length) != 1) {
    return "";
  }
  for (const Curve& each : kCurves)
    if (std::strcmp(each.openssl, group) == 0) return each.webcrypto.data();
  return "";
}

size_t ec_coordinate_size(EVP_PKEY* pkey) {
  return (static_cast<size_t>(EVP_PKEY_get_bits(pkey)) + 7) / 8;
}

Pkey ec_key_from(const char* group, ByteView point, const BIGNUM* private_scalar) {
  ParamBuilder builder(OSSL_PARAM_BLD_new());
  if (builder == nullptr || point.size == 0 ||
      OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data,
                                       point.size) != 1 ||
      (private_scalar != nullptr &&
       OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_PRIV_KEY, private_scalar) != 1)) {
    return nullptr;
  }
  Params params(OSSL_PARAM_BLD_to_param(builder.get()));
  PkeyCtx context(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* made = nullptr;
  if (params == nullptr || context == nullptr || EVP_PKEY_fromdata_init(context.get()) != 1 ||
      EVP_PKEY_fromdata(context.get(), &made,
                        private_scalar != nullptr ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                        params.get()) != 1) {
    return nullptr;
  }
  Pkey pkey(made);
  prefer_uncompressed_points(pkey.get());
  if (!ec_checks(pkey.get(), private_scalar != nullptr)) return nullptr;
  return pkey;
}

SecretBytes ec_public_point(EVP_PKEY* pkey) {
  Bignum x = get_bn(pkey, OSSL_PKEY_PARAM_EC_PUB_X);
  Bignum y = get_bn(pkey, OSSL_PKEY_PARAM_EC_PUB_Y);
  const size_t size = ec_coordinate_size(pkey);
  if (!x || !y) return SecretBytes();
  SecretBytes point(1 + 2 * size);
  point.data()[0] = 0x04;
  if (BN_bn2binpad(x.get(), point.data() + 1, static_cast<int>(size)) < 0 ||
      BN_bn2binpad(y.get(), point.data() + 1 + size, static_cast<int>(size)) < 0) {
    return SecretBytes();
  }
  return point;
}

SecretBytes okp_public_bytes(EVP_PKEY* pkey) {
  size_t size = 0;
  if (EVP_PKEY_get_raw_public_key(pkey, nullptr, &size) != 1) return SecretBytes();
  SecretBytes bytes(size);
  if (EVP_PKEY_get_raw_public_key(pkey, bytes.data(), &size) != 1) return SecretBytes();
  return bytes;
}

Pkey public_part(EVP_PKEY* pkey) {
  unsigned char* der = nullptr;
  const int size = i2d_PUBKEY(pkey, &der);
  if (size <= 0) return nullptr;
  const unsigned char* cursor = der;
  Pkey copy(d2i_PUBKEY(nullptr, &cursor, size));
  OPENSSL_free(der);
  if (copy != nullptr) prefer_uncompressed_points(copy.get());
  return copy;
}

void prefer_uncompressed_points(EVP_PKEY* pkey) {
  if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC) return;
  // Failing leaves the key as it was decoded; exports then still carry a valid point.
  if (EVP_PKEY_set_utf8_string_param(pkey, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                     "uncompressed") != 1) {
    ERR_clear_error();
  }
}

bool private_key_consistent(EVP_PKEY* pkey) {
  switch (EVP_PKEY_get_base_id(pkey)) {
    case EVP_PKEY_RSA:
      return rsa_private_consistent(pkey);
    case EVP_PKEY_EC:
      return ec_checks(pkey, true);
    default:
      return true;
  }
}

}  // namespace wsup::worker::web::crypto
