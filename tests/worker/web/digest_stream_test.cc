// crypto.DigestStream (Workers' extension, worker/web/js/crypto.js): the digest of what
// is written, however it is split, equals crypto.subtle.digest of the concatenation (MD5 against
// RFC 1321's vectors); piping a ReadableStream into it; abort, errors and writes after close; a
// large stream; the hashing state freed on close, abort and collection.
#include "tests/support/eventually.h"
#include "tests/worker/web/subtle_test_support.h"
#include "worker/web/crypto_support.h"

namespace wsup::test {
namespace {

using worker::web::crypto::live_digest_contexts;

class DigestStreamTest : public SubtleTest {
 protected:
  // Run() with `streamHex(algorithm, chunks)` in scope: writes the chunks, closes, and returns
  // the hex of the digest.
  std::string RunWithStream(const std::string& body) {
    return Run(R"JS(
      const streamHex = async (algorithm, chunks) => {
        const stream = new crypto.DigestStream(algorithm);
        const writer = stream.getWriter();
        for (const chunk of chunks) await writer.write(chunk);
        await writer.close();
        return hex(await stream.digest);
      };
    )JS" + body);
  }
};

TEST_F(DigestStreamTest, EverySplitHashesLikeDigestOfTheWhole) {
  EXPECT_EQ(RunWithStream(R"JS(
    const data = new Uint8Array(10007).map((_, i) => (i * 131 + (i >> 7)) & 0xff);
    const failures = [];
    for (const algorithm of ['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512']) {
      const whole = hex(await subtle.digest(algorithm, data));
      for (const size of [1, 7, 63, 64, 65, 1000, 4093, 10006, 10007, 20000]) {
        const chunks = [];
        for (let at = 0; at < data.length; at += size) chunks.push(data.subarray(at, at + size));
        if (await streamHex(algorithm, chunks) !== whole) failures.push(`${algorithm}/${size}`);
      }
      // Empty chunks and every kind of BufferSource: an ArrayBuffer, a DataView, a wider view.
      const mixed = [new Uint8Array(0), data.slice(0, 100).buffer,
          new DataView(data.buffer, 100, 4), new Uint16Array(data.slice(104, 1104).buffer),
          data.subarray(1104)];
      if (await streamHex(algorithm, mixed) !== whole) failures.push(`${algorithm}/mixed`);
      if (await streamHex(algorithm, []) !== hex(await subtle.digest(algorithm, new Uint8Array(0))))
        failures.push(`${algorithm}/empty`);
    }
    return failures.length === 0 ? 'all equal' : failures.join();
  )JS"),
            "all equal");
}

TEST_F(DigestStreamTest, KnownAnswersIncludingMd5) {
  // FIPS 180-2's "abc" and RFC 1321's MD5 test suite, split over several writes.
  EXPECT_EQ(RunWithStream("return streamHex('SHA-256', [text('a'), text('bc')]);"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(RunWithStream("return streamHex({name: 'sha-1'}, [text('ab'), text('c')]);"),
            "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(RunWithStream("return streamHex('MD5', []);"), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(RunWithStream("return streamHex('md5', [text('a'), text(''), text('bc')]);"),
            "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(RunWithStream("return streamHex('MD5', [text('message '), text('digest')]);"),
            "f96b697d7cb7938d525a2f31aaf161d0");
  EXPECT_EQ(RunWithStream("return streamHex('MD5', [text('1234567890'.repeat(4)), "
                          "text('1234567890'.repeat(4))]);"),
            "57edf4a22be3c955ac49da2e2107b67a");
}

TEST_F(DigestStreamTest, StringChunksAreHashedAsUtf8) {
  // As workerd does; a lone surrogate as TextEncoder writes it (U+FFFD).
  EXPECT_EQ(RunWithStream(R"JS(
    const parts = ['abc', 'é', '😀', '\uD800', ''];
    const streamed = await streamHex('SHA-256', parts);
    const whole = hex(await subtle.digest('SHA-256', text(parts.join(''))));
    return streamed === whole ? 'equal' : `${streamed} != ${whole}`;
  )JS"),
            "equal");
}

TEST_F(DigestStreamTest, APipedReadableStreamIsHashed) {
  EXPECT_EQ(Run(R"JS(
    const data = new Uint8Array(300000).map((_, i) => i % 251);
    let at = 0;
    const source = new ReadableStream({
      pull(controller) {
        if (at >= data.length) return controller.close();
        controller.enqueue(data.slice(at, at + 16384));
        at += 16384;
      },
    });
    const stream = new crypto.DigestStream('SHA-512');
    await source.pipeTo(stream);
    const [streamed, whole] = [hex(await stream.digest), hex(await subtle.digest('SHA-512', data))];
    return [streamed === whole, stream.bytesWritten, source.locked].join();
  )JS"),
            "true,300000,false");
}

TEST_F(DigestStreamTest, IsAWritableStreamWithWorkersShape) {
  EXPECT_EQ(Eval("const s = new crypto.DigestStream('SHA-256');"
                 "[s instanceof WritableStream, s instanceof crypto.DigestStream,"
                 " Object.prototype.toString.call(s), s.digest === s.digest,"
                 " s.digest instanceof Promise, typeof s.bytesWritten, s.bytesWritten,"
                 " crypto.DigestStream === crypto.DigestStream, crypto.DigestStream.name].join()"),
            "true,true,[object DigestStream],true,true,bigint,0,true,DigestStream");
  EXPECT_EQ(Run("const s = new crypto.DigestStream('SHA-256'); const w = s.getWriter();"
                "await w.write(new Uint8Array(5)); await w.write('héllo');"
                "return s.bytesWritten;"),
            "11");
}

TEST_F(DigestStreamTest, BadAlgorithmsAndCallsThrowAtConstruction) {
  EXPECT_EQ(Eval("try { new crypto.DigestStream('SHA-3'); } catch (e) { e.name }"),
            "NotSupportedError");
  EXPECT_EQ(Eval("try { new crypto.DigestStream({name: 'HMAC'}); } catch (e) { e.name }"),
            "NotSupportedError");
  // ASCII case-insensitive only: U+017F (long s) does not uppercase its way to "SHA".
  EXPECT_EQ(Eval("try { new crypto.DigestStream('\\u017Fha-256'); } catch (e) { e.name }"),
            "NotSupportedError");
  EXPECT_EQ(Eval("try { new crypto.DigestStream(); } catch (e) { e.constructor.name }"),
            "TypeError");
  EXPECT_EQ(Eval("try { new crypto.DigestStream(42); } catch (e) { e.constructor.name }"),
            "TypeError");
  EXPECT_EQ(Eval("try { crypto.DigestStream('SHA-256'); } catch (e) { e.constructor.name }"),
            "TypeError");
}

TEST_F(DigestStreamTest, AbortRejectsTheDigestAndFreesTheState) {
  const size_t before = live_digest_contexts();
  EXPECT_EQ(Run(R"JS(
    globalThis.aborted = new crypto.DigestStream('SHA-256');
    const writer = aborted.getWriter();
    await writer.write(text('partial'));
    await writer.abort(new Error('stop'));
    return aborted.digest.then(() => 'resolved', (e) => 'rejected: ' + e.message);
  )JS"),
            "rejected: stop");
  // Freed at the abort, while the stream is still referenced (LE: an earlier test's isolate may
  // still be freeing its own).
  EXPECT_LE(live_digest_contexts(), before);
}

TEST_F(DigestStreamTest, WritesAfterCloseAndNonByteChunksAreTypeErrors) {
  EXPECT_EQ(Run(R"JS(
    const closed = new crypto.DigestStream('SHA-1');
    const writer = closed.getWriter();
    await writer.write(text('abc'));
    await writer.close();
    const late = await writer.write(text('more')).then(() => 'written', (e) => e.constructor.name);
    return [late, hex(await closed.digest)].join();
  )JS"),
            "TypeError,a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(Run(R"JS(
    const stream = new crypto.DigestStream('SHA-256');
    const writer = stream.getWriter();
    const written = await writer.write(42).then(() => 'written', (e) => e);
    const digest = await stream.digest.then(() => 'resolved', (e) => e);
    const next = await writer.write(text('x')).then(() => 'written', (e) => e);
    return [written.constructor.name, digest === written, next === written].join();
  )JS"),
            "TypeError,true,true");
}

TEST_F(DigestStreamTest, ALargeStreamHashesLikeTheWhole) {
  // 48 MiB in 1 MiB chunks (the same chunk, each write hashing it again).
  EXPECT_EQ(Run(R"JS(
    const chunk = new Uint8Array(1 << 20).map((_, i) => (i * 7) & 0xff);
    const whole = new Uint8Array(48 << 20);
    for (let i = 0; i < 48; ++i) whole.set(chunk, i << 20);
    const stream = new crypto.DigestStream('SHA-256');
    const writer = stream.getWriter();
    for (let i = 0; i < 48; ++i) await writer.write(chunk);
    await writer.close();
    const equal = hex(await stream.digest) === hex(await subtle.digest('SHA-256', whole));
    return [equal, stream.bytesWritten].join();
  )JS"),
            "true,50331648");
}

TEST_F(DigestStreamTest, UnfinishedStreamsFreeTheirStateWhenCollected) {
  const size_t before = live_digest_contexts();
  ASSERT_EQ(Run("for (let i = 0; i < 40; ++i) {"
                "  const stream = new crypto.DigestStream('SHA-384');"
                "  await stream.getWriter().write(text('never closed'));"
                "}"
                "return 'dropped';"),
            "dropped");
  EXPECT_GE(live_digest_contexts(), before + 1);
  v8::Isolate::Scope isolate_scope(isolate());
  // V8 may free backing stores on a background thread after the collection.
  EXPECT_TRUE(wsup::testing::eventually([&] {
    isolate()->LowMemoryNotification();
    return live_digest_contexts() <= before;
  })) << live_digest_contexts() - before
      << " digest state(s) still alive";
}

}  // namespace
}  // namespace wsup::test
