// Reads a Response's body stream for the runtime, which sends it to the client as it comes
// (worker/response_body_pump.h). The runtime calls internal.pumpResponseBody(stream) once the
// head has gone out; the loop below hands each chunk to internal.bodyChunk, and waits when that
// says the client is not keeping up, until the runtime calls resume(). cancel(reason) runs when
// the client is gone or the wall time is up: it cancels the stream, so the source's cancel()
// runs.

internal.pumpResponseBody = (stream) => {
  const reader = stream.getReader();
  let wake = null;  // set while the loop waits for the client
  let cancelled = false;
  (async () => {
    try {
      for (;;) {
        const {done, value} = await reader.read();
        if (cancelled) return;
        if (done) return internal.bodyEnd();
        // Workers accept only bytes (internal.toBodyBytes throws workerd's TypeError otherwise).
        if (!internal.bodyChunk(internal.toBodyBytes(value))) {
          await new Promise((resolve) => {
            wake = resolve;
          });
        }
        if (cancelled) return;
      }
    } catch (error) {
      if (!cancelled) internal.bodyError(error);
    }
  })();
  return {
    resume() {
      const resolve = wake;
      wake = null;
      if (resolve !== null) resolve();
    },
    cancel(reason) {
      cancelled = true;
      const resolve = wake;
      wake = null;
      if (resolve !== null) resolve();
      reader.cancel(reason).catch(() => {});
    },
  };
};
