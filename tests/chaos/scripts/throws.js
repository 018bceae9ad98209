// Scenario 6: an uncaught exception: a clear 500, the worker unharmed.
addEventListener('fetch', (event) => {
  throw new Error('chaos: thrown on purpose');
});
