// CPU time of a server under test: user + system time of its processes and every descendant
// (wsup's workers, a cluster's children), read from /proc. Sampled before and after each wrk
// run, it gives the server's CPU per request and the cores it kept busy, so that a target
// that spreads over more cores (one wsup worker is two busy threads) can be told apart from
// one that does more per core.
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

// pid -> { ppid, ticks } for every process readable now.
function processTable() {
  const table = new Map();
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let stat;
    try {
      stat = fs.readFileSync(`/proc/${name}/stat`, "utf8");
    } catch {
      continue;  // exited while we looked
    }
    // The command name is in parentheses and may hold spaces: fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
    table.set(Number(name), { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) });
  }
  return table;
}

// Seconds of CPU used so far by the processes `roots` and all their living descendants.
export function treeCpuSeconds(roots) {
  const table = processTable();
  const children = new Map();
  for (const [pid, p] of table) {
    if (!children.has(p.ppid)) children.set(p.ppid, []);
    children.get(p.ppid).push(pid);
  }
  let ticks = 0;
  const todo = roots.filter((pid) => table.has(pid));
  const seen = new Set();
  while (todo.length > 0) {
    const pid = todo.pop();
    if (seen.has(pid)) continue;
    seen.add(pid);
    ticks += table.get(pid).ticks;
    todo.push(...(children.get(pid) ?? []));
  }
  return ticks / clockTicks();
}
