// Benchmark scenario "stream-1m": a 1 MiB body streamed in 64 chunks of 16 KiB, each made when the
// reader asks for it (chunk i filled with the letter 97 + i % 26).
addEventListener("fetch", (event) => {
  let made = 0;
  const body = new ReadableStream({
    pull(controller) {
      if (made === 64) return controller.close();
      made += 1;
      controller.enqueue(new Uint8Array(16384).fill(97 + (made % 26)));
    },
  });
  event.respondWith(new Response(body, { headers: { "content-type": "application/octet-stream" } }));
});
