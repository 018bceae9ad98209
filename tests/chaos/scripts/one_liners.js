// The memory one-liners of issue #18, one per path (/one-liner/NAME). Each used to end its worker
// process (SIGTRAP "JavaScript heap out of memory", or 3 GiB of WebAssembly memory).
addEventListener('fetch', (event) => {
  const name = new URL(event.request.url).pathname.split('/')[2];
  if (name === 'fill') new Array(1e9).fill(0);
  if (name === 'replace') 'a'.repeat(1e8).replace(/a/g, 'bb');
  if (name === 'encode') new TextEncoder().encode('x'.repeat(2 ** 28));
  if (name === 'split') 'x'.repeat(2 ** 28).split('');
  if (name === 'wasm') new Uint8Array(new WebAssembly.Memory({initial: 49152}).buffer).fill(1);
  event.respondWith(new Response('survived ' + name + '\n'));
});
