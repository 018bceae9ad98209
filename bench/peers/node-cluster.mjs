// Node.js peer for scripts/bench: the cluster module with one worker process per core, serving a
// Workers-style script (bench/scripts/*.js) through the shim in workers-shim.mjs.
//   node node-cluster.mjs --script FILE --port N [--host 127.0.0.1] [--workers K] [--mode plain|vm]
// plain: the script is evaluated once per process and its fetch listener serves every request
//        (globals persist between requests, as in workerd).
// vm:    a fresh vm.createContext() per request, the pre-compiled script run in it, then its
//        listener called: the per-request isolation wsup gives.
import cluster from "node:cluster";
import http from "node:http";
import os from "node:os";
import fs from "node:fs";
import vm from "node:vm";
import { parseArgs } from "node:util";
import { Buffer } from "node:buffer";
import { Request, fetchRegistry, dispatchFetch, workerGlobals } from "./workers-shim.mjs";

const { values: args } = parseArgs({
  options: {
    script: { type: "string" },
    port: { type: "string" },
    host: { type: "string", default: "127.0.0.1" },
    workers: { type: "string", default: String(os.availableParallelism()) },
    mode: { type: "string", default: "plain" },
  },
});
if (!args.script || !args.port || !["plain", "vm"].includes(args.mode)) {
  console.error("usage: node-cluster.mjs --script FILE --port N [--workers K] [--mode plain|vm]");
  process.exit(2);
}

if (cluster.isPrimary) {
  const workers = Number(args.workers);
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on("exit", (worker, code, signal) => {
    console.error(`node-cluster: worker ${worker.process.pid} exited code=${code} signal=${signal}`);
    process.exit(1);  // a benchmark with a dead worker is meaningless: stop loudly
  });
  process.on("SIGTERM", () => {
    for (const id in cluster.workers) cluster.workers[id].process.kill("SIGTERM");
    process.exit(0);
  });
} else {
  const source = fs.readFileSync(args.script, "utf8");
  const script = new vm.Script(source, { filename: args.script });
  let handlerFor;
  if (args.mode === "plain") {
    const registry = fetchRegistry();
    // defineProperty, not assignment: Node 20's globalThis.crypto is a getter without a setter.
    for (const [name, value] of Object.entries(workerGlobals(registry.addEventListener)))
      Object.defineProperty(globalThis, name, { value, writable: true, configurable: true });
    script.runInThisContext();
    const listener = registry.handler();
    handlerFor = () => listener;
  } else {
    handlerFor = () => {
      const registry = fetchRegistry();
      const context = vm.createContext(workerGlobals(registry.addEventListener));
      script.runInContext(context);
      return registry.handler();
    };
  }

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", async () => {
      try {
        const request = new Request(`http://${req.headers.host || "localhost"}${req.url}`, {
          method: req.method,
          headers: Object.entries(req.headers),
          body: chunks.length === 0 ? null : Buffer.concat(chunks),
        });
        const response = await dispatchFetch(handlerFor(), request);
        const headers = {};
        response.headers.forEach((value, name) => { headers[name] = value; });
        res.writeHead(response.status, headers);
        res.end(response.bytes());
      } catch (error) {
        res.writeHead(500, { "content-type": "text/plain" });
        res.end(`node-cluster: ${error && error.stack ? error.stack : error}\n`);
      }
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(Number(args.port), args.host);
}
