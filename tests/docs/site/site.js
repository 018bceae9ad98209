// docs/CONFIG.md's annotated example names this service worker (scripts[1], "site").
addEventListener('fetch', (event) => {
  event.respondWith(new Response('site\n'));
});
