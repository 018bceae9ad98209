// Service-worker syntax: answers every request with the same text; a cron trigger or
// `wsup trigger hello` runs the scheduled listener.
addEventListener('fetch', (event) => {
  event.respondWith(new Response('Hello from wsup\n', {headers: {'content-type': 'text/plain; charset=utf-8'}}));
});
addEventListener('scheduled', (event) => {
  console.log(`scheduled run: cron "${event.cron}" at ${new Date(event.scheduledTime).toISOString()}`);
});
