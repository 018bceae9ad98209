// CPU time of a server under test: user + system time of its processes and every descendant
// (wsup's workers, a cluster's children), read from /proc. Sampled before and after each wrk
// run, it gives the server's CPU per request and the cores it kept busy, so that a target
// that spreads over more cores (one wsup worker is two busy threads) can be told apart from
// one that does more per core; split by thread name, it shows where wsup's time goes.
import fs from "node:fs";
import { execFileSync } from "node:child_process";

let ticksPerSecond = null;
function clockTicks() {
  if (ticksPerSecond === null) {
    try {
      ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;  // Linux's USER_HZ everywhere we run
    }
  }
  return ticksPerSecond;
}

// { comm, ppid, ticks } from a /proc stat file, or null if it is gone.
function readStat(file) {
  let stat;
  try {
    stat = fs.readFileSync(file, "utf8");
  } catch {
    return null;  // exited while we looked
  }
  // The name is in parentheses and may hold spaces: the other fields start after the last ')'.
  const close = stat.lastIndexOf(")");
  const fields = stat.slice(close + 2).split(" ");
  // fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
  return {
    comm: stat.slice(stat.indexOf("(") + 1, close),
    ppid: Number(fields[1]),
    ticks: Number(fields[11]) + Number(fields[12]),
  };
}

// pid -> its stat, for `roots` and all their living descendants.
function processTree(roots) {
  const stats = new Map();
  const children = new Map();
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const p = readStat(`/proc/${name}/stat`);
    if (!p) continue;
    stats.set(Number(name), p);
    if (!children.has(p.ppid)) children.set(p.ppid, []);
    children.get(p.ppid).push(Number(name));
  }
  const tree = new Map();
  const todo = roots.filter((pid) => stats.has(pid));
  while (todo.length > 0) {
    const pid = todo.pop();
    if (tree.has(pid)) continue;
    tree.set(pid, stats.get(pid));
    todo.push(...(children.get(pid) ?? []));
  }
  return tree;
}

// CPU seconds used so far by `roots` and all their living descendants: `total`, and `threads`
// keyed "<process name>/<thread name>" (e.g. "wsup-worker/wsup-spare-ctx").
export function treeCpu(roots) {
  const threads = {};
  let total = 0;
  for (const [pid, owner] of processTree(roots)) {
    let tids = [];
    try {
      tids = fs.readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;  // exited since the tree was read
    }
    for (const tid of tids) {
      const thread = readStat(`/proc/${pid}/task/${tid}/stat`);
      if (!thread) continue;
      const key = `${owner.comm}/${thread.comm}`;
      const seconds = thread.ticks / clockTicks();
      threads[key] = (threads[key] ?? 0) + seconds;
      total += seconds;
    }
  }
  return { total, threads };
}

// What `after` used beyond `before`: seconds in all, and per request (µs) in all and by thread
// group.
export function cpuPerRequest(before, after, requests) {
  const us = (seconds) => (seconds * 1e6) / requests;
  const threads = {};
  for (const [key, seconds] of Object.entries(after.threads)) {
    const used = seconds - (before.threads[key] ?? 0);
    if (used > 0) threads[key] = us(used);
  }
  const seconds = after.total - before.total;
  return { seconds, total_us: us(seconds), threads_us: threads };
}
