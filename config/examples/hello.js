// Service-worker syntax: answers every request with the same text.
addEventListener('fetch', (event) => {
  event.respondWith(new Response('Hello from wsup\n', {headers: {'content-type': 'text/plain; charset=utf-8'}}));
});
