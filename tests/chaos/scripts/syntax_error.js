// Scenario 10: does not compile. The worker's check must name this file, line 4.
addEventListener('fetch', (event) => {
  event.respondWith(new Response('never'));
  const = 5;
});
