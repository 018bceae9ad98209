// Scenario 4: an infinite loop. The CPU limit must terminate it (503) without harming others.
addEventListener('fetch', (event) => {
  for (;;) {
  }
});
