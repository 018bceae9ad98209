// Scenario 6: a response promise that never settles: a clear error (500 or 504), never a hang.
addEventListener('fetch', (event) => {
  event.respondWith(new Promise(() => {}));
});
