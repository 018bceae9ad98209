// Every error SubtleCrypto raises, on its trigger: WebCrypto's DOMException names
// (NotSupportedError, InvalidAccessError, DataError, OperationError, SyntaxError) and WebIDL's
// TypeErrors, always as a rejected promise (never thrown), and DOMExceptions for the former.
#include "tests/worker/web/subtle_test_support.h"

namespace wsup::test {
namespace {

using ErrorsTest = SubtleTest;

// failures(cases): each case is a function returning the promise; yields 'name' per case, or
// 'resolved' / 'threw synchronously' / 'not a DOMException' where the rule is broken.
constexpr const char* kFailures = R"JS(
  const failures = async (cases) => {
    const out = [];
    for (const make of cases) {
      let promise;
      try { promise = make(); } catch (e) { out.push('threw synchronously: ' + e); continue; }
      out.push(await promise.then(() => 'resolved', (e) => {
        if (e.name !== 'TypeError' && !(e instanceof DOMException)) return 'not a DOMException';
        return e.name;
      }));
    }
    return out.join();
  };
  const hmac = await subtle.importKey('raw', text('k'), {name: 'HMAC', hash: 'SHA-256'}, false,
                                      ['sign']);
  const aes = await subtle.importKey('raw', new Uint8Array(16), 'AES-GCM', false,
                                     ['encrypt', 'decrypt']);
  const cbc = await subtle.importKey('raw', new Uint8Array(16), 'AES-CBC', false, ['decrypt']);
  const ec = await subtle.generateKey({name: 'ECDSA', namedCurve: 'P-256'}, true,
                                      ['sign', 'verify']);
  const dh = await subtle.generateKey({name: 'ECDH', namedCurve: 'P-256'}, true, ['deriveBits']);
  const dh384 = await subtle.generateKey({name: 'ECDH', namedCurve: 'P-384'}, true,
                                         ['deriveBits']);
  const pbkdf2 = await subtle.importKey('raw', text('p'), 'PBKDF2', false, ['deriveBits']);
  const rsaGen = (extra) => subtle.generateKey({name: 'RSA-PSS', hash: 'SHA-256',
      modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), ...extra}, true, ['sign']);
)JS";

TEST_F(ErrorsTest, NotSupportedError) {
  EXPECT_EQ(Run(std::string(kFailures) +
                "return failures(["
                "  () => subtle.digest('MD5', text('x')),"
                "  () => subtle.sign('RSA-OAEP', hmac, text('x')),"
                "  () => subtle.importKey('raw', text('k'), {name: 'HMAC', hash: 'SHA-224'}, false,"
                "    ['sign']),"
                "  () => subtle.importKey('spki', text('k'), 'AES-GCM', false, ['encrypt']),"
                "  () => subtle.importKey('raw', text('k'), {name: 'RSA-PSS', hash: 'SHA-256'},"
                "    false, ['verify']),"
                "  () => subtle.generateKey({name: 'ECDSA', namedCurve: 'P-192'}, false, ['sign']),"
                "  () => subtle.exportKey('raw', pbkdf2),"
                "  () => rsaGen({modulusLength: 4096}),"
                "  () => subtle.deriveBits({name: 'PBKDF2', hash: 'SHA-256', salt: text('s'),"
                "    iterations: 100001}, pbkdf2, 256),"
                "  () => subtle.encrypt({name: 'AES-KW'}, aes, text('x')),"
                "]);"),
            "NotSupportedError,NotSupportedError,NotSupportedError,NotSupportedError,"
            "NotSupportedError,NotSupportedError,NotSupportedError,NotSupportedError,"
            "NotSupportedError,NotSupportedError");
}

TEST_F(ErrorsTest, InvalidAccessError) {
  EXPECT_EQ(Run(std::string(kFailures) +
                "return failures(["
                "  () => subtle.verify('HMAC', hmac, new Uint8Array(32), text('x')),"
                "  () => subtle.sign({name: 'ECDSA', hash: 'SHA-256'}, hmac, text('x')),"
                "  () => subtle.exportKey('raw', hmac),"
                "  () => subtle.sign({name: 'ECDSA', hash: 'SHA-256'}, ec.publicKey, text('x')),"
                "  () => subtle.exportKey('spki', ec.privateKey),"
                "  () => subtle.deriveBits({name: 'ECDH', public: dh.privateKey}, dh.privateKey),"
                "  () => subtle.deriveBits({name: 'ECDH', public: dh384.publicKey},"
                "    dh.privateKey),"
                "  () => subtle.deriveBits({name: 'ECDH', public: ec.publicKey}, dh.privateKey),"
                "  () => subtle.deriveKey({name: 'PBKDF2', hash: 'SHA-256', salt: text('s'),"
                "    iterations: 1}, pbkdf2, {name: 'AES-GCM', length: 128}, false, ['encrypt']),"
                "]);"),
            "InvalidAccessError,InvalidAccessError,InvalidAccessError,InvalidAccessError,"
            "InvalidAccessError,InvalidAccessError,InvalidAccessError,InvalidAccessError,"
            "InvalidAccessError");
}

TEST_F(ErrorsTest, DataError) {
  EXPECT_EQ(Run(std::string(kFailures) +
                "const curve = {name: 'ECDSA', namedCurve: 'P-256'};"
                "const spki = await subtle.exportKey('spki', ec.publicKey);"
                "const kek = await subtle.importKey('raw', new Uint8Array(16), 'AES-GCM', false,"
                "  ['encrypt', 'unwrapKey']);"
                "const iv = new Uint8Array(12);"
                "const notJson = await subtle.encrypt({name: 'AES-GCM', iv}, kek, text('{not'));"
                "return failures(["
                "  () => subtle.importKey('spki', text('not der'), curve, true, ['verify']),"
                "  () => subtle.importKey('pkcs8', spki, curve, true, ['sign']),"
                "  () => subtle.importKey('spki', spki, {name: 'ECDSA', namedCurve: 'P-384'}, true,"
                "    ['verify']),"
                "  () => subtle.importKey('spki', spki, {name: 'RSA-PSS', hash: 'SHA-256'}, true,"
                "    ['verify']),"
                "  () => subtle.importKey('raw', new Uint8Array(65), curve, true, ['verify']),"
                "  () => subtle.importKey('raw', new Uint8Array(15), 'AES-CBC', true, ['encrypt']),"
                "  () => subtle.importKey('raw', new Uint8Array(0), {name: 'HMAC', hash: 'SHA-1'},"
                "    true, ['sign']),"
                "  () => subtle.importKey('raw', new Uint8Array(4), {name: 'HMAC', hash: 'SHA-1',"
                "    length: 16}, true, ['sign']),"
                "  () => subtle.importKey('jwk', {kty: 'EC', crv: 'P-384', x: 'AA', y: 'AA'},"
                "    curve, true, ['verify']),"
                "  () => subtle.importKey('raw', new Uint8Array(31), 'Ed25519', true, ['verify']),"
                "  () => subtle.unwrapKey('jwk', notJson, kek, {name: 'AES-GCM', iv}, 'AES-CBC',"
                "    true, ['encrypt']),"
                "]);"),
            "DataError,DataError,DataError,DataError,DataError,DataError,DataError,DataError,"
            "DataError,DataError,DataError");
}

TEST_F(ErrorsTest, OperationError) {
  EXPECT_EQ(Run(std::string(kFailures) +
                "const iv = new Uint8Array(12);"
                "return failures(["
                "  () => subtle.decrypt({name: 'AES-GCM', iv}, aes, new Uint8Array(32)),"
                "  () => subtle.encrypt({name: 'AES-GCM', iv, tagLength: 33}, aes, text('x')),"
                "  () => subtle.encrypt({name: 'AES-GCM', iv: new Uint8Array(0)}, aes, text('x')),"
                "  () => subtle.decrypt({name: 'AES-CBC', iv: new Uint8Array(15)}, cbc,"
                "    new Uint8Array(16)),"
                "  () => subtle.decrypt({name: 'AES-CBC', iv: new Uint8Array(16)}, cbc,"
                "    new Uint8Array(16)),"
                "  () => subtle.generateKey({name: 'AES-GCM', length: 100}, true, ['encrypt']),"
                "  () => rsaGen({publicExponent: new Uint8Array([5])}),"
                "  () => rsaGen({modulusLength: 1020}),"
                "  () => subtle.deriveBits({name: 'ECDH', public: dh.publicKey}, dh.privateKey,"
                "    512),"
                "  () => subtle.deriveBits({name: 'PBKDF2', hash: 'SHA-256', salt: text('s'),"
                "    iterations: 1}, pbkdf2, null),"
                "  () => subtle.generateKey({name: 'HMAC', hash: 'SHA-256', length: 0}, true,"
                "    ['sign']),"
                "]);"),
            "OperationError,OperationError,OperationError,OperationError,OperationError,"
            "OperationError,OperationError,OperationError,OperationError,OperationError,"
            "OperationError");
}

TEST_F(ErrorsTest, SyntaxError) {
  EXPECT_EQ(Run(std::string(kFailures) +
                "return failures(["
                "  () => subtle.importKey('raw', text('k'), {name: 'HMAC', hash: 'SHA-256'},"
                "    false, ['encrypt']),"
                "  () => subtle.importKey('raw', text('k'), {name: 'HMAC', hash: 'SHA-256'},"
                "    false, []),"
                "  () => subtle.importKey('raw', text('p'), 'PBKDF2', true, ['deriveBits']),"
                "  () => subtle.generateKey({name: 'AES-GCM', length: 128}, true, []),"
                "  () => subtle.generateKey({name: 'ECDSA', namedCurve: 'P-256'}, true,"
                "    ['verify']),"
                "  () => subtle.generateKey('Ed25519', true, ['encrypt']),"
                "  () => subtle.importKey('spki', new Uint8Array(1), {name: 'ECDH',"
                "    namedCurve: 'P-256'}, true, ['deriveBits']),"
                "]);"),
            "SyntaxError,SyntaxError,SyntaxError,SyntaxError,SyntaxError,SyntaxError,"
            "SyntaxError");
}

TEST_F(ErrorsTest, TypeErrorForWhatWebIdlRejects) {
  EXPECT_EQ(Run(std::string(kFailures) +
                "return failures(["
                "  () => subtle.sign('HMAC', hmac),"
                "  () => subtle.digest({}, text('x')),"
                "  () => subtle.digest('SHA-256', 'text'),"
                "  () => subtle.sign('HMAC', {}, text('x')),"
                "  () => subtle.importKey('der', text('k'), 'AES-GCM', true, ['encrypt']),"
                "  () => subtle.importKey('raw', text('k'), 'AES-GCM', true, ['encrypt', 'fly']),"
                "  () => subtle.importKey('raw', text('k'), 'AES-GCM', true, 'encrypt'),"
                "  () => subtle.importKey('jwk', new ArrayBuffer(8), 'AES-GCM', true, ['encrypt']),"
                "  () => subtle.importKey('raw', {kty: 'oct'}, 'AES-GCM', true, ['encrypt']),"
                "  () => subtle.importKey('raw', text('k'), {name: 'HMAC'}, true, ['sign']),"
                "  () => subtle.generateKey({name: 'AES-GCM', length: 'x'}, true, ['encrypt']),"
                "  () => subtle.generateKey({name: 'AES-GCM', length: 65536}, true, ['encrypt']),"
                "  () => subtle.generateKey({name: 'RSA-PSS', hash: 'SHA-256',"
                "    modulusLength: 1024, publicExponent: [1, 0, 1]}, true, ['sign']),"
                "  () => subtle.deriveBits({name: 'ECDH', public: 'key'}, dh.privateKey),"
                "  () => subtle.encrypt({name: 'AES-GCM'}, aes, text('x')),"
                "  () => SubtleCrypto.prototype.exportKey.call(null, 'raw', hmac),"
                "]);"),
            "TypeError,TypeError,TypeError,TypeError,TypeError,TypeError,TypeError,TypeError,"
            "TypeError,TypeError,TypeError,TypeError,TypeError,TypeError,TypeError,TypeError");
  // timingSafeEqual is synchronous: its TypeErrors are thrown.
  EXPECT_EQ(Run("const names = [];"
                "for (const args of [[text('ab'), text('abc')], [text('ab'), 'ab'], [text('a')]]) {"
                "  try { subtle.timingSafeEqual(...args); names.push('returned'); }"
                "  catch (e) { names.push(e.name); }"
                "}"
                "return [...names, subtle.timingSafeEqual(new Uint8Array([1, 2]).buffer,"
                "  new Uint16Array([0x201])), subtle.timingSafeEqual(text(''), text(''))].join();"),
            "TypeError,TypeError,TypeError,true,true");
}

}  // namespace
}  // namespace wsup::test
