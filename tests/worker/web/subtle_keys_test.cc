// SubtleCrypto's keys: every import/export format of every algorithm round-trips; generated
// keys and pairs carry the algorithm, usages and extractability WebCrypto specifies; CryptoKey
// and SubtleCrypto are WebIDL-style interfaces (illegal constructors, prototype methods, brand
// checks) that libraries can use through the prototype and `instanceof`.
#include "tests/worker/web/subtle_test_support.h"

namespace wsup::test {
namespace {

using KeysTest = SubtleTest;

// roundTrip(format, key, algorithm, usages): export, import again, export again: whether both
// exports match (bytes, or JWK members).
constexpr const char* kRoundTrip = R"JS(
  const same = (a, b) => a instanceof ArrayBuffer ? hex(a) === hex(b) :
      JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());
  const roundTrip = async (format, key, algorithm, usages) => {
    const first = await subtle.exportKey(format, key);
    const again = await subtle.importKey(format, first, algorithm, true, usages);
    const second = await subtle.exportKey(format, again);
    return same(first, second) && again.type === key.type ? format : `${format} differs`;
  };
)JS";

TEST_F(KeysTest, SecretKeysRoundTripThroughRawAndJwk) {
  EXPECT_EQ(Run(std::string(kRoundTrip) +
                "const out = [];"
                "for (const [algorithm, usages] of ["
                "    [{name: 'HMAC', hash: 'SHA-384'}, ['sign', 'verify']],"
                "    [{name: 'AES-GCM', length: 128}, ['encrypt']],"
                "    [{name: 'AES-CBC', length: 192}, ['decrypt']],"
                "    [{name: 'AES-CTR', length: 256}, ['encrypt', 'decrypt']],"
                "    [{name: 'AES-KW', length: 256}, ['wrapKey']]]) {"
                "  const key = await subtle.generateKey(algorithm, true, usages);"
                "  const jwk = await subtle.exportKey('jwk', key);"
                "  out.push(await roundTrip('raw', key, algorithm, usages),"
                "           await roundTrip('jwk', key, algorithm, usages), jwk.alg);"
                "}"
                "return out.join();"),
            "raw,jwk,HS384,raw,jwk,A128GCM,raw,jwk,A192CBC,raw,jwk,A256CTR,raw,jwk,A256KW");
}

TEST_F(KeysTest, RsaKeysRoundTripThroughSpkiPkcs8AndJwk) {
  EXPECT_EQ(Run(std::string(kRoundTrip) +
                "const out = [];"
                "for (const [name, hash, pub, priv] of ["
                "    ['RSASSA-PKCS1-v1_5', 'SHA-256', ['verify'], ['sign']],"
                "    ['RSA-PSS', 'SHA-512', ['verify'], ['sign']],"
                "    ['RSA-OAEP', 'SHA-1', ['encrypt', 'wrapKey'], ['decrypt', 'unwrapKey']]]) {"
                "  const algorithm = {name, hash, modulusLength: 1024,"
                "                     publicExponent: new Uint8Array([1, 0, 1])};"
                "  const pair = await subtle.generateKey(algorithm, true, [...pub, ...priv]);"
                "  const jwk = await subtle.exportKey('jwk', pair.privateKey);"
                "  out.push([await roundTrip('spki', pair.publicKey, algorithm, pub),"
                "            await roundTrip('pkcs8', pair.privateKey, algorithm, priv),"
                "            await roundTrip('jwk', pair.publicKey, algorithm, pub),"
                "            await roundTrip('jwk', pair.privateKey, algorithm, priv), jwk.alg,"
                "            Object.keys(jwk).sort().join(' ')].join());"
                "}"
                "return out.join('\\n');"),
            "spki,pkcs8,jwk,jwk,RS256,alg d dp dq e ext key_ops kty n p q qi\n"
            "spki,pkcs8,jwk,jwk,PS512,alg d dp dq e ext key_ops kty n p q qi\n"
            "spki,pkcs8,jwk,jwk,RSA-OAEP,alg d dp dq e ext key_ops kty n p q qi");
}

TEST_F(KeysTest, EcAndOkpKeysRoundTripThroughEveryFormat) {
  EXPECT_EQ(
      Run(std::string(kRoundTrip) +
          "const out = [];"
          "for (const [algorithm, pub, priv] of ["
          "    [{name: 'ECDSA', namedCurve: 'P-256'}, ['verify'], ['sign']],"
          "    [{name: 'ECDSA', namedCurve: 'P-384'}, ['verify'], ['sign']],"
          "    [{name: 'ECDH', namedCurve: 'P-521'}, [], ['deriveBits']],"
          "    [{name: 'Ed25519'}, ['verify'], ['sign']],"
          "    [{name: 'X25519'}, [], ['deriveKey']]]) {"
          "  const pair = await subtle.generateKey(algorithm, true, [...pub, ...priv]);"
          "  out.push(algorithm.namedCurve ?? algorithm.name,"
          "           await roundTrip('raw', pair.publicKey, algorithm, pub),"
          "           await roundTrip('spki', pair.publicKey, algorithm, pub),"
          "           await roundTrip('pkcs8', pair.privateKey, algorithm, priv),"
          "           await roundTrip('jwk', pair.publicKey, algorithm, pub),"
          "           await roundTrip('jwk', pair.privateKey, algorithm, priv));"
          "}"
          "return out.join();"),
      "P-256,raw,spki,pkcs8,jwk,jwk,P-384,raw,spki,pkcs8,jwk,jwk,P-521,raw,spki,pkcs8,jwk,jwk,"
      "Ed25519,raw,spki,pkcs8,jwk,jwk,X25519,raw,spki,pkcs8,jwk,jwk");
}

TEST_F(KeysTest, CompressedEcPointsImportAndExportUncompressed) {
  EXPECT_EQ(Run("const curve = {name: 'ECDSA', namedCurve: 'P-256'};"
                "const pair = await subtle.generateKey(curve, true, ['sign', 'verify']);"
                "const raw = new Uint8Array(await subtle.exportKey('raw', pair.publicKey));"
                "const compressed = new Uint8Array(33);"
                "compressed[0] = 2 + (raw[64] & 1); compressed.set(raw.subarray(1, 33), 1);"
                "const key = await subtle.importKey('raw', compressed, curve, true, ['verify']);"
                "const signature = await subtle.sign({name: 'ECDSA', hash: 'SHA-256'},"
                "  pair.privateKey, text('m'));"
                "return [hex(await subtle.exportKey('raw', key)) === hex(raw),"
                "        (await subtle.exportKey('spki', key)).byteLength,"
                "        await subtle.verify({name: 'ECDSA', hash: 'SHA-256'}, key, signature,"
                "          text('m'))].join();"),
            "true,91,true");
}

TEST_F(KeysTest, GeneratedKeysCarryTheirAlgorithmUsagesAndExtractability) {
  EXPECT_EQ(Run("const hmac = await subtle.generateKey({name: 'HMAC', hash: 'SHA-256'}, false,"
                "  ['verify', 'sign', 'sign']);"
                "const aes = await subtle.generateKey({name: 'AES-GCM', length: 256}, true,"
                "  ['unwrapKey', 'encrypt']);"
                "const pair = await subtle.generateKey({name: 'ECDSA', namedCurve: 'P-384'}, false,"
                "  ['sign', 'verify']);"
                "const dh = await subtle.generateKey({name: 'ECDH', namedCurve: 'P-256'}, false,"
                "  ['deriveBits']);"
                "return [JSON.stringify(hmac.algorithm), hmac.usages.join('+'), hmac.extractable,"
                "  hmac.type, JSON.stringify(aes.algorithm), aes.usages.join('+'),"
                "  pair.publicKey.usages.join('+'), pair.publicKey.extractable,"
                "  pair.privateKey.usages.join('+'), pair.privateKey.extractable,"
                "  JSON.stringify(pair.publicKey.algorithm), dh.publicKey.usages.length,"
                "  dh.privateKey.usages.join('+')].join(' ');"),
            R"({"name":"HMAC","length":512,"hash":{"name":"SHA-256"}} sign+verify false secret )"
            R"({"name":"AES-GCM","length":256} encrypt+unwrapKey verify true sign false )"
            R"({"name":"ECDSA","namedCurve":"P-384"} 0 deriveBits)");
  EXPECT_EQ(Run("const pair = await subtle.generateKey({name: 'RSA-PSS', modulusLength: 1024,"
                "  publicExponent: new Uint8Array([3]), hash: 'SHA-384'}, true, ['sign']);"
                "const a = pair.privateKey.algorithm;"
                "return [a.name, a.modulusLength, a.publicExponent instanceof Uint8Array,"
                "  hex(a.publicExponent), a.hash.name, pair.publicKey.usages.length].join();"),
            "RSA-PSS,1024,true,03,SHA-384,0");
}

TEST_F(KeysTest, CryptoKeyIsAnInterfaceWhoseStateUserCodeCannotReachOrChange) {
  EXPECT_EQ(Run("const key = await subtle.generateKey({name: 'HMAC', hash: 'SHA-1'}, true,"
                "  ['sign']);"
                "let illegal; try { new CryptoKey(); } catch (e) { illegal = e.name; }"
                "const algorithm = key.algorithm;"
                "algorithm.name = 'AES-GCM'; algorithm.hash.name = 'SHA-512';"
                "key.usages.push('verify');"
                "const descriptor = Object.getOwnPropertyDescriptor(CryptoKey.prototype, 'type');"
                "let brand; try { descriptor.get.call({}); } catch (e) { brand = e.name; }"
                "const mac = await subtle.sign('HMAC', key, text('x'));"
                "return [key instanceof CryptoKey, illegal, key.algorithm === algorithm,"
                "  Object.prototype.toString.call(key), Object.getOwnPropertyNames(key).length,"
                "  descriptor.enumerable, typeof descriptor.get, brand, mac.byteLength,"
                "  (await subtle.exportKey('jwk', key)).alg,"
                "  JSON.stringify(structuredClone(key))].join();"),
            "true,TypeError,true,[object CryptoKey],0,true,function,TypeError,20,HS1,{}");
  // The methods work through SubtleCrypto.prototype (how some libraries call them), and check
  // what `this` is.
  EXPECT_EQ(
      Run("const {sign, digest} = SubtleCrypto.prototype;"
          "const mac = await sign.call(subtle, 'HMAC', await subtle.importKey('raw',"
          "  text('k'), {name: 'HMAC', hash: 'SHA-256'}, false, ['sign']), text('x'));"
          "const wrongThis = await digest.call({}, 'SHA-256', text('x'))"
          "  .catch((e) => e.name);"
          "let illegal; try { new SubtleCrypto(); } catch (e) { illegal = e.name; }"
          "return [mac.byteLength, wrongThis, illegal, crypto.subtle === subtle,"
          "  subtle instanceof SubtleCrypto, Object.keys(SubtleCrypto.prototype).length,"
          "  SubtleCrypto.prototype.importKey.length, SubtleCrypto.prototype.unwrapKey.length,"
          "  SubtleCrypto.prototype.deriveBits.length].join();"),
      "32,TypeError,TypeError,true,true,13,5,7,2");
}

TEST_F(KeysTest, UsagesAndExtractabilityAreEnforced) {
  EXPECT_EQ(
      Run("const name = (p) => p.then(() => 'ok', (e) => e.name);"
          "const hmac = await subtle.importKey('raw', text('k'), {name: 'HMAC', hash: 'SHA-256'},"
          "  false, ['verify']);"
          "const aes = await subtle.importKey('raw', new Uint8Array(16), 'AES-GCM', false,"
          "  ['encrypt', 'wrapKey']);"
          "const kw = await subtle.importKey('raw', new Uint8Array(16), 'AES-KW', true,"
          "  ['wrapKey']);"
          "const pair = await subtle.generateKey({name: 'ECDSA', namedCurve: 'P-256'}, true,"
          "  ['sign', 'verify']);"
          "return [await name(subtle.sign('HMAC', hmac, text('x'))),"
          "  await name(subtle.exportKey('raw', hmac)),"
          "  await name(subtle.decrypt({name: 'AES-GCM', iv: new Uint8Array(12)}, aes,"
          "    new Uint8Array(16))),"
          "  await name(subtle.wrapKey('raw', hmac, kw, 'AES-KW')),"
          "  await name(subtle.wrapKey('raw', kw, aes, {name: 'AES-GCM', iv: new Uint8Array(12)})),"
          "  await name(subtle.sign({name: 'ECDSA', hash: 'SHA-256'}, pair.publicKey, text('x'))),"
          "  await name(subtle.exportKey('pkcs8', pair.publicKey)),"
          "  await name(subtle.exportKey('spki', pair.privateKey)),"
          "  await name(subtle.exportKey('raw', pair.privateKey)),"
          "  await name(subtle.exportKey('pkcs8', pair.privateKey))].join();"),
      "InvalidAccessError,InvalidAccessError,InvalidAccessError,InvalidAccessError,ok,"
      "InvalidAccessError,InvalidAccessError,InvalidAccessError,InvalidAccessError,ok");
}

TEST_F(KeysTest, JwkImportHonoursKeyOpsUseExtAndAlg) {
  EXPECT_EQ(
      Run("const name = (p) => p.then((k) => k.usages.join('+'), (e) => e.name);"
          "const k = 'AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ';"
          "const hmac = {name: 'HMAC', hash: 'SHA-256'};"
          "const jwk = (extra) => ({kty: 'oct', k, ...extra});"
          "return [await name(subtle.importKey('jwk', jwk({key_ops: ['sign']}), hmac, false,"
          "    ['sign'])),"
          "  await name(subtle.importKey('jwk', jwk({key_ops: ['sign']}), hmac, false, "
          "['verify'])),"
          "  await name(subtle.importKey('jwk', jwk({key_ops: ['sign', 'sign']}), hmac, false,"
          "    ['sign'])),"
          "  await name(subtle.importKey('jwk', jwk({use: 'enc'}), hmac, false, ['sign'])),"
          "  await name(subtle.importKey('jwk', jwk({ext: false}), hmac, true, ['sign'])),"
          "  await name(subtle.importKey('jwk', jwk({alg: 'HS512'}), hmac, false, ['sign'])),"
          "  await name(subtle.importKey('jwk', jwk({kty: 'RSA'}), hmac, false, ['sign'])),"
          "  await name(subtle.importKey('jwk', jwk({k: 'a+b/'}), hmac, false, "
          "['sign']))].join();"),
      "sign,DataError,DataError,DataError,DataError,DataError,DataError,DataError");
}

}  // namespace
}  // namespace wsup::test
