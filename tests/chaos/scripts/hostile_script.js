// The script-side attacks of issue #18, one per path (/script/NAME), for the hostile soak
// (scenario 16). Each used to hang or end its worker, or escape its limits; each must now get
// the answer of a limit while every other request carries on.
addEventListener('fetch', (event) => {
  const name = new URL(event.request.url).pathname.split('/')[2];
  // Blocked the worker's only thread where no limit could reach it; now a TypeError (500).
  if (name === 'atomics-wait') Atomics.wait(new Int32Array(new SharedArrayBuffer(8)), 0, 0);
  // 3 GiB of WebAssembly memory: a RangeError against the isolate's budget (500).
  if (name === 'wasm') new Uint8Array(new WebAssembly.Memory({initial: 49152}).buffer).fill(1);
  // 2^28 characters encoded: a 256 MiB buffer past the isolate's budget, a RangeError (500).
  if (name === 'encode') new TextEncoder().encode('x'.repeat(2 ** 28));
  // Allocates without bound: the heap limit (or the CPU limit, whichever comes first) ends it
  // with 503, the worker lives on.
  if (name === 'heap') {
    const keep = [];
    for (;;) keep.push(new Array(1 << 20).fill(Math.random()));
  }
  // A request that waits must not hold its isolate: answered (200) after a second's timer.
  if (name === 'wait') {
    return event.respondWith(
        new Promise((resolve) => setTimeout(() => resolve(new Response('waited\n')), 1000)));
  }
  event.respondWith(new Response('survived ' + name + '\n'));
});
