// structuredClone of a CryptoKey (WebCrypto's serialization steps): the copy is a CryptoKey with
// the same type, extractable, algorithm and usages that shares the original's native material;
// every use of the one works with the other, and the material lives as long as either.
// postMessage through a MessageChannel: tests/worker/runtime_globals_test.cc.
#include "tests/support/eventually.h"
#include "tests/worker/web/subtle_test_support.h"
#include "worker/web/crypto_support.h"

namespace wsup::test {
namespace {

using worker::web::crypto::KeyMaterial;
using KeyCloneTest = SubtleTest;

TEST_F(KeyCloneTest, ACloneIsAnEqualKeyThatWorks) {
  EXPECT_EQ(Run(R"JS(
    const key = await subtle.importKey('raw', text('secret'), {name: 'HMAC', hash: 'SHA-256'},
        false, ['verify', 'sign']);
    const copy = structuredClone(key);
    const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
    const mac = await subtle.sign('HMAC', copy, text('message'));
    return [copy instanceof CryptoKey, copy !== key, copy.type, copy.extractable,
        same(copy.algorithm, key.algorithm), copy.algorithm !== key.algorithm,
        copy.algorithm.hash.name, copy.algorithm.length, same(copy.usages, key.usages),
        Object.prototype.toString.call(copy),
        hex(mac) === hex(await subtle.sign('HMAC', key, text('message'))),
        await subtle.verify('HMAC', key, mac, text('message'))].join();
  )JS"),
            "true,true,secret,false,true,true,SHA-256,48,true,[object CryptoKey],true,true");
}

TEST_F(KeyCloneTest, ClonedKeyPairsSignVerifyAndKeepExtractability) {
  EXPECT_EQ(Run(R"JS(
    const pair = await subtle.generateKey({name: 'ECDSA', namedCurve: 'P-256'}, false,
        ['sign', 'verify']);
    const copy = structuredClone(pair);
    const params = {name: 'ECDSA', hash: 'SHA-256'};
    const signature = await subtle.sign(params, copy.privateKey, text('data'));
    const verified = await subtle.verify(params, pair.publicKey, signature, text('data'));
    const exported = await subtle.exportKey('pkcs8', copy.privateKey).then(
        () => 'exported', (e) => e.name);
    const publicJwk = await subtle.exportKey('jwk', copy.publicKey);
    const originalJwk = await subtle.exportKey('jwk', pair.publicKey);
    return [verified, copy.privateKey.type, copy.privateKey.extractable, exported,
        publicJwk.x === originalJwk.x, copy.publicKey.algorithm.namedCurve].join();
  )JS"),
            "true,private,false,InvalidAccessError,true,P-256");
  // Every kind of key: secret (AES), RSA, OKP.
  EXPECT_EQ(Run(R"JS(
    const aes = await subtle.generateKey({name: 'AES-GCM', length: 256}, true, ['encrypt']);
    const rsa = await subtle.generateKey({name: 'RSASSA-PKCS1-v1_5', modulusLength: 1024,
        publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256'}, true, ['sign', 'verify']);
    const ed = await subtle.generateKey({name: 'Ed25519'}, true, ['sign', 'verify']);
    const [aesCopy, rsaCopy, edCopy] = structuredClone([aes, rsa.privateKey, ed.privateKey]);
    return [hex(await subtle.exportKey('raw', aesCopy)) === hex(await subtle.exportKey('raw', aes)),
        rsaCopy.algorithm.modulusLength, hex(rsaCopy.algorithm.publicExponent),
        (await subtle.exportKey('jwk', edCopy)).d === (await subtle.exportKey('jwk', ed.privateKey)).d
    ].join();
  )JS"),
            "true,1024,010001,true");
}

TEST_F(KeyCloneTest, AKeyMetTwiceIsCopiedOnceAndKeysCannotBeTransferred) {
  EXPECT_EQ(Run(R"JS(
    const key = await subtle.generateKey({name: 'AES-CBC', length: 128}, false, ['encrypt']);
    const copy = structuredClone({a: key, list: [key], map: new Map([[key, 1]])});
    const transfer = (() => { try { structuredClone(key, {transfer: [key]}); return 'cloned'; }
        catch (e) { return e.name; } })();
    return [copy.a === copy.list[0], copy.map.has(copy.a), copy.a !== key, transfer].join();
  )JS"),
            "true,true,true,DataCloneError");
}

TEST_F(KeyCloneTest, TheMaterialLivesAsLongAsEitherKey) {
  const size_t before = KeyMaterial::live_count();
  ASSERT_EQ(Run("globalThis.copy = structuredClone(await subtle.importKey('raw', text('k'),"
                "  {name: 'HMAC', hash: 'SHA-256'}, false, ['sign']));"
                "return 'copied';"),
            "copied");
  {
    v8::Isolate::Scope isolate_scope(isolate());
    isolate()->LowMemoryNotification();  // the original is garbage; its copy is not
  }
  EXPECT_EQ(Run("return hex(await subtle.sign('HMAC', copy, text('x'))).length;"), "64");
  ASSERT_EQ(Run("delete globalThis.copy; return 'dropped';"), "dropped");
  v8::Isolate::Scope isolate_scope(isolate());
  EXPECT_TRUE(wsup::testing::eventually([&] {
    isolate()->LowMemoryNotification();
    return KeyMaterial::live_count() <= before;
  })) << KeyMaterial::live_count() - before
      << " key(s) still alive";
}

TEST_F(KeyCloneTest, KeysAreStillUnforgeableAndPortsStillNeedTheTransferList) {
  EXPECT_EQ(Eval("try { new CryptoKey(); } catch (e) { e.constructor.name }"), "TypeError");
  EXPECT_EQ(Eval("Object.getPrototypeOf(CryptoKey.prototype) === Object.prototype"), "true");
  EXPECT_EQ(Eval("const {port1} = new MessageChannel();"
                 "try { structuredClone(port1); } catch (e) { e.name }"),
            "DataCloneError");
}

}  // namespace
}  // namespace wsup::test
