#!/usr/bin/env node
/**
 * npm run backup -- --out DIR [--project ID]
 *
 * Logical export of every credit-data collection and subcollection (DATA_TREE) as JSON
 * Lines with Firestore types preserved, plus manifest.json (counts, file hashes, content
 * hash), signed with the audit keyring and written last: a directory without
 * manifest.json is not a backup. Files are owner-only (0600, directory 0700).
 * Connects to FIRESTORE_EMULATOR_HOST (default 127.0.0.1:8080), project demo-credit;
 * production only with --project ID and no FIRESTORE_EMULATOR_HOST.
 * The keyring: CREDIT_DESK_AUDIT_KEYS, or on the local stack functions/.secret.local.
 * Exit codes: 0 done, 1 failed, 2 usage.
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { requireScriptAuditKeyring } from "./lib/audit-key.mjs";

const usage = "usage: npm run backup -- --out DIR [--project ID]";
let args;
try {
  args = parseArgs({
    options: { out: { type: "string" }, project: { type: "string" }, help: { type: "boolean", short: "h" } },
    allowPositionals: false,
  }).values;
} catch (err) {
  console.error(`${err.message}\n${usage}`);
  process.exit(2);
}
if (args.help || !args.out) {
  console.error(usage);
  process.exit(args.help ? 0 : 2);
}

let lb;
try {
  lb = (await import("../functions/lib/tools/logicalBackup.js")).default;
} catch (err) {
  console.error(`cannot load functions/lib/tools/logicalBackup.js (run npm run build first): ${err.message}`);
  process.exit(1);
}

let target;
try {
  target = lb.resolveTarget(args.project, process.env);
} catch (err) {
  console.error(err.message);
  process.exit(2);
}
if (target.host) {
  process.env.FIRESTORE_EMULATOR_HOST = target.host;
  process.env.METADATA_SERVER_DETECTION ??= "none"; // no credentials lookup against the emulator
}
const keyring = requireScriptAuditKeyring({ local: Boolean(target.host) }, lb.parseAuditKeyring);
const outDir = resolve(args.out);
console.log(
  `backup: ${target.host ? `emulator ${target.host}` : "PRODUCTION Firestore"}, project ${target.projectId} → ${outDir}`,
);

const db = lb.openBackupDatabase(target.projectId);
const t0 = Date.now();
try {
  const { manifest, listDocuments } = await lb.exportLogical(db, {
    outDir,
    keyring,
    projectId: target.projectId,
    host: target.host,
    onProgress: (p) => console.log(`  ${p.documents} documents`),
  });
  const s = (Date.now() - t0) / 1000;
  for (const c of manifest.collections)
    if (c.documents) console.log(`  ${c.collection.padEnd(28)} ${String(c.documents).padStart(8)}`);
  console.log(
    `backup: ${manifest.totalDocuments} documents in ${s.toFixed(1)} s (${Math.round(manifest.totalDocuments / Math.max(s, 0.001))}/s), content hash ${manifest.contentHash}, signed with key ${manifest.signature.keyId}`,
  );
  if (!listDocuments)
    console.log(
      "note: this Firestore cannot list documents; subcollections were found under existing parents and audit chains of known subjects",
    );
  await db.terminate();
  process.exit(0);
} catch (err) {
  console.error(`backup FAILED after ${((Date.now() - t0) / 1000).toFixed(1)} s: ${err.message}`);
  if (err.code !== "OUT_DIR_NOT_EMPTY")
    console.error(`${outDir} holds no manifest.json and is not a backup; delete it.`);
  await db.terminate().catch(() => {});
  process.exit(1);
}
