/**
 * Which functions the compiled package exports (functions/lib/index.js), without
 * loading it: the e2e tests decide at collection time which callables exist yet, and
 * the seed skips callables that do not.
 */
import { execFile, execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = path.resolve(fileURLToPath(new URL("../..", import.meta.url)));
export const FUNCTIONS_DIR = path.join(REPO_ROOT, "functions");

/** Path of the compiled entry point (package.json "main"). */
export function functionsEntry(functionsDir = FUNCTIONS_DIR) {
  const pkg = JSON.parse(fs.readFileSync(path.join(functionsDir, "package.json"), "utf8"));
  return path.join(functionsDir, pkg.main ?? "lib/index.js");
}

/**
 * Names exported by functions/lib/index.js (sorted). [] when it has not been built.
 * Reads the CommonJS that tsc emits; falls back to requiring it in a child process
 * when the file re-exports with `export *` (names not visible in the text).
 */
export function exportedFunctions(functionsDir = FUNCTIONS_DIR) {
  const entry = functionsEntry(functionsDir);
  if (!fs.existsSync(entry)) return [];
  const text = fs.readFileSync(entry, "utf8");
  if (/__exportStar\(/.test(text)) {
    const out = execFileSync(
      process.execPath,
      ["-e", `console.log(JSON.stringify(Object.keys(require(${JSON.stringify(entry)}))))`],
      {
        cwd: functionsDir,
        encoding: "utf8",
        env: { ...process.env, GCLOUD_PROJECT: process.env.GCLOUD_PROJECT ?? "demo-credit" },
        stdio: ["ignore", "pipe", "ignore"],
      },
    );
    return [...new Set(JSON.parse(out.trim().split("\n").pop() ?? "[]"))].sort();
  }
  const names = new Set();
  for (const m of text.matchAll(/Object\.defineProperty\(exports,\s*["']([A-Za-z_$][\w$]*)["']/g)) names.add(m[1]);
  for (const m of text.matchAll(/\bexports\.([A-Za-z_$][\w$]*)\s*=/g)) names.add(m[1]);
  names.delete("__esModule");
  return [...names].sort();
}

/**
 * For each exported function with an event trigger: whether it asks to be retried on
 * failure (`retry: true`, its manifest endpoint's eventTrigger.retry). The Functions
 * emulator's trigger list (GET /backends) leaves this out, and trigger delivery needs it.
 * Loads the package in a child process; {} when it is not built or cannot be loaded.
 */
export function eventTriggerRetries(functionsDir = FUNCTIONS_DIR) {
  const entry = functionsEntry(functionsDir);
  if (!fs.existsSync(entry)) return Promise.resolve({});
  const script =
    `const m = require(${JSON.stringify(entry)}); const out = {};` +
    `for (const [k, f] of Object.entries(m)) { const e = f && f.__endpoint; if (e && e.eventTrigger) out[k] = e.eventTrigger.retry === true; }` +
    `console.log(JSON.stringify(out));`;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["-e", script],
      {
        cwd: functionsDir,
        encoding: "utf8",
        env: { ...process.env, GCLOUD_PROJECT: process.env.GCLOUD_PROJECT ?? "demo-credit" },
        timeout: 120_000,
      },
      (err, stdout) => {
        try {
          resolve(err ? {} : JSON.parse(stdout.trim().split("\n").pop() ?? "{}"));
        } catch {
          resolve({});
        }
      },
    );
  });
}
