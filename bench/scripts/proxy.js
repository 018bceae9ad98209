// Benchmark scenario "proxy": the request goes on to a local upstream (bench/peers/upstream.mjs,
// started by scripts/bench on 127.0.0.1:18690) with fetch(), whose Response is handed back as
// it is, its body streamed through.
const UPSTREAM = "http://127.0.0.1:18690";
addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  event.respondWith(fetch(UPSTREAM + url.pathname + url.search));
});
