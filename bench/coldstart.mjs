/**
 * Cold start: how long loading the functions' entry module takes — what every instance pays
 * before its first request, `checkOrder`'s included (Cloud Functions loads lib/index.js for
 * every function of the codebase). Each run is a fresh Node process (nothing cached in
 * memory); before and after alternate so a busy neighbour weighs on both alike.
 *
 *  - after:  lib/index.js as built (heavy clients are loaded inside the functions that use them);
 *  - before: the same, followed by the modules index.js used to load eagerly before that
 *            change (@google-cloud/scheduler, firebase-admin/storage, firebase-admin/functions),
 *            in the same process: the work its static imports did. (Checked against a build of
 *            the previous commit on this machine: 678/857/849 ms against 661/886/831 ms
 *            reconstructed, run for run.)
 *
 *   npm run build && node bench/coldstart.mjs [runs]
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { median } from "./support.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const INDEX = pathToFileURL(fileURLToPath(new URL("../functions/lib/index.js", import.meta.url))).href;
export const EAGER_BEFORE = ["@google-cloud/scheduler", "firebase-admin/storage", "firebase-admin/functions"];

function loadOnce(eager) {
  const script = `
    const t0 = process.hrtime.bigint();
    await import(${JSON.stringify(INDEX)});
    for (const m of ${JSON.stringify(eager)}) await import(m);
    process.stdout.write("LOADMS " + Number(process.hrtime.bigint() - t0) / 1e6 + "\\n");`;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
    cwd: ROOT,
    env: { ...process.env, GCLOUD_PROJECT: "demo-credit", FUNCTIONS_EMULATOR: "", FIRESTORE_EMULATOR_HOST: "" },
    encoding: "utf8",
  });
  const m = /LOADMS ([\d.]+)/.exec(out);
  if (!m) throw new Error(`cold start probe printed no time: ${out.slice(0, 200)}`);
  return Number(m[1]);
}

export function runColdStartBench({ runs = 9 } = {}) {
  loadOnce([]); // warm the file system cache once (a deployed image has its files local too)
  const before = [];
  const after = [];
  for (let i = 0; i < runs; i++) {
    before.push(loadOnce(EAGER_BEFORE));
    after.push(loadOnce([]));
  }
  const round = (x) => Math.round(x * 10) / 10;
  return {
    entry: "functions/lib/index.js (checkOrder's entry: every function's)",
    runs,
    beforeMedianMs: round(median(before)),
    afterMedianMs: round(median(after)),
    savedMs: round(median(before) - median(after)),
    beforeMs: before.map(round),
    afterMs: after.map(round),
    loadedLazily: EAGER_BEFORE,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(runColdStartBench({ runs: Number(process.argv[2] ?? 9) }), null, 2));
}
