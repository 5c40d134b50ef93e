#!/usr/bin/env node
/**
 * Seed the demo portfolio into an ALREADY RUNNING local stack (npm start -- --no-seed,
 * or again into one that was seeded: the seed is idempotent).
 *
 *   node scripts/seed.mjs [--functions http://127.0.0.1:5001] [--auth 127.0.0.1:9099] [--firestore 127.0.0.1:8080] [--project demo-credit]
 */
import { DEMO_PASSWORD, describeDemoCustomers, seedDemoPortfolio } from "./lib/seed.mjs";
import { DEFAULT_PROJECT_ID, DEFAULT_REGION, defaultPorts } from "./lib/stack.mjs";

const argv = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] ? argv[i + 1] : fallback;
};
const ports = defaultPorts();
const functionsOrigin = arg("functions", `http://127.0.0.1:${ports.functions}`);
const authHost = arg("auth", `127.0.0.1:${ports.auth}`);
const projectId = arg("project", DEFAULT_PROJECT_ID);
const firestoreHost = arg("firestore", `127.0.0.1:${ports.firestore}`);

try {
  const res = await fetch(new URL("/backends", functionsOrigin), { signal: AbortSignal.timeout(3_000) });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
} catch (err) {
  console.error(
    `No Functions emulator at ${functionsOrigin} (${err.message}): start the stack first (npm start -- --no-seed).`,
  );
  process.exit(1);
}

const t0 = Date.now();
console.log(`Seeding the demo portfolio through the callables at ${functionsOrigin} (auth ${authHost}) …`);
try {
  const result = await seedDemoPortfolio({
    functionsOrigin,
    authHost,
    projectId,
    region: DEFAULT_REGION,
    firestoreHost,
    log: (l) => console.log(l),
  });
  console.log(
    `Seeded in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${result.users.length} users (password ${DEMO_PASSWORD}), ` +
      `${result.customers.length} customers, ${result.applications.length} applications`,
  );
  for (const line of describeDemoCustomers(result)) console.log(line);
  process.exit(0);
} catch (err) {
  console.error(`Seeding failed: ${err.code ? `${err.code}: ` : ""}${err.message}`);
  process.exit(1);
}
