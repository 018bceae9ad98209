// Benchmark scenario "timer": the response waits for one setTimeout(0) turn of the event loop.
addEventListener("fetch", (event) => {
  event.respondWith(
    (async () => {
      await new Promise((resolve) => setTimeout(resolve, 0));
      return new Response("timer fired\n", { headers: { "content-type": "text/plain" } });
    })(),
  );
});
