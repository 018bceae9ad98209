// Scenario 13: /stream?kib=N streams N KiB (endless without kib) in 16 KiB chunks, a chunk every
// 2 ms, each made only when the reader wants it; anything else answers "hello".
export default {
  fetch(request) {
    const url = new URL(request.url);
    if (url.pathname !== '/stream') return new Response('hello\n');
    const kib = url.searchParams.get('kib');
    const chunks = kib === null ? Infinity : Math.ceil(Number(kib) / 16);
    let made = 0;
    return new Response(new ReadableStream({
      async pull(controller) {
        if (made >= chunks) return controller.close();
        await new Promise((done) => setTimeout(done, 2));
        controller.enqueue(new Uint8Array(16384).fill(97 + (made++ % 26)));
      },
    }));
  },
};
