#!/usr/bin/env node
/**
 * npm run restore -- DIR [--force] [--wipe] [--project ID]
 *
 * Restores a logical backup (scripts/backup.mjs) into an EMPTY database: checks the
 * manifest's signature (an unsigned or altered manifest is refused) and every file against
 * the manifest first (nothing is written if one fails), refuses a database that holds
 * credit data unless --force (documents in the backup then replace theirs), writes in
 * batches of 500, reads everything back and checks counts and hash, then verifies every
 * audit chain in the restored data and reports the broken ones.
 * --wipe deletes every credit-data document first (emulators only): the local drill.
 * Connects like scripts/backup.mjs; the keyring likewise.
 * Exit codes: 0 restored and verified, 1 failed, 2 usage, 3 restored and verified but
 * audit chains are broken (listed).
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { requireScriptAuditKeyring } from "./lib/audit-key.mjs";

const usage = "usage: npm run restore -- DIR [--force] [--wipe] [--project ID]";
let parsed;
try {
  parsed = parseArgs({
    options: {
      force: { type: "boolean" },
      wipe: { type: "boolean" },
      project: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    allowPositionals: true,
  });
} catch (err) {
  console.error(`${err.message}\n${usage}`);
  process.exit(2);
}
const args = parsed.values;
if (args.help || parsed.positionals.length !== 1) {
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
if (args.wipe && !target.host) {
  console.error(
    "--wipe is for emulators only; restore into a new, empty production database instead (see docs/backup-and-restore.md)",
  );
  process.exit(2);
}
if (target.host) {
  process.env.FIRESTORE_EMULATOR_HOST = target.host;
  process.env.METADATA_SERVER_DETECTION ??= "none";
}
const keyring = requireScriptAuditKeyring({ local: Boolean(target.host) }, lb.parseAuditKeyring);
const dir = resolve(/** @type {string} exactly one, checked above */ (parsed.positionals[0]));
console.log(
  `restore: ${dir} → ${target.host ? `emulator ${target.host}` : "PRODUCTION Firestore"}, project ${target.projectId}${args.force ? " (--force)" : ""}`,
);

const db = lb.openBackupDatabase(target.projectId);
const t0 = Date.now();
const progress = (p) => console.log(`  ${p.phase.padEnd(11)} ${p.documents} documents`);
try {
  if (args.wipe) {
    // The signature and the files first: a backup that would be refused must not cost the data it was to replace.
    await lb.checkBackupFiles(dir, db, keyring);
    const n = await lb.wipeDatabase(db, progress);
    console.log(`restore: wiped ${n} documents`);
  }
  const res = await lb.importLogical(db, { dir, keyring, force: Boolean(args.force), onProgress: progress });
  const s = (Date.now() - t0) / 1000;
  console.log(
    `restore: ${res.written} documents written and verified in ${s.toFixed(1)} s (${Math.round(res.written / Math.max(s, 0.001))}/s), content hash ${res.verified.contentHash}`,
  );
  if (res.extraDocuments)
    console.log(`restore: ${res.extraDocuments} documents in the database are not in the backup (left as they were)`);
  const { chains } = res;
  console.log(
    `restore: manifest signed with key ${res.manifest.signature.keyId}; audit chains: ${chains.chains} verified (${chains.entries} entries), ${chains.broken.length} broken`,
  );
  for (const b of chains.broken.slice(0, 50)) console.log(`  BROKEN ${b.chainId} at entry ${b.seq}: ${b.problem}`);
  if (chains.broken.length > 50) console.log(`  … and ${chains.broken.length - 50} more`);
  await db.terminate();
  process.exit(chains.broken.length ? 3 : 0);
} catch (err) {
  console.error(`restore FAILED after ${((Date.now() - t0) / 1000).toFixed(1)} s: ${err.message}`);
  await db.terminate().catch(() => {});
  process.exit(1);
}
