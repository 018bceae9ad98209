// crypto.subtle.digest against the FIPS 180 example vectors; getRandomValues and randomUUID
// against WebCrypto's rules.
#include "tests/worker/web/js_test_fixture.h"

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

}  // namespace
}  // namespace wsup::test
