// Starting and stopping the servers under test: each in its own process group (so a cluster's
// children go with it), output appended to a log file, every group stopped on exit.
import { spawn } from "node:child_process";
import fs from "node:fs";
import { request } from "./http.mjs";

const live = new Set();

export function launch(argv, { cwd, logFile, env }) {
  const log = fs.openSync(logFile, "a");
  fs.writeSync(log, `$ ${argv.join(" ")}\n`);
  const child = spawn(argv[0], argv.slice(1), {
    cwd, env: { ...process.env, ...env }, stdio: ["ignore", log, log], detached: true,
  });
  fs.closeSync(log);
  const handle = { child, argv, logFile, exited: null };
  handle.exitPromise = new Promise((resolve) => {
    child.on("error", (error) => { handle.exited = `could not start: ${error.message}`; resolve(); });
    child.on("exit", (code, signal) => {
      handle.exited = signal ? `killed by ${signal}` : `exited with status ${code}`;
      resolve();
    });
  });
  live.add(handle);
  handle.exitPromise.then(() => live.delete(handle));
  return handle;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function signalGroup(handle, signal) {
  try { process.kill(-handle.child.pid, signal); } catch { /* already gone */ }
}

// SIGTERM (to the leader only when `leaderOnly`, e.g. wsup's own shutdown path; else the whole
// group), then SIGKILL to the group after `graceMs`.
export async function stop(handle, { leaderOnly = false, graceMs = 5000 } = {}) {
  if (!handle.child.pid) return;
  if (handle.exited === null) {
    if (leaderOnly) handle.child.kill("SIGTERM");
    else signalGroup(handle, "SIGTERM");
    await Promise.race([handle.exitPromise, sleep(graceMs)]);
  }
  signalGroup(handle, "SIGKILL");  // stragglers of the group (cluster children, workers)
}

export function stopAllNow() {
  for (const handle of live) signalGroup(handle, "SIGKILL");
}

export function logTail(handle, lines = 3) {
  try {
    const text = fs.readFileSync(handle.logFile, "utf8").trim().split("\n").filter((l) => !l.startsWith("$ "));
    return text.slice(-lines).join(" | ").slice(0, 400);
  } catch {
    return "";
  }
}

// Waits until something answers HTTP on the port, a process exits, or the timeout passes.
// Resolves to null when ready, else to the reason it is not.
export async function waitReady(handles, port, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const dead = handles.find((h) => h.exited !== null);
    if (dead) return `${dead.exited}${logTail(dead) ? `: ${logTail(dead)}` : ""}`;
    try {
      await request(port, { timeoutMs: 1000 });
      return null;
    } catch {
      await sleep(100);
    }
  }
  return `no HTTP answer on 127.0.0.1:${port} within ${timeoutMs / 1000} s`;
}

// True when something already listens on the port (a leftover server would skew results).
export async function portBusy(port) {
  try {
    await request(port, { timeoutMs: 500 });
    return true;
  } catch (error) {
    return error?.code !== "ECONNREFUSED";
  }
}
