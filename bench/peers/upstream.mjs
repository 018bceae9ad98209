// The upstream of scripts/bench's "proxy" case: a keep-alive HTTP/1.1 server on 127.0.0.1 that
// answers every request with a small fixed body, so the case measures the proxying itself.
//   node upstream.mjs PORT
import http from "node:http";

const body = "Hello from the upstream\n";
const server = http.createServer((request, response) => {
  request.resume();
  request.on("end", () => {
    response.writeHead(200, { "content-type": "text/plain", "content-length": Buffer.byteLength(body) });
    response.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.argv[2]), "127.0.0.1");
