#!/usr/bin/env node
/**
 * npm run lock:functions — write functions/package-lock.json, the lockfile a deploy installs
 * from: Cloud Build runs `npm ci` in the functions directory, which is uploaded alone, without
 * the workspace's root lockfile. It is cut from the root lockfile — the exact versions
 * `npm ci && npm test` installed and tested — by following the functions package's
 * dependencies through Node's resolution in the root tree. No network.
 * test/unit/functions-lock.test.ts fails when it is out of date.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));
const read = (p) => JSON.parse(readFileSync(root + p, "utf8"));

/** The lockfile functions/ would have, from the root lockfile. */
export function functionsLock(rootLock = read("package-lock.json"), pkg = read("functions/package.json")) {
  const packages = rootLock.packages;
  const WS = "functions";
  /** Where Node resolves `name` from the package at `from` ("" = the workspace itself). */
  const resolve = (name, from) => {
    let dir = from;
    for (;;) {
      const candidate = `${dir ? `${dir}/` : ""}node_modules/${name}`;
      if (packages[candidate] && !packages[candidate].link) return candidate;
      if (!dir || dir === WS) break;
      const i = dir.lastIndexOf("/node_modules/");
      dir = i >= 0 ? dir.slice(0, i) : dir.startsWith(`${WS}/`) ? WS : "";
    }
    if (from.startsWith(WS)) return resolve(name, "");
    return null;
  };
  const seen = new Set();
  const queue = [];
  const want = (deps, from, optional) => {
    for (const name of Object.keys(deps ?? {})) {
      const at = resolve(name, from);
      if (at === null) {
        if (optional) continue;
        throw new Error(
          `lock:functions: ${name} (needed by ${from || "functions"}) is not in the root lockfile: run npm install first`,
        );
      }
      if (!seen.has(at)) {
        seen.add(at);
        queue.push(at);
      }
    }
  };
  want(pkg.dependencies, WS, false);
  want(pkg.devDependencies, WS, false);
  want(pkg.optionalDependencies, WS, true);
  while (queue.length) {
    const at = queue.shift();
    const p = packages[at];
    want(p.dependencies, at, false);
    want(p.optionalDependencies, at, true);
    want(p.peerDependencies, at, true);
  }
  const out = {
    name: pkg.name,
    lockfileVersion: 3,
    requires: true,
    packages: {
      "": {
        name: pkg.name,
        ...(pkg.engines ? { engines: pkg.engines } : {}),
        dependencies: pkg.dependencies,
        devDependencies: pkg.devDependencies,
      },
    },
  };
  for (const at of [...seen].sort())
    out.packages[at.startsWith(`${WS}/`) ? at.slice(WS.length + 1) : at] = packages[at];
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const lock = functionsLock();
  writeFileSync(root + "functions/package-lock.json", JSON.stringify(lock, null, 2) + "\n");
  console.log(
    `wrote functions/package-lock.json: ${Object.keys(lock.packages).length - 1} packages, the versions of the root lockfile`,
  );
}
