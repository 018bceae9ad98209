// Key helpers shared by the key natives (natives_crypto_keys.cc) and the JWK natives
// (natives_crypto_jwk.cc): WebCrypto's curve names to OpenSSL's, EC keys from their public
// point (and private scalar), public parts, and the consistency checks run on imported private
// keys.
#pragma once

#include <string_view>

#include "worker/web/crypto_support.h"

namespace wsup::worker::web::crypto {

// OpenSSL's group name for 'P-256' / 'P-384' / 'P-521'; nullptr for anything else.
const char* ec_group_of(std::string_view curve);
// EVP_PKEY_ED25519 / EVP_PKEY_X25519 for 'Ed25519' / 'X25519'; EVP_PKEY_NONE otherwise.
int okp_type(std::string_view curve);
// WebCrypto's name for an EC key's curve, or "" when it is none of the three.
const char* curve_of(EVP_PKEY* pkey);
// Bytes of one coordinate of the curve's points (32, 48, 66).
size_t ec_coordinate_size(EVP_PKEY* pkey);

// An EC key on `group` from a SEC 1 encoded point and, for a private key, its scalar; checked
// (point on the curve, not infinity; scalar in range and matching the point). nullptr when
// the data is not a valid key.
Pkey ec_key_from(const char* group, ByteView point, const BIGNUM* private_scalar);

// The uncompressed SEC 1 encoding of an EC key's public point (0x04 || x || y).
SecretBytes ec_public_point(EVP_PKEY* pkey);
// The raw public bytes of an Ed25519 / X25519 key.
SecretBytes okp_public_bytes(EVP_PKEY* pkey);

// A copy of the key holding only its public part.
Pkey public_part(EVP_PKEY* pkey);

// EC keys decoded from a compressed point would be exported compressed; WebCrypto exports
// uncompressed points (what every implementation expects back).
void prefer_uncompressed_points(EVP_PKEY* pkey);

// Whether a private key's parts agree with each other: for RSA, n = p*q and d, dp, dq, qi
// consistent with e, p and q (no primality test: that would cost milliseconds); for EC, the
// public point is the scalar's; Ed25519 and X25519 keep no separate public part.
bool private_key_consistent(EVP_PKEY* pkey);

}  // namespace wsup::worker::web::crypto
