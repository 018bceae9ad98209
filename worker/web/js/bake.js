// Runs lazy families in a context a startup snapshot is about to be made of
// (web_platform.cc bake_lazy_families), and takes their common paths a few times. Contexts made
// from that snapshot then carry the families ready: their hidden classes (maps) made, their
// bytecode compiled, and their regular expressions compiled to machine code, which V8 does on
// a regexp's second run and would otherwise redo in every context. Returns what must stay
// alive for those maps to be kept; nothing else is left behind.
(function(global, families) {
'use strict';
const kept = [];
const kRuns = 3;
const exercise = {
  DOMException() { kept.push(new DOMException('warm', 'AbortError')); },
  AbortSignal() {
    const controller = new AbortController();
    controller.signal.addEventListener('abort', () => {});
    controller.abort();
    kept.push(controller, AbortSignal.abort());
  },
  TextEncoder() {
    const bytes = new TextEncoder().encode('warm é');
    new TextDecoder().decode(bytes);
    new TextDecoder('utf-8', {fatal: true}).decode(bytes);
    atob(btoa('warm'));
  },
  URLSearchParams() {
    // request.url's usual forms: a name or an IPv4 address, with or without a port.
    for (const text
             of ['https://warm.example/a/b?x=1&y=two', 'http://127.0.0.1:8080/a?x=1',
                 'http://localhost:8787/', 'http://warm.example/a#f']) {
      const url = new URL(text);
      for (const key of url.searchParams.keys()) url.searchParams.get(key);
      url.searchParams.has('x');
      [url.href, url.pathname, url.hostname, url.search, url.origin, url.host, url.port];
    }
    // One of each shape: a URL read by the fast path, one from the full parser.
    kept.push(new URL('http://warm.example/?x=1'), new URL('../c?z=3', 'https://warm.example/a/b'));
  },
  Crypto() {
    crypto.randomUUID();
    crypto.getRandomValues(new Uint8Array(8));
  },
  // Never a key: a key's handle holds a native pointer, which a snapshot cannot (crypto_support.h).
  // importKey's argument checks run, up to the usage check that refuses the call before any key
  // is made.
  SubtleCrypto() {
    crypto.subtle.digest('SHA-256', new Uint8Array(8));
    crypto.subtle.digest({name: 'sha-1'}, new ArrayBuffer(8));
    crypto.subtle.timingSafeEqual(new Uint8Array(4), new Uint8Array(4));
    crypto.subtle.importKey('raw', new Uint8Array(8), {name: 'HMAC', hash: 'SHA-256'}, false,
                            ['encrypt']).catch(() => {});
  },
  structuredClone() {
    kept.push(structuredClone({a: 1, b: [1, 2]}), performance.now(), navigator.userAgent);
  },
};
for (const name of families) {
  global[name];  // the first access runs the family
  for (let run = 0; run < kRuns; ++run) exercise[name]();
}
return kept;
})
