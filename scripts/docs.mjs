#!/usr/bin/env node
/**
 * npm run docs — regenerate docs/API.md from the contract registry
 * (functions/src/schemas/contract.ts, as built in functions/lib) and copy
 * docs/examples/first-call.mjs into the README's client section.
 *
 *   npm run docs                      build, then write both files
 *   node scripts/docs.mjs --check     exit 1 when either is out of date (writes nothing)
 */
import fs from "node:fs";
import path from "node:path";
import { EXAMPLE_PATH, readTestFiles, renderApiDocs, testsByCallable, withReadmeExample } from "./lib/api-docs.mjs";
import { REPO_ROOT } from "./lib/exports.mjs";

const check = process.argv.includes("--check");
let contract, policy;
try {
  contract = await import("credit-desk-functions/client");
  policy = await import("../functions/lib/domain/policy.js");
} catch (err) {
  console.error(`cannot load the built contract (run npm run build first): ${err.message}`);
  process.exit(1);
}

const files = [
  {
    file: "docs/API.md",
    text: renderApiDocs({
      ...contract,
      authority: policy.DEFAULT_POLICY.authority,
      tests: testsByCallable(readTestFiles(REPO_ROOT), contract.CALLABLE_NAMES),
    }),
  },
  {
    file: "README.md",
    text: withReadmeExample(
      fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8"),
      fs.readFileSync(path.join(REPO_ROOT, EXAMPLE_PATH), "utf8"),
    ),
  },
];

let stale = 0;
for (const { file, text } of files) {
  const target = path.join(REPO_ROOT, file);
  const current = fs.existsSync(target) ? fs.readFileSync(target, "utf8") : null;
  if (current === text) {
    console.log(`${file}: up to date`);
  } else if (check) {
    stale++;
    console.error(`${file}: out of date — run npm run docs`);
  } else {
    fs.writeFileSync(target, text);
    console.log(`${file}: written`);
  }
}
process.exit(stale ? 1 : 0);
