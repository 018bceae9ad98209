// The well-behaved neighbour: every scenario's steady load goes here.
addEventListener('fetch', (event) => {
  event.respondWith(new Response('hello\n', {headers: {'content-type': 'text/plain'}}));
});
