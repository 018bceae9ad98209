// Benchmark scenario "passthrough": the POSTed body handed on as a stream, `new Response(req.body)`
// (64 KiB bodies), the idiom of proxies and middleware.
addEventListener("fetch", (event) => {
  event.respondWith(
    new Response(event.request.body, { headers: { "content-type": "application/octet-stream" } }),
  );
});
