// The load cases: which script, which request, and how to check that a server answers it right
// before it is measured (a fast wrong answer must not count). Cases marked `extra` run only
// when --cases names them.
import { spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { request } from "./http.mjs";

export const CASES = [
  { id: "hello", script: "bench/scripts/hello.js", path: "/", bodyBytes: 0 },
  { id: "json", script: "bench/scripts/json.js", path: "/json?id=42&name=bench&tags=a,b,c&page=2&order=desc", bodyBytes: 0 },
  { id: "echo-1k", script: "bench/scripts/echo.js", path: "/echo", bodyBytes: 1024 },
  { id: "echo-64k", script: "bench/scripts/echo.js", path: "/echo", bodyBytes: 65536 },
  { id: "timer", script: "bench/scripts/timer.js", path: "/timer", bodyBytes: 0 },
  { id: "stream-1m", script: "bench/scripts/stream.js", path: "/stream", bodyBytes: 0 },
  { id: "passthrough", script: "bench/scripts/passthrough.js", path: "/passthrough", bodyBytes: 65536 },
  { id: "hmac", script: "bench/scripts/hmac.js", path: "/hmac", bodyBytes: 0, extra: true },
  { id: "ecdsa", script: "bench/scripts/ecdsa.js", path: "/ecdsa", bodyBytes: 0, extra: true },
  // Real apps (bench/apps, bundled by bench/lib/apps.mjs into build/bench/apps/): `app` names the
  // bundle; `warmUp` is what wsup runs before taking the script's snapshot (cluster.yaml
  // `warm_up`).
  { id: "hono-api", app: "hono-api", script: "build/bench/apps/hono-api.js", path: "/api/users/42?fields=name,email", bodyBytes: 0, warmUp: ["/api/users/1?fields=name"] },
  { id: "hono-zod", app: "hono-zod", script: "build/bench/apps/hono-zod.js", path: "/api/orders/123?expand=items&per=5", bodyBytes: 0, warmUp: ["/api/orders/1?expand=items"] },
  // fetch() to a local upstream (bench/peers/upstream.mjs on kUpstreamPort), its answer handed back.
  { id: "proxy", script: "bench/scripts/proxy.js", path: "/proxy", bodyBytes: 0, extra: true },
];

// Where bench/scripts/proxy.js finds its upstream (the scripts cannot be told at run time).
export const kUpstreamPort = 18690;

// Same bytes as bench/wrk/report.lua sends.
const lua_body = (n) => "abcdefghijklmnop".repeat(Math.floor(n / 16)) + "x".repeat(n % 16);

async function expect(port, c, check) {
  const init = { path: c.path, headers: { "x-bench-user": "alice" } };
  if (c.bodyBytes > 0) Object.assign(init, { method: "POST", body: lua_body(c.bodyBytes) });
  const { status, text } = await request(port, init);
  if (status !== 200) return `status ${status}: ${text.slice(0, 200)}`;
  return check(text);
}

// Resolves to null when the server on `port` answers case `c` correctly, else to what is wrong.
export async function verify(port, c) {
  try {
    switch (c.script) {
      case "bench/scripts/hello.js":
        return await expect(port, c, (t) => (t === "Hello, world!\n" ? null : `body ${JSON.stringify(t.slice(0, 80))}`));
      case "bench/scripts/timer.js":
        return await expect(port, c, (t) => (t === "timer fired\n" ? null : `body ${JSON.stringify(t.slice(0, 80))}`));
      case "bench/scripts/hmac.js": {
        const mac = createHmac("sha256", "bench secret key, 32 bytes long!")
          .update(lua_body(1024)).digest("hex");
        return await expect(port, c, (t) => (t === mac + "\n" ? null : `body ${JSON.stringify(t.slice(0, 80))}`));
      }
      case "bench/scripts/proxy.js":
        return await expect(port, c, (t) => (t === "Hello from the upstream\n" ? null : `body ${JSON.stringify(t.slice(0, 80))}`));
      case "bench/scripts/ecdsa.js":
        return await expect(port, c, (t) => (t === "valid\n" ? null : `body ${JSON.stringify(t.slice(0, 80))}`));
      case "bench/scripts/stream.js": {
        let want = "";
        for (let i = 1; i <= 64; i++) want += String.fromCharCode(97 + (i % 26)).repeat(16384);
        return await expect(port, c, (t) => (t === want ? null : `stream of 1 MiB came back as ${t.length} B, or changed`));
      }
      case "bench/scripts/passthrough.js":
      case "bench/scripts/echo.js":
        return await expect(port, c, (t) => (t === lua_body(c.bodyBytes) ? null : `echo of ${c.bodyBytes} B came back as ${t.length} B`));
      case "build/bench/apps/hono-api.js":
        return await expect(port, c, (t) => {
          const d = JSON.parse(t);
          return d.user?.name === "user 42" && d.user.email === "user42@example.com" && d.by === "alice"
            ? null : `unexpected JSON: ${t.slice(0, 120)}`;
        });
      case "build/bench/apps/hono-zod.js":
        return await expect(port, c, (t) => {
          const d = JSON.parse(t);
          return d.order?.id === 123 && d.query?.per === 5 && d.by === "alice"
            ? null : `unexpected JSON: ${t.slice(0, 120)}`;
        });
      case "bench/scripts/json.js":
        return await expect(port, c, (t) => {
          const d = JSON.parse(t);
          const fields = Object.keys(d).length;
          if (fields !== 20 || d.user !== "alice" || d.id !== 42 || d.tags.length !== 3) {
            return `unexpected JSON (${fields} fields): ${t.slice(0, 120)}`;
          }
          return null;
        });
      default:
        return `no check for ${c.script}`;
    }
  } catch (error) {
    return `request failed: ${error.message}`;
  }
}

// The exact wrk invocation for one run; `env` holds what report.lua reads.
export function wrkCommand(c, { port, connections, threads, duration }) {
  const t = Math.max(1, Math.min(threads, connections));
  const argv = ["wrk", `-t${t}`, `-c${connections}`, `-d${duration}s`, "--timeout", "5s",
    "-s", "bench/wrk/report.lua", `http://127.0.0.1:${port}${c.path}`];
  const env = c.bodyBytes > 0 ? { BENCH_BODY_BYTES: String(c.bodyBytes) } : {};
  const shell = [...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...argv.map((a) => (/[?&]/.test(a) ? `'${a}'` : a))].join(" ");
  return { argv, env, shell };
}

// Runs wrk and resolves to its parsed summary. Asynchronous, so that a server's exit is noticed.
export async function runWrk(command, duration) {
  const r = await new Promise((resolve) => {
    const child = spawn(command.argv[0], command.argv.slice(1), { env: { ...process.env, ...command.env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => { stdout += d; });
    child.stderr.on("data", (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill("SIGKILL"), (duration + 30) * 1000);
    child.on("error", (error) => { clearTimeout(timer); resolve({ status: null, stdout, stderr: error.message }); });
    child.on("close", (status) => { clearTimeout(timer); resolve({ status, stdout, stderr }); });
  });
  const line = (r.stdout || "").split("\n").find((l) => l.startsWith("BENCH_RESULT "));
  if (!line) return { error: `wrk gave no result (status ${r.status}): ${(r.stderr || r.stdout || "").trim().slice(0, 200)}` };
  const s = JSON.parse(line.slice("BENCH_RESULT ".length));
  const errors = Object.values(s.errors).reduce((a, b) => a + b, 0);
  return {
    rps: s.requests / (s.duration_us / 1e6),
    p50_us: s.p50_us, p99_us: s.p99_us, p90_us: s.p90_us, max_us: s.max_us,
    requests: s.requests, duration_s: s.duration_us / 1e6, errors, error_detail: s.errors,
  };
}
