// Service-worker syntax: every path that is not under /api/.
addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  event.respondWith(new Response(`site: ${url.pathname}\n`, {headers: {'content-type': 'text/plain'}}));
});
