#!/usr/bin/env node
/**
 * npm run test:emulator — the integration and rules suites against the OFFICIAL Firebase
 * emulators (Firestore with security rules and trigger delivery, Auth, Functions), for
 * machines that have Java 21 and the Firestore emulator jar (firebase-tools downloads it on
 * first use). Runs `firebase emulators:exec` with CREDIT_DESK_OFFICIAL_EMULATOR=1, which
 * makes the test setup use FIRESTORE_EMULATOR_HOST instead of the in-process Firestore and
 * un-skips the suites that need rules, cursors or triggers.
 */
import { spawnSync } from "node:child_process";

const java = spawnSync("java", ["-version"], { encoding: "utf8" });
const version = /version "(\d+)/.exec(`${java.stderr}${java.stdout}`)?.[1];
if (!version || Number(version) < 21) {
  console.error(
    `test:emulator needs Java 21 or newer for the official Firestore emulator (found: ${version ?? "no java"}).`,
  );
  console.error("npm test runs the same suites against the in-process Firestore and our rules evaluator.");
  process.exit(1);
}
const build = spawnSync("npm", ["run", "build", "--silent"], { stdio: "inherit" });
if (build.status !== 0) process.exit(build.status ?? 1);
const suites = process.argv.slice(2).length ? process.argv.slice(2).join(" ") : "test/integration test/rules";
const r = spawnSync(
  "npx",
  [
    "firebase",
    "emulators:exec",
    "--project",
    "demo-credit",
    "--only",
    "firestore,auth,functions",
    `npx vitest run ${suites}`,
  ],
  { stdio: "inherit", env: { ...process.env, CREDIT_DESK_OFFICIAL_EMULATOR: "1" } },
);
process.exit(r.status ?? 1);
