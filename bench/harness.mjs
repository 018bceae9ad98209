// scripts/bench's engine: measures wsup and its peers on the same machine in one invocation.
// Run it through scripts/bench (which checks prerequisites and installs the peers); see
// `scripts/bench --help` for the options. Runs from the repository root; paths stay relative.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { makeTargets } from "./lib/targets.mjs";
import { CASES, kUpstreamPort, verify, wrkCommand, runWrk } from "./lib/cases.mjs";
import { buildApp } from "./lib/apps.mjs";
import { launch, stop, waitReady, portBusy, stopAllNow, logTail } from "./lib/processes.mjs";
import { treeCpu, cpuPerRequest } from "./lib/cpu.mjs";
import { writeReports } from "./lib/report.mjs";

process.chdir(path.resolve(path.dirname(fileURLToPath(import.meta.url)), ".."));
const cores = os.availableParallelism();
const fail = (msg) => { process.stderr.write(`bench: error: ${msg} (see scripts/bench --help)\n`); process.exit(2); };
let o;
try {
  ({ values: o } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    duration: { type: "string" },
    runs: { type: "string" },
    warmup: { type: "string" },
    targets: { type: "string", default: "wsup,wsup-isolate,workerd,node-cluster,node-vm,bun,deno" },
    cases: { type: "string", default: CASES.filter((c) => !c.extra).map((c) => c.id).join(",") },
    connections: { type: "string", default: "1,64" },
    "wrk-threads": { type: "string", default: "2" },
    workers: { type: "string", default: String(cores) },
    "max-workers": { type: "string", default: String(cores) },
    "scaling-targets": { type: "string", default: "wsup,node-cluster,node-vm" },
    "no-scaling": { type: "boolean", default: false },
    "scaling-only": { type: "boolean", default: false },
    "no-plots": { type: "boolean", default: false },
    "port-base": { type: "string", default: "18700" },
    out: { type: "string", default: "build/bench" },
    "report-only": { type: "boolean", default: false },
  },
  }));
} catch (error) {
  fail(error.message);
}
const settings = {
  duration: Number(o.duration ?? (o.quick ? 2 : 5)),
  runs: Number(o.runs ?? (o.quick ? 1 : 3)),
  warmup: Number(o.warmup ?? (o.quick ? 0 : 1)),
  connections: o.connections.split(",").map(Number),
  wrkThreads: Number(o["wrk-threads"]),
  workers: Number(o.workers),
  maxWorkers: Number(o["max-workers"]),
  portBase: Number(o["port-base"]),
  quick: o.quick,
};
for (const [k, v] of Object.entries(settings)) if (typeof v === "number" && !(v >= 0)) fail(`--${k} needs a number`);
if (settings.runs < 1 || settings.duration < 1 || settings.maxWorkers < 1 || settings.workers < 1) fail("--runs, --duration, --workers and --max-workers must be at least 1");
const outDir = o.out;
fs.mkdirSync(outDir, { recursive: true });
if (o["report-only"]) {
  // Re-render the markdown and plots of the last run without measuring anything.
  const file = path.join(outDir, "results.json");
  if (!fs.existsSync(file)) fail(`${file} not found: run scripts/bench first`);
  process.stdout.write(writeReports(JSON.parse(fs.readFileSync(file, "utf8")), { outDir, plots: !o["no-plots"] }));
  process.exit(0);
}
const note = (msg) => process.stderr.write(`bench: ${msg}\n`);
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => { stopAllNow(); process.exit(130); });
process.on("exit", stopAllNow);

const firstLine = (argv) => (spawnSync(argv[0], argv.slice(1), { encoding: "utf8" }).stdout || "").split("\n")[0].trim();
const cpuModel = (fs.readFileSync("/proc/cpuinfo", "utf8").match(/model name\s*:\s*(.*)/) || [])[1] || os.cpus()[0]?.model;
const machine = {
  cores, cpu: cpuModel, kernel: os.release(), memory_gib: Math.round(os.totalmem() / 2 ** 30),
  loadavg_start: os.loadavg().map((l) => l.toFixed(2)).join(" "), node: process.version,
  wrk: firstLine(["wrk", "-v"]).replace(/ Copyright.*/, ""), date: new Date().toISOString(),
};
note(`${machine.cores} cores, ${machine.cpu}, load average ${machine.loadavg_start}`);

const all = makeTargets({ outDir });
const targets = o.targets.split(",").map((name) => {
  const t = all.find((x) => x.name === name);
  if (!t) fail(`unknown target ${name} (known: ${all.map((x) => x.name).join(", ")})`);
  const c = t.check();
  if (c.reason) note(`${t.name}: not runnable${t.name === "wsup" ? " yet" : ""} (${c.reason})`);
  return { ...t, version: c.version, unavailable: c.reason ?? null };
});
targets.forEach((t, i) => { t.port = settings.portBase + i; });
for (const n of o["scaling-targets"].split(",")) if (!all.some((t) => t.name === n)) fail(`unknown scaling target ${n}`);
const cases = o.cases.split(",").map((id) => {
  const c = CASES.find((x) => x.id === id);
  if (!c) fail(`unknown case ${id} (known: ${CASES.map((x) => x.id).join(", ")})`);
  return c;
});
// The real apps' bundles, made fresh from the pinned packages.
for (const c of cases) {
  if (!c.app) continue;
  try { buildApp(c.app); } catch (error) { fail(`${c.id}: ${error.message}`); }
}

// A server may answer (e.g. 503) before all its workers are up: retry the check for a while.
async function verifyPatiently(port, c, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const bad = await verify(port, c);
    if (!bad) return null;
    if (Date.now() > deadline) return `wrong answer: ${bad}`;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

// Starts `list` on `script` with k processes each; returns per-target n/a reasons (null = ready).
async function startAll(list, script, k, probeCase, warmUp = []) {
  const started = [];
  for (const t of list) {
    if (t.unavailable) { started.push({ t, na: t.unavailable }); continue; }
    if (await portBusy(t.port)) { started.push({ t, na: `port ${t.port} already in use` }); continue; }
    const g = t.start(script, t.port, k, warmUp);
    let na = await waitReady(g.handles, t.port);
    if (!na) na = await verifyPatiently(t.port, probeCase);
    if (na) { await g.stop(); na = t.notRunnable ? t.notRunnable(na) : na; note(`${t.name}: not runnable${t.name === "wsup" ? " yet" : ""} (${na})`); }
    started.push({ t, g: na ? null : g, na });
  }
  return started;
}

// A B A B ...: every run of a case visits every ready target before the next run starts.
async function measure(started, c, connections, label) {
  const out = {};
  const ready = started.filter((s) => !s.na);
  for (const s of started) out[s.t.name] = s.na ? { na: s.na } : { runs: [], command: null };
  if (settings.warmup > 0) {
    for (const s of ready) await runWrk(wrkCommand(c, { port: s.t.port, connections, threads: settings.wrkThreads, duration: settings.warmup }), settings.warmup);
  }
  for (let run = 1; run <= settings.runs; run++) {
    for (const s of ready) {
      const dead = s.g.handles.find((h) => h.exited !== null);
      if (dead) {  // a server that died mid-way gets no more runs; its column says why
        out[s.t.name].runs.push({ error: `server ${dead.exited} during the runs: ${logTail(dead)}` });
        continue;
      }
      const cmd = wrkCommand(c, { port: s.t.port, connections, threads: settings.wrkThreads, duration: settings.duration });
      const pids = s.g.handles.map((h) => h.child.pid);
      const cpuBefore = treeCpu(pids);
      const r = await runWrk(cmd, settings.duration);
      if (!r.error && r.requests > 0) {
        // The server's own CPU (all its processes), not wrk's: per request, by thread name, and
        // as cores kept busy.
        const cpu = cpuPerRequest(cpuBefore, treeCpu(pids), r.requests);
        r.cpu_us_per_request = cpu.total_us;
        r.cpu_us_by_thread = cpu.threads_us;
        r.cores_busy = cpu.seconds / r.duration_s;
      }
      out[s.t.name].command = cmd.shell;
      r.loadavg = os.loadavg()[0];  // the machine may be shared: keep its load beside each run
      out[s.t.name].runs.push(r);
      note(`${label} run ${run}/${settings.runs} ${s.t.name}: ${r.error ?? `${Math.round(r.rps)} req/s p50 ${r.p50_us} µs p99 ${r.p99_us} µs${r.cores_busy !== undefined ? ` cpu ${Math.round(r.cpu_us_per_request)} µs/req ${r.cores_busy.toFixed(2)} cores` : ""}${r.errors ? ` errors ${r.errors}` : ""}`}`);
    }
  }
  return out;
}

const results = { machine, settings, targets: {}, cases: [], scaling: null };
for (const t of targets) results.targets[t.name] = { version: t.version ?? null, port: t.port, unavailable: t.unavailable };

// The proxy case's upstream, one node process for every target (its CPU is not the server's).
let upstream = null;
if (!o["scaling-only"] && cases.some((c) => c.id === "proxy")) {
  if (await portBusy(kUpstreamPort)) fail(`port ${kUpstreamPort} (the proxy case's upstream) is in use`);
  upstream = launch([process.execPath, "bench/peers/upstream.mjs", String(kUpstreamPort)], { logFile: path.join(outDir, "upstream.log") });
  const na = await waitReady([upstream], kUpstreamPort);
  if (na) fail(`the proxy case's upstream did not start: ${na}`);
}

if (!o["scaling-only"]) {
  for (const script of [...new Set(cases.map((c) => c.script))]) {
    const mine = cases.filter((c) => c.script === script);
    const started = await startAll(targets, script, settings.workers, mine[0], mine[0].warmUp);
    for (const s of started) if (!s.na) results.targets[s.t.name].processes = s.t.processes(settings.workers);
    for (const c of mine) {
      const checked = [];
      for (const s of started) {
        const bad = s.na ? null : await verify(s.t.port, c);
        checked.push(bad ? { ...s, na: `wrong answer: ${bad}` } : s);
      }
      for (const connections of settings.connections) {
        const label = `${c.id} c${connections}`;
        results.cases.push({ case: c.id, path: c.path, body_bytes: c.bodyBytes, connections, targets: await measure(checked, c, connections, label) });
      }
    }
    for (const s of started) if (s.g) await s.g.stop();
  }
}
if (upstream) await stop(upstream);

if (!o["no-scaling"]) {
  const names = o["scaling-targets"].split(",");
  const list = names.map((n) => targets.find((t) => t.name === n) ?? { ...all.find((t) => t.name === n), unavailable: "not selected by --targets", port: 0 });
  const hello = CASES[0];
  const points = [];
  for (let k = 1; k <= settings.maxWorkers; k++) {
    const started = await startAll(list, hello.script, k, hello);
    points.push({ workers: k, targets: await measure(started, hello, 64, `scaling hello c64 workers=${k}`) });
    for (const s of started) if (s.g) await s.g.stop();
  }
  results.scaling = { case: "hello", connections: 64, targets: names, points };
}

machine.loadavg_end = os.loadavg().map((l) => l.toFixed(2)).join(" ");
const markdown = writeReports(results, { outDir, plots: !o["no-plots"] });
process.stdout.write(markdown);
note(`results in ${outDir}/results.{md,json,csv}${o["no-plots"] ? "" : ` and ${outDir}/*.png`}`);
