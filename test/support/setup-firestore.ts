/**
 * Vitest setup file: every test file that imports Firebase code gets its own
 * in-process Firestore before any module initialises the Admin SDK.
 * The official emulators (npm run test:emulator) set CREDIT_DESK_OFFICIAL_EMULATOR=1
 * and FIRESTORE_EMULATOR_HOST themselves; then nothing is started here.
 */
import { randomBytes } from "node:crypto";
import { afterAll } from "vitest";
import { officialFirestore, startFirestore } from "./firestore-server.js";

process.env.GCLOUD_PROJECT ??= "demo-credit";
process.env.GOOGLE_CLOUD_PROJECT ??= "demo-credit";
process.env.FUNCTIONS_EMULATOR ??= "true";
// The audit keyring (the secret CREDIT_DESK_AUDIT_KEYS in production): a fresh key per test file.
process.env.CREDIT_DESK_AUDIT_KEYS ??= `test:${randomBytes(32).toString("base64")}`;

if (process.env.CREDIT_DESK_OFFICIAL_EMULATOR !== "1") {
  const fs = await startFirestore();
  process.env.FIRESTORE_EMULATOR_HOST = fs.host;
  (globalThis as Record<string, unknown>).__creditDeskFirestore = fs;
  afterAll(() => fs.stop());
} else {
  const host = process.env.FIRESTORE_EMULATOR_HOST;
  if (!host)
    throw new Error("CREDIT_DESK_OFFICIAL_EMULATOR=1 needs FIRESTORE_EMULATOR_HOST (npm run test:emulator sets both)");
  (globalThis as Record<string, unknown>).__creditDeskFirestore = officialFirestore(host, process.env.GCLOUD_PROJECT);
}
