// A CryptoKey's native material (crypto_support.h) lives exactly as long as the key: it is freed
// (and wiped) when V8 collects the key, and when the isolate is disposed with keys still alive.
// KeyMaterial::live_count() counts the material alive in the process.
#include "tests/support/eventually.h"
#include "tests/worker/web/subtle_test_support.h"
#include "worker/web/crypto_support.h"

namespace wsup::test {
namespace {

using worker::web::crypto::KeyMaterial;
using KeyLifetimeTest = SubtleTest;

constexpr const char* kMakeKeys = R"JS(
  for (let i = 0; i < 50; ++i) {
    await subtle.importKey('raw', new Uint8Array(16), 'AES-GCM', false, ['encrypt']);
    await subtle.generateKey({name: 'ECDSA', namedCurve: 'P-256'}, false, ['sign']);
  }
)JS";

TEST_F(KeyLifetimeTest, CollectedKeysFreeTheirMaterial) {
  const size_t before = KeyMaterial::live_count();
  // 50 AES keys and 50 ECDSA pairs (a handle per key of the pair), none kept.
  ASSERT_EQ(Run(std::string(kMakeKeys) + "return 'made';"), "made");
  EXPECT_GE(KeyMaterial::live_count(), before + 150);
  v8::Isolate::Scope isolate_scope(isolate());
  // V8 may free backing stores on a background thread after the collection.
  EXPECT_TRUE(wsup::testing::eventually([&] {
    isolate()->LowMemoryNotification();
    return KeyMaterial::live_count() == before;
  })) << KeyMaterial::live_count() - before
      << " key(s) still alive";
}

TEST_F(KeyLifetimeTest, KeysStillReferencedStayUsable) {
  ASSERT_EQ(Run("globalThis.kept = await subtle.importKey('raw', text('k'),"
                "  {name: 'HMAC', hash: 'SHA-256'}, false, ['sign']);"
                "return 'kept';"),
            "kept");
  const size_t with_key = KeyMaterial::live_count();
  {
    v8::Isolate::Scope isolate_scope(isolate());
    isolate()->LowMemoryNotification();
  }
  EXPECT_EQ(Run("return hex(await subtle.sign('HMAC', kept, text('x'))).length;"), "64");
  EXPECT_GE(KeyMaterial::live_count(), with_key);
}

TEST_F(KeyLifetimeTest, DisposingTheIsolateFreesKeysStillAlive) {
  const size_t before = KeyMaterial::live_count();
  ASSERT_EQ(Run("globalThis.keys = [];"
                "for (let i = 0; i < 20; ++i) keys.push(await subtle.generateKey("
                "  {name: 'HMAC', hash: 'SHA-256'}, false, ['sign']));"
                "return keys.length;"),
            "20");
  EXPECT_GE(KeyMaterial::live_count(), before + 20);
  TearDown();  // disposes the isolate, the keys still referenced from its global
  EXPECT_TRUE(wsup::testing::eventually([&] { return KeyMaterial::live_count() == before; }))
      << KeyMaterial::live_count() - before << " key(s) outlived their isolate";
  SetUp();  // a fresh isolate for the fixture's own TearDown
}

}  // namespace
}  // namespace wsup::test
