// crypto.subtle.digest against the FIPS 180 example vectors; getRandomValues and randomUUID
// against WebCrypto's rules; the incremental digest natives (for crypto.DigestStream) against
// the one-shot digest.
#include "tests/worker/web/js_test_fixture.h"
#include "worker/web/natives.h"

namespace wsup::test {
namespace {

using CryptoTest = WebPlatformTest;

std::string DigestHex(const std::string& algorithm, const std::string& text) {
  return "crypto.subtle.digest(" + algorithm + ", new TextEncoder().encode('" + text +
         "')).then((b) => Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, "
         "'0')).join(''))";
}

TEST_F(CryptoTest, DigestMatchesFipsVectorsForAbc) {
  EXPECT_EQ(EvalAsync(DigestHex("'SHA-1'", "abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(EvalAsync(DigestHex("'SHA-256'", "abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(EvalAsync(DigestHex("{name: 'SHA-384'}", "abc")),
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
            "8086072ba1e7cc2358baeca134c825a7");
  EXPECT_EQ(EvalAsync(DigestHex("'sha-512'", "abc")),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
  EXPECT_EQ(EvalAsync(DigestHex("'SHA-256'", "")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_F(CryptoTest, DigestAcceptsBufferSourcesAndRejectsBadInput) {
  EXPECT_EQ(EvalAsync("crypto.subtle.digest('SHA-1', new TextEncoder().encode('xabcx').subarray("
                      "1, 4)).then((b) => b.byteLength + ':' + new Uint8Array(b)[0])"),
            "20:169");
  EXPECT_EQ(EvalAsync("crypto.subtle.digest('SHA-1', new ArrayBuffer(0)).then((b) => "
                      "b instanceof ArrayBuffer)"),
            "true");
  EXPECT_EQ(EvalAsync("crypto.subtle.digest('MD5', new Uint8Array(1)).catch((e) => e.name)"),
            "NotSupportedError");
  EXPECT_EQ(EvalAsync("crypto.subtle.digest('SHA-1', 'text').catch((e) => e.name)"), "TypeError");
  EXPECT_EQ(Eval("crypto.subtle.digest('MD5', new Uint8Array(1)) instanceof Promise"), "true");
}

TEST_F(CryptoTest, GetRandomValuesFillsIntegerArraysUpToQuota) {
  EXPECT_EQ(Eval("const a = new Uint8Array(64); const r = crypto.getRandomValues(a);"
                 "(r === a) + ',' + a.some((x) => x !== 0)"),
            "true,true");
  EXPECT_EQ(Eval("crypto.getRandomValues(new BigUint64Array(2)).length + ',' + "
                 "crypto.getRandomValues(new Uint8Array(65536)).length"),
            "2,65536");
  EXPECT_EQ(Eval("try { crypto.getRandomValues(new Uint8Array(65537)) } catch (e) { e.name + "
                 "e.code }"),
            "QuotaExceededError22");
  EXPECT_EQ(Eval("try { crypto.getRandomValues(new Float32Array(4)) } catch (e) { e.name }"),
            "TypeMismatchError");
  EXPECT_EQ(Eval("try { crypto.getRandomValues([1, 2]) } catch (e) { e.name }"), "TypeError");
}

TEST_F(CryptoTest, RandomUuidIsVersion4) {
  EXPECT_EQ(
      Eval("const re = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;"
           "const a = crypto.randomUUID(), b = crypto.randomUUID(); re.test(a) && "
           "re.test(b) && a !== b"),
      "true");
  EXPECT_EQ(Eval("try { new Crypto() } catch (e) { e.name }"), "TypeError");
}

// The incremental digest natives are private to the web platform: the test puts the crypto
// table's functions on a global of its own and drives them the way a stream of chunks would.
TEST_F(CryptoTest, IncrementalDigestOfChunksMatchesTheWholeDigest) {
  {
    v8::Isolate::Scope isolate_scope(isolate());
    v8::HandleScope scope(isolate());
    v8::Local<v8::Context> ctx = context();
    v8::Context::Scope context_scope(ctx);
    v8::Local<v8::Object> natives = v8::Object::New(isolate());
    for (const worker::web::NativeFunction& native : worker::web::crypto_natives()) {
      v8::Local<v8::Function> function =
          v8::Function::New(ctx, native.callback, {}, native.length).ToLocalChecked();
      natives->Set(ctx, v8::String::NewFromUtf8(isolate(), native.name).ToLocalChecked(), function)
          .Check();
    }
    ctx->Global()->Set(ctx, v8::String::NewFromUtf8Literal(isolate(), "natives"), natives).Check();
  }
  EXPECT_EQ(Eval("const hex = (b) => Array.from(new Uint8Array(b), (x) => x.toString(16)"
                 "  .padStart(2, '0')).join('');"
                 "const bytes = new Uint8Array(100000).map((_, i) => i * 7);"
                 "const results = [];"
                 "for (const name of ['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512']) {"
                 "  const state = natives.digestStart(name);"
                 "  for (let at = 0; at < bytes.length; at += 4093)"
                 "    natives.digestUpdate(state, bytes.subarray(at, at + 4093));"
                 "  natives.digestUpdate(state, new Uint8Array(0));"
                 "  const streamed = hex(natives.digestFinish(state));"
                 "  let again; try { natives.digestFinish(state); } catch (e) { again = e.name; }"
                 "  results.push(streamed === hex(natives.digest(name, bytes)), again);"
                 "}"
                 "results.join();"),
            "true,TypeError,true,TypeError,true,TypeError,true,TypeError");
}

}  // namespace
}  // namespace wsup::test
