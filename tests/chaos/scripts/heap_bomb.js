// Scenario 5: allocates on the V8 heap without bound. The heap limit must end the request with
// 503, replace the isolate, and leave the worker process alive.
addEventListener('fetch', (event) => {
  const keep = [];
  for (;;) keep.push(new Array(1 << 20).fill(Math.random()));
});
