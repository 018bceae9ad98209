// The benchmark apps (bench/apps/*.mjs, Hono and zod from third_party/npm-packages.txt, fetched
// by scripts/setup into build/deps/npm/) bundled with esbuild the way `wrangler deploy` bundles
// a Worker, into service-worker scripts every target can serve: build/bench/apps/<name>.js.
import fs from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";

const NPM = "build/deps/npm";
const ESBUILD = `${NPM}/@esbuild/linux-x64/bin/esbuild`;

// Where the bundles go, whatever --out says: the cases (bench/lib/cases.mjs) name these paths.
const APPS_DIR = "build/bench/apps";

// Bundles bench/apps/<name>.mjs; returns the script's path, or throws saying what is missing.
export function buildApp(name) {
  const entry = `bench/apps/${name}.mjs`;
  const out = path.join(APPS_DIR, `${name}.js`);
  for (const needed of [ESBUILD, `${NPM}/hono/package.json`, `${NPM}/zod/package.json`]) {
    if (!fs.existsSync(needed)) throw new Error(`${needed} missing: run scripts/setup (third_party/npm-packages.txt)`);
  }
  // esbuild resolves bare imports through node_modules folders: one made of links to the pinned
  // packages, beside nothing else.
  const modules = path.join(APPS_DIR, "node_modules");
  fs.mkdirSync(modules, { recursive: true });
  for (const pkg of ["hono", "zod"]) {
    const link = path.join(modules, pkg);
    if (!fs.existsSync(link)) fs.symlinkSync(path.resolve(NPM, pkg), link);
  }
  const r = spawnSync(ESBUILD, [entry, "--bundle", "--format=iife", "--platform=neutral",
    "--main-fields=module,main", "--target=es2022", `--outfile=${out}`, "--log-level=warning"],
  { encoding: "utf8", env: { ...process.env, NODE_PATH: path.resolve(modules) } });
  if (r.status !== 0) throw new Error(`esbuild ${entry} failed: ${(r.stderr || r.error?.message || "").trim()}`);
  return out;
}
