// Benchmark scenario "hello": the smallest fetch handler.
addEventListener("fetch", (event) => {
  event.respondWith(new Response("Hello, world!\n", { headers: { "content-type": "text/plain" } }));
});
