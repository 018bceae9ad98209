// Bun and Deno peer for scripts/bench: both have Request/Response/Headers built in, so the
// Workers-style script (bench/scripts/*.js) runs unchanged once addEventListener("fetch") is
// captured. One process; scripts/bench starts several with reusePort for one per core.
//   bun std-server.mjs SCRIPT PORT      deno run -A std-server.mjs SCRIPT PORT
const [script, port] = typeof Deno !== "undefined" ? Deno.args : process.argv.slice(2);
let listener = null;
globalThis.addEventListener = (type, fn) => { if (type === "fetch") listener = fn; };
const source = typeof Deno !== "undefined" ? Deno.readTextFileSync(script) : await Bun.file(script).text();
(0, eval)(source);  // indirect eval: global scope, like a service-worker script

const fetch = (request) => new Promise((resolve, reject) => {
  let responded = false;
  try {
    listener({ type: "fetch", request, respondWith(r) { responded = true; resolve(r); }, waitUntil() {} });
  } catch (error) { reject(error); return; }
  if (!responded) reject(new Error("the fetch listener did not call respondWith()"));
});
const options = { hostname: "127.0.0.1", port: Number(port), reusePort: true };
if (typeof Deno !== "undefined") Deno.serve({ ...options, onListen() {} }, fetch);
else Bun.serve({ ...options, fetch });
