// Benchmark scenario "echo": returns the POSTed body unchanged (1 KiB and 64 KiB bodies).
addEventListener("fetch", (event) => {
  event.respondWith(
    event.request.arrayBuffer().then(
      (body) => new Response(body, { headers: { "content-type": "application/octet-stream" } }),
    ),
  );
});
