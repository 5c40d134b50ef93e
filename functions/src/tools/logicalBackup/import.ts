/** Import: refuse an unsigned or altered backup before writing, load in batches, read back, verify the chains. */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Firestore } from "firebase-admin/firestore";
import {
  ContentHasher,
  MANIFEST_FILE,
  checkManifestSignature,
  collectionPatterns,
  parseManifest,
  pathMatches,
  type Manifest,
  type TaggedMap,
} from "../../domain/backup.js";
import { DATA_TREE } from "../../data/paths.js";
import { type AuditKeyring } from "../../domain/audit.js";
import { ChainReport, RestoredChains, latestSeals } from "./chains.js";
import {
  BackupToolError,
  DEFAULT_PROGRESS_EVERY,
  MAX_BATCH,
  Progress,
  assertBigInt,
  decodeDocument,
  encodeDocument,
} from "./codec.js";
import { pool } from "../../services/jobKit.js";
import { isDatabaseEmpty, walkTree } from "./walk.js";

// ---------------------------------------------------------------------------------------
// Import

async function* readLines(path: string, onChunk: (chunk: Buffer) => void): AsyncGenerator<string> {
  let rest: Buffer = Buffer.alloc(0);
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    onChunk(chunk);
    let buf = rest.length ? Buffer.concat([rest, chunk]) : chunk;
    let nl: number;
    while ((nl = buf.indexOf(0x0a)) >= 0) {
      yield buf.subarray(0, nl).toString("utf8");
      buf = buf.subarray(nl + 1);
    }
    rest = Buffer.from(buf);
  }
  if (rest.length) yield rest.toString("utf8"); // no final newline: a truncated file, caught by its hash
}

interface Line {
  path: string;
  data: TaggedMap;
}

function parseLine(text: string, pattern: string): Line {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new BackupToolError("BAD_LINE", `not JSON in ${pattern}`);
  }
  const line = v as Partial<Line> | null;
  if (
    !line ||
    typeof line.path !== "string" ||
    !line.data ||
    typeof line.data !== "object" ||
    Array.isArray(line.data)
  ) {
    throw new BackupToolError("BAD_LINE", `a line of ${pattern} lacks path or data`);
  }
  if (!pathMatches(pattern, line.path))
    throw new BackupToolError("BAD_LINE", `${line.path} does not belong to ${pattern}`);
  return line as Line;
}

export interface CheckedBackup {
  manifest: Manifest;
  /** Every document path in the backup. */
  paths: Set<string>;
}

/**
 * Reads the manifest, checks its signature, then every file; throws unless the signature,
 * sizes, file hashes and the content hash all hold.
 */
export async function checkBackupFiles(
  dir: string,
  db: Firestore,
  keyring: AuditKeyring,
  onProgress?: (p: Progress) => void,
  every = DEFAULT_PROGRESS_EVERY,
): Promise<CheckedBackup> {
  let raw: string;
  try {
    raw = await readFile(join(dir, MANIFEST_FILE), "utf8");
  } catch {
    throw new BackupToolError(
      "NO_MANIFEST",
      `${dir} has no ${MANIFEST_FILE}: not a backup, or an export that did not finish`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw new BackupToolError("BAD_MANIFEST", `invalid manifest: ${(err as Error).message}`);
  }
  switch (checkManifestSignature(parsed, keyring)) {
    case "valid":
      break;
    case "unsigned":
      throw new BackupToolError(
        "UNSIGNED_MANIFEST",
        "the manifest is not signed: only backups signed with the audit keyring are restored",
      );
    case "unknown_key":
      throw new BackupToolError(
        "UNKNOWN_KEY",
        `the manifest is signed with key ${String((parsed as Manifest).signature?.keyId)}, which the audit keyring does not hold`,
      );
    default:
      throw new BackupToolError(
        "BAD_SIGNATURE",
        "the manifest's signature does not match its content: it was changed after the export",
      );
  }
  let manifest: Manifest;
  try {
    manifest = parseManifest(parsed);
  } catch (err) {
    throw new BackupToolError("BAD_MANIFEST", (err as Error).message);
  }
  const known = new Set(collectionPatterns(DATA_TREE));
  for (const c of manifest.collections) {
    if (!known.has(c.collection))
      throw new BackupToolError("UNKNOWN_COLLECTION", `${c.collection} is not in this version's data tree`);
  }
  const hasher = new ContentHasher();
  const paths = new Set<string>();
  let total = 0;
  for (const c of manifest.collections) {
    const file = join(dir, c.file);
    const fileHash = createHash("sha256");
    let lines = 0;
    let problem: BackupToolError | null = null;
    try {
      for await (const text of readLines(file, (chunk) => fileHash.update(chunk))) {
        lines++;
        if (problem) continue;
        try {
          const line = parseLine(text, c.collection);
          decodeDocument(line.data, db); // every tag must decode
          if (paths.has(line.path)) throw new BackupToolError("BAD_LINE", `duplicate ${line.path}`);
          paths.add(line.path);
          hasher.add(line.path, line.data);
        } catch (err) {
          problem = err instanceof BackupToolError ? err : new BackupToolError("BAD_LINE", String(err));
        }
        if (++total % every === 0) onProgress?.({ phase: "check-files", documents: total });
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new BackupToolError("FILE_MISSING", c.file);
      throw err;
    }
    if (fileHash.digest("hex") !== c.sha256)
      throw new BackupToolError("HASH_MISMATCH", `${c.file} was changed after the export (file hash differs)`);
    if (problem) throw problem;
    if (lines !== c.documents)
      throw new BackupToolError("COUNT_MISMATCH", `${c.file} holds ${lines} documents, manifest says ${c.documents}`);
  }
  if (hasher.digest() !== manifest.contentHash)
    throw new BackupToolError("HASH_MISMATCH", "content hash differs from the manifest");
  return { manifest, paths };
}

export interface ImportOptions {
  dir: string;
  /** The audit keyring: checks the manifest's signature and the restored audit chains. */
  keyring: AuditKeyring;
  /** Write into a database that already holds credit data (documents in the backup replace theirs). */
  force?: boolean;
  batchSize?: number;
  /** Batches in flight at once. */
  concurrency?: number;
  progressEvery?: number;
  onProgress?: (p: Progress) => void;
}

export interface ImportResult {
  manifest: Manifest;
  written: number;
  /** Read back after writing: documents per collection pattern, and the content hash. */
  verified: { counts: Record<string, number>; contentHash: string };
  /** Documents found that are not in the backup (only with force). */
  extraDocuments: number;
  /** Every audit chain in the restored data, verified like verifyAuditTrail does. */
  chains: ChainReport;
}

async function targetHasData(db: Firestore, paths: ReadonlySet<string>): Promise<string | null> {
  if (!(await isDatabaseEmpty(db))) return "a top-level collection holds documents";
  const subcollections = new Set<string>();
  for (const p of paths) {
    const parts = p.split("/");
    if (parts.length > 2) subcollections.add(parts.slice(0, -1).join("/"));
  }
  let found: string | null = null;
  await pool([...subcollections], 8, async (c) => {
    if (!found && !(await db.collection(c).limit(1).get()).empty) found = `${c} holds documents`;
  });
  return found;
}

/**
 * Restores a backup directory: check files (nothing is written if any check fails),
 * check the target is empty (unless force), write, read everything back and compare.
 */
export async function importLogical(db: Firestore, opts: ImportOptions): Promise<ImportResult> {
  assertBigInt(db);
  const every = opts.progressEvery ?? DEFAULT_PROGRESS_EVERY;
  const batchSize = Math.min(opts.batchSize ?? MAX_BATCH, MAX_BATCH);
  const { manifest, paths } = await checkBackupFiles(opts.dir, db, opts.keyring, opts.onProgress, every);

  if (!opts.force) {
    const why = await targetHasData(db, paths);
    if (why)
      throw new BackupToolError(
        "TARGET_NOT_EMPTY",
        `${why}; restore writes only into an empty database (use --force to write over it)`,
      );
  }

  let written = 0;
  const inFlight = new Set<Promise<void>>();
  const limit = Math.max(1, opts.concurrency ?? 4);
  let failure: unknown = null;
  const commit = async (batch: FirebaseFirestore.WriteBatch, n: number) => {
    const p = batch
      .commit()
      .then(() => {
        const before = written;
        written += n;
        if (Math.floor(written / every) > Math.floor(before / every))
          opts.onProgress?.({ phase: "write", documents: written });
      })
      .catch((err) => {
        failure ??= err;
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
    if (inFlight.size >= limit) await Promise.race(inFlight);
    if (failure) throw failure;
  };
  for (const c of manifest.collections) {
    let batch = db.batch();
    let n = 0;
    for await (const text of readLines(join(opts.dir, c.file), () => {})) {
      const line = parseLine(text, c.collection);
      batch.set(db.doc(line.path), decodeDocument(line.data, db));
      if (++n === batchSize) {
        await commit(batch, n);
        batch = db.batch();
        n = 0;
      }
    }
    if (n > 0) await commit(batch, n);
  }
  await Promise.all(inFlight);
  if (failure) throw failure;
  opts.onProgress?.({ phase: "write", documents: written });

  const hasher = new ContentHasher();
  const counts: Record<string, number> = {};
  let extra = 0;
  let read = 0;
  const chains = new RestoredChains(opts.keyring, await latestSeals(db, opts.keyring));
  await walkTree(db, (pattern, path, data) => {
    chains.visit(pattern, path, data);
    if (opts.force && !paths.has(path)) {
      extra++;
      return;
    }
    hasher.add(path, encodeDocument(data));
    counts[pattern] = (counts[pattern] ?? 0) + 1;
    if (++read % every === 0) opts.onProgress?.({ phase: "verify", documents: read });
  });
  const contentHash = hasher.digest();
  const wrong = manifest.collections
    .filter((c) => (counts[c.collection] ?? 0) !== c.documents)
    .map((c) => `${c.collection} ${counts[c.collection] ?? 0}/${c.documents}`);
  if (wrong.length)
    throw new BackupToolError("VERIFY_FAILED", `documents read back differ in count: ${wrong.join(", ")}`);
  if (contentHash !== manifest.contentHash)
    throw new BackupToolError("VERIFY_FAILED", "content read back differs from the backup (hash)");
  return { manifest, written, verified: { counts, contentHash }, extraDocuments: extra, chains: chains.report() };
}
