// SubtleCrypto's public-key algorithms against the standards' known answers: RFC 8032 (Ed25519),
// RFC 7748 (X25519), the JWS examples of RFC 7515 appendix A (HS256, RS256, ES256), and round
// trips of what has no fixed answer (ECDSA and RSA-PSS signatures, RSA-OAEP, ECDH).
#include "tests/worker/web/subtle_test_support.h"

namespace wsup::test {
namespace {

using AsymmetricTest = SubtleTest;

// Ed25519 and X25519 private keys as PKCS #8 (RFC 8410): a fixed prefix, then the 32 bytes.
constexpr const char* kOkp = R"JS(
  const pkcs8 = (prefix, seedHex) => unhex(prefix + seedHex);
  const ed25519Pkcs8 = (seedHex) => pkcs8('302e020100300506032b657004220420', seedHex);
  const x25519Pkcs8 = (seedHex) => pkcs8('302e020100300506032b656e04220420', seedHex);
  const ed25519 = async (seedHex, messageHex) => {
    const key = await subtle.importKey('pkcs8', ed25519Pkcs8(seedHex), 'Ed25519', true, ['sign']);
    const jwk = await subtle.exportKey('jwk', key);
    const pub = await subtle.importKey('jwk', {kty: 'OKP', crv: 'Ed25519', x: jwk.x}, 'Ed25519',
                                       true, ['verify']);
    const signature = await subtle.sign('Ed25519', key, unhex(messageHex));
    const ok = await subtle.verify('Ed25519', pub, signature, unhex(messageHex));
    return hex(await subtle.exportKey('raw', pub)) + ' ' + hex(signature) + (ok ? '' : ' !');
  };
)JS";

TEST_F(AsymmetricTest, Ed25519MatchesRfc8032) {
  const std::string run = kOkp;
  EXPECT_EQ(Run(run + "return ed25519("
                      "'9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', '');"),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a "
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
            "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
  EXPECT_EQ(Run(run + "return ed25519("
                      "'4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb', '72');"),
            "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c "
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
            "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00");
  EXPECT_EQ(
      Run(run + "return ed25519("
                "'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7', 'af82');"),
      "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025 "
      "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
      "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a");
}

TEST_F(AsymmetricTest, X25519MatchesRfc7748) {
  const std::string run = kOkp;
  // Section 6.1: Alice's and Bob's keys, public keys and shared secret.
  EXPECT_EQ(
      Run(run +
          "const alice = await subtle.importKey('pkcs8', x25519Pkcs8("
          "  '77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'), 'X25519', true,"
          "  ['deriveBits']);"
          "const bobPublic = await subtle.importKey('raw', unhex("
          "  'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f'), 'X25519', true,"
          "  []);"
          "const alicePublic = (await subtle.exportKey('jwk', alice)).x;"
          "const shared = await subtle.deriveBits({name: 'X25519', public: bobPublic}, alice, 256);"
          "return hex(unb64url(alicePublic)) + ' ' + hex(shared);"),
      "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a "
      "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
  // A public key of small order gives the all-zero secret, which X25519 refuses.
  EXPECT_EQ(Run(run + "const key = (await subtle.generateKey('X25519', false, ['deriveBits']))"
                      "  .privateKey;"
                      "const zero = await subtle.importKey('raw', new Uint8Array(32), 'X25519', "
                      "  true, []);"
                      "return subtle.deriveBits({name: 'X25519', public: zero}, key, 256)"
                      "  .catch((e) => e.name);"),
            "OperationError");
}

// RFC 7515 appendix A: the payload, and the JWS signing input of each example's header.
constexpr const char* kJws = R"JS(
  const payload = 'eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNv' +
                  'bS9pc19yb290Ijp0cnVlfQ';
  const input = (header) => text(header + '.' + payload);
  const rsaJwk = {
    kty: 'RSA',
    n: 'ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt' +
       '0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXn' +
       'dS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5Ih' +
       'lJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ',
    e: 'AQAB',
    d: 'Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5sLKMgvfTeXZx9SE-7YwVol' +
       '2NXOoAJe46sui395IW_GO-pWJ1O0BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzjkn439' +
       'X0M_V51gfpRLI9JYanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYTCBr6XCLQUShb1juUO1ZdiYoFaFQT5Tw8bG' +
       'Ul_x_jTj3ccPDVZFD9pIuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ',
    p: '4BzEEOtIpmVdVEZNCqS7baC4crd0pqnRH_5IB3jw3bcxGn6QLvnEtfdUdiYrqBdss1l58BQ3KhooKeQTa9AB0Hw_' +
       'Py5PJdTJNPY8cQn7ouZ2KKDcmnPGBY5t7yLc1QlQ5xHdwW1VhvKn-nXqhJTBgIPgtldC-KDV5z-y2XDwGUc',
    q: 'uQPEfgmVtjL0Uyyx88GZFF1fOunH3-7cepKmtH4pxhtCoHqpWmT8YAmZxaewHgHAjLYsp1ZSe7zFYHj7C6ul7Tje' +
       'LQeZD_YwD66t62wDmpe_HlB-TnBA-njbglfIsRLtXlnDzQkv5dTltRJ11BKBBypeeF6689rjcJIDEz9RWdc',
    dp: 'BwKfV3Akq5_MFZDFZCnW-wzl-CCo83WoZvnLQwCTeDv8uzluRSnm71I3QCLdhrqE2e9YkxvuxdBfpT_PI7Yz-FO' +
        'Knu1R6HsJeDCjn12Sk3vmAktV2zb34MCdy7cpdTh_YVr7tss2u6vneTwrA86rZtu5Mbr1C1XsmvkxHQAdYo0',
    dq: 'h_96-mK1R_7glhsum81dZxjTnYynPbZpHziZjeeHcXYsXaaMwkOlODsWa7I9xXDoRwbKgB719rrmI2oKr6N3Do9' +
        'U0ajaHF-NKJnwgjMd2w9cjz3_-kyNlxAr2v4IKhGNpmM5iIgOS1VZnOZ68m6_pbLBSp3nssTdlqvd0tIiTHU',
    qi: 'IYd7DHOhrWvxkwPQsRM2tOgrjbcrfvtQJipd-DlcxyVuuM9sQLdgjVk2oy26F0EmpScGLq2MowX7fhd_QJQ3ydy' +
        '5cY7YIBi87w93IKLEdfnbJtoOPLUW0ITrJReOgo1cq9SbsxYawBgfp_gh6A5603k2-ZQwVK0JKSHuLFkuQ3U',
  };
  const ecJwk = {
    kty: 'EC', crv: 'P-256',
    x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
    y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
    d: 'jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI',
  };
  const publicOf = ({d, p, q, dp, dq, qi, ...rest}) => rest;
)JS";

TEST_F(AsymmetricTest, Rfc7515HmacExampleSignsAndVerifies) {
  EXPECT_EQ(
      Run(std::string(kJws) +
          "const key = await subtle.importKey('jwk', {kty: 'oct', k: "
          "  'AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1"
          "Z9CAow'}, {name: 'HMAC', hash: 'SHA-256'}, false, ['sign', 'verify']);"
          "const data = input('eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9');"
          "const mac = await subtle.sign('HMAC', key, data);"
          "return b64url(mac) + ' ' + await subtle.verify('HMAC', key, mac, data);"),
      "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk true");
}

TEST_F(AsymmetricTest, Rfc7515Rs256ExampleSignsToTheSameSignatureAndVerifies) {
  // RSASSA-PKCS1-v1_5 is deterministic: signing gives the RFC's signature byte for byte.
  EXPECT_EQ(
      Run(std::string(kJws) +
          "const algorithm = {name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256'};"
          "const key = await subtle.importKey('jwk', rsaJwk, algorithm, false, ['sign']);"
          "const pub = await subtle.importKey('jwk', publicOf(rsaJwk), algorithm, false,"
          "  ['verify']);"
          "const data = input('eyJhbGciOiJSUzI1NiJ9');"
          "const signature = await subtle.sign(algorithm, key, data);"
          "return [b64url(signature), await subtle.verify(algorithm, pub, signature, data),"
          "        key.algorithm.modulusLength, hex(key.algorithm.publicExponent)].join(' ');"),
      "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_"
      "O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIA"
      "RNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqv"
      "hJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw"
      " true 2048 010001");
}

TEST_F(AsymmetricTest, Rfc7515Es256ExampleVerifiesAndSignsAnew) {
  EXPECT_EQ(
      Run(std::string(kJws) +
          "const algorithm = {name: 'ECDSA', hash: 'SHA-256'};"
          "const curve = {name: 'ECDSA', namedCurve: 'P-256'};"
          "const key = await subtle.importKey('jwk', ecJwk, curve, false, ['sign']);"
          "const pub = await subtle.importKey('jwk', publicOf(ecJwk), curve, false, ['verify']);"
          "const data = input('eyJhbGciOiJFUzI1NiJ9');"
          "const rfc = unb64url('DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSAp"
          "mWQxfKTUJqPP3-Kg6NU1Q');"
          "const fresh = await subtle.sign(algorithm, key, data);"
          "const changed = rfc.slice(); changed[5] ^= 1;"
          "return [await subtle.verify(algorithm, pub, rfc, data),"
          "        await subtle.verify(algorithm, pub, fresh, data), fresh.byteLength,"
          "        await subtle.verify(algorithm, pub, changed, data),"
          "        await subtle.verify(algorithm, pub, rfc.subarray(1), data)].join();"),
      "true,true,64,false,false");
}

TEST_F(AsymmetricTest, RsaPssAndOaepRoundTripWithTheRfc7515Key) {
  EXPECT_EQ(
      Run(std::string(kJws) +
          "const pss = {name: 'RSA-PSS', hash: 'SHA-256'};"
          "const key = await subtle.importKey('jwk', rsaJwk, pss, false, ['sign']);"
          "const pub = await subtle.importKey('jwk', publicOf(rsaJwk), pss, false, ['verify']);"
          "const signature = await subtle.sign({name: 'RSA-PSS', saltLength: 32}, key, text('m'));"
          "const again = await subtle.sign({name: 'RSA-PSS', saltLength: 32}, key, text('m'));"
          "const oaep = {name: 'RSA-OAEP', hash: 'SHA-384'};"
          "const enc = await subtle.importKey('jwk', publicOf(rsaJwk), oaep, false, ['encrypt']);"
          "const dec = await subtle.importKey('jwk', rsaJwk, oaep, false, ['decrypt']);"
          "const label = text('label');"
          "const sealed = await subtle.encrypt({name: 'RSA-OAEP', label}, enc, text('secret'));"
          "const opened = await subtle.decrypt({name: 'RSA-OAEP', label}, dec, sealed);"
          "const wrongLabel = await subtle.decrypt({name: 'RSA-OAEP'}, dec, sealed)"
          "  .catch((e) => e.name);"
          "return [await subtle.verify({name: 'RSA-PSS', saltLength: 32}, pub, signature, "
          "text('m')),"
          "        await subtle.verify({name: 'RSA-PSS', saltLength: 20}, pub, signature, "
          "text('m')),"
          "        hex(signature) !== hex(again), new TextDecoder().decode(opened), wrongLabel,"
          "        sealed.byteLength].join();"),
      "true,false,true,secret,OperationError,256");
}

TEST_F(AsymmetricTest, EcdhAgreesOnEveryCurveAndTruncatesToTheLengthAsked) {
  EXPECT_EQ(Run("const out = [];"
                "for (const namedCurve of ['P-256', 'P-384', 'P-521']) {"
                "  const a = await subtle.generateKey({name: 'ECDH', namedCurve}, false,"
                "    ['deriveBits']);"
                "  const b = await subtle.generateKey({name: 'ECDH', namedCurve}, false,"
                "    ['deriveBits']);"
                "  const ab = await subtle.deriveBits({name: 'ECDH', public: b.publicKey},"
                "    a.privateKey, null);"
                "  const ba = await subtle.deriveBits({name: 'ECDH', public: a.publicKey},"
                "    b.privateKey, null);"
                "  const part = new Uint8Array(await subtle.deriveBits("
                "    {name: 'ECDH', public: b.publicKey}, a.privateKey, 12));"
                "  const first = new Uint8Array(ab);"
                "  out.push(ab.byteLength, hex(ab) === hex(ba), part.length,"
                "    part[0] === first[0] && part[1] === (first[1] & 0xf0));"
                "}"
                "return out.join();"),
            "32,true,2,true,48,true,2,true,66,true,2,true");
}

TEST_F(AsymmetricTest, EcdsaSignaturesHaveTheCurvesSizeAndVerifyWithTheirHash) {
  EXPECT_EQ(Run("const out = [];"
                "for (const [namedCurve, hash] of [['P-256', 'SHA-256'], ['P-384', 'SHA-384'],"
                "                                 ['P-521', 'SHA-512']]) {"
                "  const pair = await subtle.generateKey({name: 'ECDSA', namedCurve}, false,"
                "    ['sign', 'verify']);"
                "  const signature = await subtle.sign({name: 'ECDSA', hash}, pair.privateKey,"
                "    text('m'));"
                "  out.push(signature.byteLength,"
                "    await subtle.verify({name: 'ECDSA', hash}, pair.publicKey, signature,"
                "      text('m')),"
                "    await subtle.verify({name: 'ECDSA', hash: 'SHA-1'}, pair.publicKey, signature,"
                "      text('m')));"
                "}"
                "return out.join();"),
            "64,true,false,96,true,false,132,true,false");
}

}  // namespace
}  // namespace wsup::test
