// A built-in that never checks for termination: ICU's normalization of ~18 M characters runs
// in C++ for ~100 ms, past any CPU limit below that.
addEventListener('fetch', (event) => {
  '\uFDFA'.repeat(1 << 20).normalize('NFKD');
  event.respondWith(new Response('not stopped\n'));
});
