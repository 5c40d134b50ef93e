/**
 * Which functions the compiled package exports (functions/lib/index.js), without
 * loading it: the e2e tests decide at collection time which callables exist yet, and
 * the seed skips callables that do not.
 */
import { execFileSync } from "node:child_process";
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
    const out = execFileSync(process.execPath, ["-e", `console.log(JSON.stringify(Object.keys(require(${JSON.stringify(entry)}))))`], {
      cwd: functionsDir,
      encoding: "utf8",
      env: { ...process.env, GCLOUD_PROJECT: process.env.GCLOUD_PROJECT ?? "demo-credit" },
      stdio: ["ignore", "pipe", "ignore"],
    });
    return [...new Set(JSON.parse(out.trim().split("\n").pop() ?? "[]"))].sort();
  }
  const names = new Set();
  for (const m of text.matchAll(/Object\.defineProperty\(exports,\s*["']([A-Za-z_$][\w$]*)["']/g)) names.add(m[1]);
  for (const m of text.matchAll(/\bexports\.([A-Za-z_$][\w$]*)\s*=/g)) names.add(m[1]);
  names.delete("__esModule");
  return [...names].sort();
}
