// Scenario 12: each request carries its own secret (header x-chaos-secret, ?secret=, body).
// The script stores it in a global, a module-level variable and on Array.prototype, waits on a
// timer so that concurrent requests overlap on the worker's one thread, then reads everything
// back. Any sharing between requests shows up as another request's secret in the answer, or as
// a non-empty "prev" (state left by an earlier request).
let moduleLevel = '';
addEventListener('fetch', (event) => event.respondWith(handle(event.request)));

async function handle(request) {
  const header = request.headers.get('x-chaos-secret');
  const query = new URL(request.url).searchParams.get('secret');
  const prev = (globalThis.chaosSecret || '') + (moduleLevel || '') + ([].chaosSecret || '');
  globalThis.chaosSecret = header;
  moduleLevel = header;
  Array.prototype.chaosSecret = header;
  const body = await request.text();
  await new Promise((resolve) => setTimeout(resolve, 2));
  return new Response(`h=${header} q=${query} b=${body} g=${globalThis.chaosSecret} ` +
                      `m=${moduleLevel} p=${[].chaosSecret} prev=${prev}`);
}
