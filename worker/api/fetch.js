// fetch(input, init) (WHATWG Fetch, as Cloudflare Workers offers it) over the worker's HTTP
// client (worker/egress/). The Request is built here; the subrequest runs in C++ on the worker's
// loop (internal.fetchStart, through the request's JsHost), and what it reports comes back as
// calls of the handlers below, each in a slice of the calling request (worker/request_fetch.cc).
// The Response's body is *fetched* (body.js): its chunks wait in the runtime until the script
// opens its byte ReadableStream, which is then fed chunk by chunk (the subrequest reads nothing
// more from its socket while no read waits), or until the runtime takes it untouched as the
// answer's body and sends it on in C++ (worker/request_fetch_pipe.cc).
// Errors of the client and refusals of the outbound policy or the request's subrequest budget
// reject with a TypeError carrying the client's sentence; an AbortSignal rejects with its reason.

function fetch(input, init = undefined) {
  return new Promise((resolve, reject) => {
    // Every error below, the Request's own included, rejects the promise.
    const request = new Request(input, init);
    const [method, url, headers, redirect, signal] = requestParts(request);
    if (signal !== null && signal.aborted) throw signal.reason;
    // [.., .., body, length]: a whole body (string or Uint8Array) or a stream (bodyForRuntime).
    const fields = [0, null, null, undefined];
    bodyForRuntime(request, fields);
    let body = fields[2];
    let source = null;  // a streamed request body
    if (body !== null && typeof body === 'object' && !(body instanceof kUint8Array)) {
      source = body;
      body = true;
    }

    let id = 0;
    let controller = null;  // the response body stream's, once the head came
    let reader = null;      // the request body's
    let finished = false;   // ended, failed or aborted: nothing more comes from the client
    let failure = null;     // why it was aborted: a body stream opened later errors with it
    let handed = false;     // the runtime took the body: it goes to the client, not to JS
    // The response body's stream, made when the script first asks for it. Its highWaterMark
    // is 0, so it asks for nothing until someone reads: a stream nobody read can still be
    // taken by the runtime (takeBody). Each read resumes the subrequest, and each chunk
    // that arrives without a pending read pauses it again.
    const openBody = () => {
      const stream = new web.streams.ReadableStream({
        __proto__: null,
        type: 'bytes',
        start(c) {
          controller = c;
          if (failure !== null) c.error(failure);
        },
        pull() {
          if (!finished) internal.fetchResume(id);
        },
        cancel() {
          if (finished || handed) return;
          finish();
          internal.fetchAbort(id);
        },
      }, {highWaterMark: 0});
      (fetchedStreams ??= new WeakMap()).set(stream, takeBody);
      return stream;
    };
    // The runtime takes the untouched body to send it on itself: the subrequest's id, or 0 when
    // it is over or taken already (the runtime then reads the stream, as any other).
    const takeBody = () => {
      if (finished || handed) return 0;
      handed = true;
      return id;
    };
    const finish = () => {
      finished = true;
      if (signal !== null) signal.removeEventListener('abort', onAbort);
    };
    // Before the head: the promise rejects; after it: the body stream errors.
    const fail = (error) => {
      if (controller === null) return reject(error);
      try {
        controller.error(error);
      } catch {}
    };
    const abort = (error) => {
      if (finished) return;
      finish();
      failure = error;
      internal.fetchAbort(id);  // the runtime cuts the answer off if it took the body
      if (handed) return;
      if (reader !== null) reader.cancel(error).catch(() => {});
      fail(error);
    };
    const onAbort = () => abort(signal.reason);

    const handlers = {
      __proto__: null,
      head(status, statusText, flatHeaders, finalUrl, redirected) {
        // The body's chunks wait in the runtime until the script asks for the stream (open) or
        // the runtime takes the body as the answer's (take).
        const fetched = method === 'HEAD' || kNullBodyStatuses.includes(status) ?
            null :
            {__proto__: null, open: openBody, take: takeBody};
        resolve(makeFetchedResponse(status, statusText, flatHeaders, finalUrl, redirected, fetched));
      },
      // A chunk (a Uint8Array the stream may own); false: pause until the reader pulls.
      body(bytes) {
        if (controller === null) return true;
        try {
          controller.enqueue(bytes);
        } catch {
          return true;  // the stream was cancelled or errored meanwhile
        }
        return controller.desiredSize > 0;
      },
      end() {
        finish();
        if (controller === null) return;
        try {
          controller.close();
        } catch {}
      },
      error(message) {
        finish();
        fail(new TypeError(message));
      },
      // The client can take the next chunk of a streamed request body.
      bodyReady() {
        reader ??= source.getReader();
        reader.read()
            .then(({done, value}) => {
              if (finished) return;
              if (done) return internal.fetchEndBody(id);
              const bytes = internal.toBodyBytes(value);
              if (bytes.byteLength === 0) return handlers.bodyReady();
              internal.fetchWrite(id, bytes);
            })
            .catch(abort);
      },
    };
    id = internal.fetchStart(handlers, method, url, flattenHeaders(headers), redirect, body,
                             fields[3]);
    if (signal !== null) signal.addEventListener('abort', onAbort);
  });
}

Object.defineProperty(globalThis, 'fetch', {value: fetch, writable: true, configurable: true});
