// Scenario 5: allocates ArrayBuffer memory (outside the V8 heap) without bound. The budgeted
// allocator must refuse (a RangeError: 500, or 503) long before the process runs out of memory.
addEventListener('fetch', (event) => {
  const keep = [];
  for (;;) keep.push(new ArrayBuffer(64 * 1024 * 1024));
});
