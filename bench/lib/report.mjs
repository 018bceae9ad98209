// Turns the harness's raw runs into medians, a markdown report (stdout + results.md),
// results.json (every run), results.csv / scaling.csv, and PNG plots drawn by gnuplot.
import fs from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length === 0 ? NaN : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// Per key, the median over the runs (a key missing from a run counts 0); undefined when no run
// has the field.
function medianByKey(maps) {
  if (maps.some((m) => m === undefined)) return undefined;
  const keys = [...new Set(maps.flatMap((m) => Object.keys(m)))];
  return Object.fromEntries(keys.map((k) => [k, median(maps.map((m) => m[k] ?? 0))]));
}

// { rps, p50_us, p99_us, errors, runs } from one target's runs, or { na } with the reason.
export function summarize(entry) {
  if (!entry || entry.na) return { na: entry?.na ?? "not measured" };
  const ok = entry.runs.filter((r) => !r.error);
  const failed = entry.runs.find((r) => r.error);
  if (failed) return { na: failed.error };  // a median over the runs that happened would flatter it
  if (ok.length === 0) return { na: "no runs" };
  // Runs recorded before the harness sampled CPU lack its fields: their median is undefined.
  const medianOfAll = (field) => (ok.every((r) => r[field] !== undefined) ? median(ok.map((r) => r[field])) : undefined);
  return {
    rps: median(ok.map((r) => r.rps)), p50_us: median(ok.map((r) => r.p50_us)),
    p99_us: median(ok.map((r) => r.p99_us)), errors: ok.reduce((a, r) => a + r.errors, 0),
    runs: ok.length, rps_min: Math.min(...ok.map((r) => r.rps)), rps_max: Math.max(...ok.map((r) => r.rps)),
    cpu_us: medianOfAll("cpu_us_per_request"), cores: medianOfAll("cores_busy"),
    threads_us: medianByKey(ok.map((r) => r.cpu_us_by_thread)),
  };
}

const short = (reason) => (reason.startsWith("wsup start not available") ? "wsup start not available" : reason.split(":")[0]);
const int = (x) => Math.round(x).toLocaleString("en-US");
const ratio = (a, b) => (a.na || b.na ? "n/a" : `${(a.value / b.value).toFixed(2)}×`);
const warn = (s) => (s.errors ? ` ⚠ ${s.errors} errors` : "");

function header(results, connections, what) {
  const m = results.machine;
  const st = results.settings;
  const t = Math.max(1, Math.min(st.wrkThreads, connections));
  const lines = [
    `- Machine: ${m.cores} cores, ${m.cpu}, ${m.memory_gib} GiB, Linux ${m.kernel}; load average ${m.loadavg_start} at start` +
      `${m.loadavg_end ? `, ${m.loadavg_end} at end` : ""}; node ${m.node}; ${m.wrk}; ${m.date}`,
    `- wrk command: \`[BENCH_BODY_BYTES=<body>] wrk -t${t} -c${connections} -d${st.duration}s --timeout 5s -s bench/wrk/report.lua http://127.0.0.1:<port><path>\`` +
      ` (${what}; ${st.runs} run${st.runs === 1 ? "" : "s"} per cell, targets alternated A B A B, ${st.warmup} s warm-up)`,
  ];
  return lines.join("\n");
}

function targetLines(results, names, processes) {
  return names.map((n) => {
    const t = results.targets[n] ?? { unavailable: "not selected by --targets" };
    const count = processes ?? t.processes;
    const what = t.unavailable ? `n/a (${t.unavailable})` : `${t.version ?? ""}${count ? `, ${count}` : ""}, 127.0.0.1:${t.port}`;
    return `  - ${n}: ${what}`;
  }).join("\n");
}

function casesTable(results, connections, cell, ratioOf) {
  const rows = results.cases.filter((c) => c.connections === connections);
  if (rows.length === 0) return "";
  const names = Object.keys(results.targets);
  const out = [`| case | path | ${names.join(" | ")} | wsup ÷ node-vm | wsup ÷ workerd |`,
    `|---|---|${names.map(() => "---:").join("|")}|---:|---:|`];
  const reasons = new Map();
  for (const row of rows) {
    const s = Object.fromEntries(names.map((n) => [n, summarize(row.targets[n])]));
    const cells = names.map((n) => {
      if (s[n].na) { reasons.set(n, s[n].na); return `n/a (${short(s[n].na)})`; }
      return cell(s[n]);
    });
    const v = (n) => (s[n] && !s[n].na ? { value: ratioOf(s[n]) } : { na: true });
    const body = row.body_bytes ? `POST ${row.body_bytes} B ` : "";
    out.push(`| ${row.case} | ${body}\`${row.path}\` | ${cells.join(" | ")} | ${ratio(v("wsup"), v("node-vm"))} | ${ratio(v("wsup"), v("workerd"))} |`);
  }
  const notes = [...reasons].map(([n, r]) => `- ${n} n/a: ${r}`);
  return `${out.join("\n")}\n${notes.length ? `\n${notes.join("\n")}\n` : ""}`;
}

function scalingTable(results) {
  const sc = results.scaling;
  const out = [`| workers | ${sc.targets.join(" | ")} |`, `|---:|${sc.targets.map(() => "---:").join("|")}|`];
  const base = {};
  const reasons = new Map();
  for (const p of sc.points) {
    const cells = sc.targets.map((n) => {
      const s = summarize(p.targets[n]);
      if (s.na) { reasons.set(n, s.na); return `n/a (${short(s.na)})`; }
      base[n] ??= s.rps;
      const cores = s.cores === undefined ? "" : `, ${s.cores.toFixed(1)} cores`;
      return `${int(s.rps)} (${(s.rps / base[n]).toFixed(2)}×${cores})${warn(s)}`;
    });
    out.push(`| ${p.workers} | ${cells.join(" | ")} |`);
  }
  const notes = [...reasons].map(([n, r]) => `- ${n} n/a: ${r}`);
  return `${out.join("\n")}\n${notes.length ? `\n${notes.join("\n")}\n` : ""}`;
}

function writeCsv(results, outDir) {
  const rows = ["case,path,body_bytes,connections,target,rps_median,rps_min,rps_max,p50_us,p99_us,errors,runs,na"];
  for (const c of results.cases) {
    for (const n of Object.keys(results.targets)) {
      const s = summarize(c.targets[n]);
      rows.push([c.case, `"${c.path}"`, c.body_bytes, c.connections, n, s.na ? "" : s.rps.toFixed(0), s.rps_min?.toFixed(0) ?? "",
        s.rps_max?.toFixed(0) ?? "", s.p50_us ?? "", s.p99_us ?? "", s.errors ?? "", s.runs ?? 0, s.na ? `"${s.na.replaceAll('"', "'")}"` : ""].join(","));
    }
  }
  fs.writeFileSync(path.join(outDir, "results.csv"), `${rows.join("\n")}\n`);
  if (!results.scaling) return;
  const sc = ["workers,target,rps_median,p50_us,p99_us,errors,runs,na"];
  for (const p of results.scaling.points) {
    for (const n of results.scaling.targets) {
      const s = summarize(p.targets[n]);
      sc.push([p.workers, n, s.na ? "" : s.rps.toFixed(0), s.p50_us ?? "", s.p99_us ?? "", s.errors ?? "", s.runs ?? 0, s.na ? `"${s.na.replaceAll('"', "'")}"` : ""].join(","));
    }
  }
  fs.writeFileSync(path.join(outDir, "scaling.csv"), `${sc.join("\n")}\n`);
}

// One gnuplot data file per plot: first column the x label, one column per target with data.
function plots(results, outDir) {
  const made = [];
  const gp = [];
  const names = Object.keys(results.targets);
  const m = results.machine;
  const loads = [...results.cases, ...(results.scaling?.points ?? [])]
    .flatMap((c) => Object.values(c.targets).flatMap((t) => (t.runs ?? []).map((r) => r.loadavg)))
    .filter((l) => l !== undefined);
  const load = loads.length ? `, load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} during runs` : "";
  const sub = `${m.cores} cores, ${m.cpu}, median of ${results.settings.runs}${load}`;
  const histogram = (file, connections, pick, title, ylabel, log) => {
    const rows = results.cases.filter((c) => c.connections === connections);
    const cols = names.filter((n) => rows.some((r) => !summarize(r.targets[n]).na));
    if (rows.length === 0 || cols.length === 0) return;
    const dat = [`case ${cols.join(" ")}`, ...rows.map((r) => `${r.case} ${cols.map((n) => {
      const s = summarize(r.targets[n]);
      return s.na ? "NaN" : pick(s).toFixed(1);
    }).join(" ")}`)];
    fs.writeFileSync(path.join(outDir, `${file}.dat`), `${dat.join("\n")}\n`);
    gp.push(`set output '${file}.png'`, `set title "${title}\\n{/*0.8 ${sub}}"`, `set ylabel '${ylabel}'`,
      "set style data histograms", "set style histogram clustered gap 1", "set style fill solid 0.85 border -1",
      log ? "set logscale y" : "unset logscale y", "set yrange [*:*]", "set xrange [*:*]", "set key outside right top",
      `plot for [i=2:${cols.length + 1}] '${file}.dat' using i:xtic(1) title columnheader`);
    made.push(`${file}.png`);
  };
  const most = Math.max(...results.cases.map((c) => c.connections));
  if (most > 1) histogram("throughput", most, (s) => s.rps, `Throughput at ${most} connections`, "requests/s", false);
  histogram("latency", 1, (s) => s.p50_us, "p50 latency at 1 connection", "µs (log scale)", true);
  if (results.scaling) {
    const cols = results.scaling.targets.filter((n) => results.scaling.points.some((p) => !summarize(p.targets[n]).na));
    if (cols.length) {
      const dat = [`workers ${cols.join(" ")}`, ...results.scaling.points.map((p) => `${p.workers} ${cols.map((n) => {
        const s = summarize(p.targets[n]);
        return s.na ? "NaN" : s.rps.toFixed(0);
      }).join(" ")}`)];
      fs.writeFileSync(path.join(outDir, "scaling.dat"), `${dat.join("\n")}\n`);
      gp.push("set output 'scaling.png'", `set title "hello world, 64 connections, by worker count\\n{/*0.8 ${sub}}"`,
        "set ylabel 'requests/s'", "set xlabel 'workers'", "unset logscale y", "set yrange [0:*]", `set xrange [0.5:${results.scaling.points.length + 0.5}]`,
        "set xtics 1", "set key inside top left", `plot for [i=2:${cols.length + 1}] 'scaling.dat' using 1:i with linespoints lw 2 title columnheader`);
      made.push("scaling.png");
    }
  }
  if (gp.length === 0) return [];
  const script = ["set terminal pngcairo size 1000,600 enhanced font 'sans,10'", "set grid ytics", ...gp].join("\n");
  fs.writeFileSync(path.join(outDir, "plots.gp"), `${script}\n`);
  const r = spawnSync("gnuplot", ["plots.gp"], { cwd: outDir, encoding: "utf8" });
  if (r.status !== 0) {
    process.stderr.write(`bench: gnuplot failed (plots skipped): ${(r.stderr || r.error?.message || "").trim().slice(0, 300)}\n`);
    return [];
  }
  return made;
}

// wsup's CPU per request by "<process>/<thread>" name, one row per case at `connections`: the
// supervisor, the workers' loops, their spare-context makers, V8's platform threads.
function threadSplitTable(results, connections, target) {
  const rows = results.cases.filter((c) => c.connections === connections)
    .map((c) => ({ c, s: summarize(c.targets[target]) })).filter(({ s }) => !s.na && s.threads_us);
  if (rows.length === 0) return "";
  const weight = {};
  for (const { s } of rows) for (const [k, v] of Object.entries(s.threads_us)) weight[k] = (weight[k] ?? 0) + v;
  const shown = Object.keys(weight).sort((a, b) => weight[b] - weight[a]).filter((k) => weight[k] / rows.length >= 1);
  const out = [`| case | total | ${shown.map((k) => `\`${k}\``).join(" | ")} |`, `|---|---:|${shown.map(() => "---:").join("|")}|`];
  for (const { c, s } of rows) out.push(`| ${c.case} | ${int(s.cpu_us)} | ${shown.map((k) => int(s.threads_us[k] ?? 0)).join(" | ")} |`);
  return `${out.join("\n")}\n`;
}

function cpuMeasured(results, connections) {
  return results.cases.some((c) => c.connections === connections &&
    Object.values(c.targets).some((t) => (t.runs ?? []).some((r) => r.cpu_us_per_request !== undefined)));
}

export function writeReports(results, { outDir, plots: wantPlots }) {
  fs.writeFileSync(path.join(outDir, "results.json"), `${JSON.stringify(results, null, 1)}\n`);
  writeCsv(results, outDir);
  const made = wantPlots ? plots(results, outDir) : [];
  const names = Object.keys(results.targets);
  const st = results.settings;
  const parts = [];
  for (const n of [...new Set(results.cases.map((c) => c.connections))].sort((a, b) => b - a)) {
    const latency = n === 1;
    parts.push(latency
      ? `### Latency at 1 connection (p50 / p99 in µs, median of ${st.runs})\n`
      : `### Throughput at ${n} connections (requests/s, median of ${st.runs})\n`,
    header(results, n, latency ? "latency" : "throughput"), `- Targets:\n${targetLines(results, names)}`,
    latency ? "- Ratios compare p50 (lower is better for wsup).\n" : "",
    latency
      ? casesTable(results, n, (s) => `${int(s.p50_us)} / ${int(s.p99_us)}${warn(s)}`, (s) => s.p50_us)
      : casesTable(results, n, (s) => `${int(s.rps)}${warn(s)}`, (s) => s.rps));
    if (!latency && cpuMeasured(results, n)) {
      parts.push(`### Server CPU at ${n} connections (µs per request / cores kept busy, median of ${st.runs})\n`,
        "- CPU of the server's processes and their children (from /proc), not wrk's; the same runs as the table above.",
        "- Ratios compare CPU per request (lower is better for wsup).\n",
        casesTable(results, n, (s) => (s.cpu_us === undefined ? "n/a" : `${int(s.cpu_us)} / ${s.cores.toFixed(2)}`),
          (s) => s.cpu_us));
      const split = threadSplitTable(results, n, "wsup");
      if (split) {
        parts.push(`### Where wsup's CPU goes at ${n} connections (µs per request by process/thread name, median of ${st.runs})\n`,
          "- `wsup/*`: the supervisor; `wsup-worker/wsup-worker`: the workers' loops (requests, contexts made on the request's path); " +
            "`wsup-worker/wsup-spare-ctx`: contexts made ahead; `V8 DefaultWorke…`: V8's GC and compiler threads. Groups under 1 µs are left out.\n",
          split);
      }
    }
  }
  if (results.scaling) {
    parts.push(`### Scaling: hello world at 64 connections by worker count (requests/s, × its 1-worker figure, cores the server kept busy)\n`,
      header(results, 64, "throughput"), `- Targets:\n${targetLines(results, results.scaling.targets, `1..${results.settings.maxWorkers} processes`)}\n`, scalingTable(results));
  }
  if (made.length) parts.push(`Plots: ${made.map((f) => `${path.join(outDir, f)}`).join(", ")}\n`);
  const markdown = `${parts.join("\n")}\n`;
  fs.writeFileSync(path.join(outDir, "results.md"), markdown);
  return markdown;
}
