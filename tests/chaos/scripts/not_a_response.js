// Scenario 6: resolves with something that is not a Response: a clear 500.
addEventListener('fetch', (event) => {
  event.respondWith(Promise.resolve({status: 200, body: 'not a Response object'}));
});
