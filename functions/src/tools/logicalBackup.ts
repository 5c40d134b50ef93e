/**
 * Logical backup of the credit data: every collection and subcollection of DATA_TREE as
 * JSON Lines with Firestore types preserved (tagged JSON, see domain/backup.ts), and a
 * manifest with counts, file hashes and a content hash, signed (HMAC under the audit
 * keyring's signing key) and written last; files 0600, directory 0700. Restore refuses an
 * unsigned or altered manifest and checks the files before writing anything, refuses a
 * non-empty target unless forced, writes in batches of at most 500, reads the database back
 * and checks counts and hash, then verifies every audit chain in the restored data.
 *
 * Used by scripts/backup.mjs and scripts/restore.mjs (compiled) and by the restore drill
 * in the tests. Not deployed as a function. Works against the in-process Firestore
 * (which cannot list collections or page with cursors: collections are read whole,
 * subcollections per parent document), the official emulator and production.
 */
import { createHash, type Hash } from "node:crypto";
import { createReadStream, createWriteStream, type WriteStream } from "node:fs";
import { chmod, mkdir, open, readFile, readdir, rename } from "node:fs/promises";
import { join } from "node:path";
import { once } from "node:events";
import { DocumentReference, FieldValue, Firestore, GeoPoint, Timestamp, type DocumentData } from "firebase-admin/firestore";
import {
  ContentHasher,
  MANIFEST_FILE,
  buildManifest,
  canonicalJson,
  checkManifestSignature,
  collectionPatterns,
  fileNameFor,
  parseManifest,
  pathMatches,
  signManifest,
  type Manifest,
  type ManifestCollection,
  type TaggedMap,
  type TaggedValue,
} from "../domain/backup.js";
import { AUDIT_ENTRIES, COLLECTIONS, DATA_TREE, auditChainId } from "../data/paths.js";
import { ChainVerifier, EMPTY_HEAD, SEAL_ACTION, isAuthenticSystemEntry, sealedHeadIn, type AuditEntry, type AuditKeyring, type BrokenEntry, type ChainHead } from "../domain/audit.js";

/** The scripts parse the keyring text (CREDIT_DESK_AUDIT_KEYS) with this. */
export { parseAuditKeyring } from "../domain/audit.js";

export type BackupToolErrorCode =
  | "OUT_DIR_NOT_EMPTY"
  | "NO_MANIFEST"
  | "BAD_MANIFEST"
  | "UNSIGNED_MANIFEST"
  | "BAD_SIGNATURE"
  | "UNKNOWN_KEY"
  | "UNKNOWN_COLLECTION"
  | "FILE_MISSING"
  | "BAD_LINE"
  | "HASH_MISMATCH"
  | "COUNT_MISMATCH"
  | "TARGET_NOT_EMPTY"
  | "VERIFY_FAILED"
  | "INJECTED_FAULT"
  | "BAD_VALUE"
  | "WRONG_SETTINGS";

export class BackupToolError extends Error {
  constructor(
    readonly code: BackupToolErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = "BackupToolError";
  }
}

export const MAX_BATCH = 500;
export const DEFAULT_PROGRESS_EVERY = 500;

export interface Progress {
  phase: "export" | "check-files" | "write" | "verify" | "wipe";
  documents: number;
}

// ---------------------------------------------------------------------------------------
// Database handle

/**
 * A Firestore handle for backup and restore: its own instance (not the app's), reading
 * integers as BigInt so that integer 2 and double 2.0 stay apart. Honours
 * FIRESTORE_EMULATOR_HOST like every Firestore client.
 */
export function openBackupDatabase(projectId: string, databaseId?: string): Firestore {
  return new Firestore({ projectId, useBigInt: true, ...(databaseId ? { databaseId } : {}) });
}

function assertBigInt(db: Firestore): void {
  const settings = (db as unknown as { _settings?: { useBigInt?: boolean } })._settings;
  if (settings && settings.useBigInt !== true) {
    throw new BackupToolError("WRONG_SETTINGS", "open the database with openBackupDatabase() (useBigInt: true), or integers and doubles cannot be told apart");
  }
}

// ---------------------------------------------------------------------------------------
// Tagged JSON codec

/**
 * A double whose value is integral (2.0). The Node SDK writes every safe-integer number
 * as an integer, so restoring one needs its own encoding: a GeoPoint subclass passes the
 * SDK's input validation and its toProto() is what the serializer sends. The read-back
 * verification would catch it if an SDK update changed that path.
 */
export class FirestoreDouble extends GeoPoint {
  constructor(readonly value: number) {
    super(0, 0);
  }
  toProto(): { doubleValue: number } {
    return { doubleValue: this.value };
  }
}

function isVectorValue(v: object): v is { toArray(): number[] } {
  return v.constructor?.name === "VectorValue" && typeof (v as { toArray?: unknown }).toArray === "function";
}

/** Read with useBigInt, every JS number is a double (integers arrive as BigInt). */
function encodeDouble(x: number): TaggedValue {
  if (Number.isFinite(x) && !Number.isInteger(x)) return x;
  return { $double: Object.is(x, -0) ? "-0" : String(x) };
}

export function encodeValue(v: unknown): TaggedValue {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case "boolean":
    case "string":
      return v;
    case "bigint":
      return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : { $int: v.toString() };
    case "number":
      return encodeDouble(v);
    case "object":
      break;
    default:
      throw new BackupToolError("BAD_VALUE", `cannot encode a ${typeof v}`);
  }
  if (v instanceof FirestoreDouble) return encodeDouble(v.value);
  if (v instanceof Timestamp) return { $ts: [v.seconds, v.nanoseconds] };
  if (v instanceof GeoPoint) return { $geo: [v.latitude, v.longitude] };
  if (v instanceof DocumentReference) return { $ref: v.path };
  if (v instanceof Uint8Array) return { $bytes: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64") };
  if (Array.isArray(v)) return v.map(encodeValue);
  if (isVectorValue(v)) return { $vector: v.toArray() };
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) throw new BackupToolError("BAD_VALUE", `cannot encode an object of type ${v.constructor?.name}`);
  const out = encodeDocument(v as DocumentData);
  return Object.keys(out).some((k) => k.startsWith("$")) ? { $map: out } : out;
}

export function encodeDocument(data: DocumentData): TaggedMap {
  const out: TaggedMap = {};
  for (const [k, val] of Object.entries(data)) out[k] = encodeValue(val);
  return out;
}

function decodeDouble(s: string): number | FirestoreDouble {
  const x = s === "-0" ? -0 : Number(s);
  if (Number.isNaN(x) && s !== "NaN") throw new BackupToolError("BAD_VALUE", `bad $double ${s}`);
  return Number.isFinite(x) && Number.isInteger(x) && !Object.is(x, -0) ? new FirestoreDouble(x) : x;
}

export function decodeValue(t: TaggedValue, db: Firestore): unknown {
  if (t === null || typeof t !== "object") return t;
  if (Array.isArray(t)) return t.map((x) => decodeValue(x, db));
  const keys = Object.keys(t);
  if (!keys.some((k) => k.startsWith("$"))) return decodeDocument(t, db);
  const bad = (): never => {
    throw new BackupToolError("BAD_VALUE", `bad tagged value ${JSON.stringify(t).slice(0, 80)}`);
  };
  if (keys.length !== 1) return bad();
  const tag = keys[0]!;
  const v = t[tag];
  switch (tag) {
    case "$int": {
      if (typeof v !== "string" || !/^-?\d+$/.test(v)) return bad();
      const n = BigInt(v);
      return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
    }
    case "$double":
      return typeof v === "string" ? decodeDouble(v) : bad();
    case "$ts":
      return Array.isArray(v) && v.length === 2 && typeof v[0] === "number" && typeof v[1] === "number" ? new Timestamp(v[0], v[1]) : bad();
    case "$geo":
      return Array.isArray(v) && v.length === 2 && typeof v[0] === "number" && typeof v[1] === "number" ? new GeoPoint(v[0], v[1]) : bad();
    case "$ref":
      return typeof v === "string" && v.split("/").length % 2 === 0 ? db.doc(v) : bad();
    case "$bytes":
      return typeof v === "string" ? Buffer.from(v, "base64") : bad();
    case "$vector":
      return Array.isArray(v) && v.every((x) => typeof x === "number") ? FieldValue.vector(v as number[]) : bad();
    case "$map":
      return v && typeof v === "object" && !Array.isArray(v) ? decodeDocument(v, db) : bad();
    default:
      return bad();
  }
}

export function decodeDocument(t: TaggedMap, db: Firestore): DocumentData {
  const out: DocumentData = {};
  for (const [k, v] of Object.entries(t)) out[k] = decodeValue(v, db);
  return out;
}

// ---------------------------------------------------------------------------------------
// Walking the data tree

/**
 * Parent ids of subcollections that cannot be found from the parent collection's own
 * documents: audit chain heads live in the subject's document (customers/{id},
 * applications/{id}), so audit/customer_{id} usually does not exist while its entries do.
 * listDocuments() (production, official emulator) also finds such parents; the
 * in-process server lacks it, hence these.
 */
const DERIVED_PARENTS: Record<string, (ids: ReadonlyMap<string, readonly string[]>) => string[]> = {
  [COLLECTIONS.audit]: (ids) => [
    auditChainId.system(),
    ...(ids.get(COLLECTIONS.customers) ?? []).map(auditChainId.customer),
    ...(ids.get(COLLECTIONS.applications) ?? []).map(auditChainId.application),
  ],
};
const ID_SOURCES = new Set<string>([COLLECTIONS.customers, COLLECTIONS.applications]);

type Visit = (pattern: string, path: string, data: DocumentData) => void | Promise<void>;

async function pool<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown = null;
  const worker = async () => {
    while (failed === null && next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  if (failed !== null) throw failed;
}

const listDocumentsServed = new WeakMap<Firestore, boolean>();

async function listDocumentIds(db: Firestore, collection: string): Promise<string[] | null> {
  if (listDocumentsServed.get(db) === false) return null;
  try {
    const ids = (await db.collection(collection).listDocuments()).map((r) => r.id);
    listDocumentsServed.set(db, true);
    return ids;
  } catch (err) {
    if (listDocumentsServed.get(db)) throw err; // it worked before: a real failure
    listDocumentsServed.set(db, false); // not served (in-process Firestore): DERIVED_PARENTS cover what we know of
    return null;
  }
}

export interface WalkResult {
  /** Whether listDocuments() was available to find parents without a document. */
  listDocuments: boolean;
}

/** Visits every document of the data tree: top-level collections whole, then subcollections per parent. */
export async function walkTree(db: Firestore, visit: Visit, concurrency = 16): Promise<WalkResult> {
  const ids = new Map<string, string[]>();
  for (const node of DATA_TREE) {
    const keep = (node.subcollections?.length ?? 0) > 0 || ID_SOURCES.has(node.collection);
    const found: string[] = [];
    for await (const snap of db.collection(node.collection).stream() as AsyncIterable<FirebaseFirestore.QueryDocumentSnapshot>) {
      if (keep) found.push(snap.id);
      await visit(node.collection, snap.ref.path, snap.data());
    }
    if (keep) ids.set(node.collection, found);
  }
  let listed = true;
  for (const node of DATA_TREE) {
    if (!node.subcollections?.length) continue;
    const parents = new Set(ids.get(node.collection) ?? []);
    const fromList = await listDocumentIds(db, node.collection);
    if (fromList) fromList.forEach((id) => parents.add(id));
    else listed = false;
    for (const id of DERIVED_PARENTS[node.collection]?.(ids) ?? []) parents.add(id);
    const work = [...parents].sort().flatMap((parent) => node.subcollections!.map((sub) => ({ parent, sub })));
    await pool(work, concurrency, async ({ parent, sub }) => {
      const snap = await db.collection(`${node.collection}/${parent}/${sub}`).get();
      for (const d of snap.docs) await visit(`${node.collection}/*/${sub}`, d.ref.path, d.data());
    });
  }
  return { listDocuments: listed };
}

/** Every document of the data tree, path → tagged data (for drills and tests; holds everything in memory). */
export async function dumpDatabase(db: Firestore): Promise<Map<string, TaggedMap>> {
  assertBigInt(db);
  const out = new Map<string, TaggedMap>();
  await walkTree(db, (_p, path, data) => {
    out.set(path, encodeDocument(data));
  });
  return new Map([...out.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
}

/** True when no top-level collection of the data tree holds a document. */
export async function isDatabaseEmpty(db: Firestore): Promise<boolean> {
  for (const node of DATA_TREE) {
    if (!(await db.collection(node.collection).limit(1).get()).empty) return false;
  }
  return true;
}

/** Deletes every document the walk finds (emulators and drills; batches of 500). Returns how many. */
export async function wipeDatabase(db: Firestore, onProgress?: (p: Progress) => void): Promise<number> {
  const paths: string[] = [];
  await walkTree(db, (_p, path) => {
    paths.push(path);
  });
  for (let i = 0; i < paths.length; i += MAX_BATCH) {
    const batch = db.batch();
    for (const p of paths.slice(i, i + MAX_BATCH)) batch.delete(db.doc(p));
    await batch.commit();
    onProgress?.({ phase: "wipe", documents: Math.min(i + MAX_BATCH, paths.length) });
  }
  return paths.length;
}

// ---------------------------------------------------------------------------------------
// Export

export interface ExportOptions {
  outDir: string;
  projectId: string;
  /** The audit keyring: its signing key signs the manifest. */
  keyring: AuditKeyring;
  /** Where the data came from, for the manifest (emulator host or null for production). */
  host?: string | null;
  now?: number;
  progressEvery?: number;
  onProgress?: (p: Progress) => void;
  /** Test hook: fail after writing this many documents (an interrupted export). */
  faultInjection?: { afterDocuments: number };
}

export interface ExportResult {
  manifest: Manifest;
  manifestPath: string;
  listDocuments: boolean;
}

class LineFile {
  readonly hash: Hash = createHash("sha256");
  readonly stream: WriteStream;
  lines = 0;
  private drained: Promise<void> | null = null;
  constructor(readonly path: string) {
    this.stream = createWriteStream(path, { flags: "wx", mode: 0o600 });
  }
  async write(line: string): Promise<void> {
    this.hash.update(line);
    this.lines++;
    if (!this.stream.write(line)) {
      this.drained ??= once(this.stream, "drain").then(() => {
        this.drained = null;
      });
    }
    if (this.drained) await this.drained;
  }
  async close(): Promise<void> {
    if (this.stream.closed) return;
    this.stream.end();
    await once(this.stream, "close");
  }
}

async function fsyncPath(path: string): Promise<void> {
  const h = await open(path, "r");
  try {
    await h.sync();
  } catch {
    // directories cannot be fsynced on every platform
  } finally {
    await h.close();
  }
}

/**
 * Writes one JSONL file per collection pattern into `outDir` (which must be empty or
 * absent), then manifest.json — written to a temporary name, synced and renamed, and
 * only after every data file is complete and synced. An interrupted export leaves no
 * manifest, and restore refuses a directory without one. The directory is made (or,
 * empty, set) owner-only (0700), every file 0600: a backup holds personal data.
 */
export async function exportLogical(db: Firestore, opts: ExportOptions): Promise<ExportResult> {
  assertBigInt(db);
  await mkdir(opts.outDir, { recursive: true, mode: 0o700 });
  const existing = await readdir(opts.outDir);
  if (existing.length > 0) throw new BackupToolError("OUT_DIR_NOT_EMPTY", `${opts.outDir} is not empty (${existing.length} entries); export into a new directory`);
  await chmod(opts.outDir, 0o700);

  const every = opts.progressEvery ?? DEFAULT_PROGRESS_EVERY;
  const files = new Map<string, LineFile>();
  for (const pattern of collectionPatterns(DATA_TREE)) files.set(pattern, new LineFile(join(opts.outDir, fileNameFor(pattern))));
  const hasher = new ContentHasher();
  let count = 0;
  let walk: WalkResult;
  try {
    walk = await walkTree(db, async (pattern, path, data) => {
      const tagged = encodeDocument(data);
      hasher.add(path, tagged);
      await files.get(pattern)!.write(`{"path":${JSON.stringify(path)},"data":${canonicalJson(tagged)}}\n`);
      count++;
      if (opts.faultInjection && count >= opts.faultInjection.afterDocuments) {
        throw new BackupToolError("INJECTED_FAULT", `export interrupted after ${count} documents`);
      }
      if (count % every === 0) opts.onProgress?.({ phase: "export", documents: count });
    });
  } finally {
    await Promise.all([...files.values()].map((f) => f.close()));
  }
  await Promise.all([...files.values()].map((f) => fsyncPath(f.path)));
  opts.onProgress?.({ phase: "export", documents: count });

  const collections: ManifestCollection[] = [...files.entries()].map(([pattern, f]) => ({
    collection: pattern,
    file: fileNameFor(pattern),
    documents: f.lines,
    sha256: f.hash.digest("hex"),
  }));
  const manifest = signManifest(
    buildManifest({
      createdAt: opts.now ?? Date.now(),
      source: { projectId: opts.projectId, host: opts.host ?? null },
      collections,
      contentHash: hasher.digest(),
    }),
    opts.keyring.signing,
  );
  const manifestPath = join(opts.outDir, MANIFEST_FILE);
  const tmp = `${manifestPath}.tmp`;
  const h = await open(tmp, "wx", 0o600);
  try {
    await h.writeFile(JSON.stringify(manifest, null, 2) + "\n");
    await h.sync();
  } finally {
    await h.close();
  }
  await rename(tmp, manifestPath);
  await fsyncPath(opts.outDir);
  return { manifest, manifestPath, listDocuments: walk.listDocuments };
}

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
  if (!line || typeof line.path !== "string" || !line.data || typeof line.data !== "object" || Array.isArray(line.data)) {
    throw new BackupToolError("BAD_LINE", `a line of ${pattern} lacks path or data`);
  }
  if (!pathMatches(pattern, line.path)) throw new BackupToolError("BAD_LINE", `${line.path} does not belong to ${pattern}`);
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
export async function checkBackupFiles(dir: string, db: Firestore, keyring: AuditKeyring, onProgress?: (p: Progress) => void, every = DEFAULT_PROGRESS_EVERY): Promise<CheckedBackup> {
  let raw: string;
  try {
    raw = await readFile(join(dir, MANIFEST_FILE), "utf8");
  } catch {
    throw new BackupToolError("NO_MANIFEST", `${dir} has no ${MANIFEST_FILE}: not a backup, or an export that did not finish`);
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
      throw new BackupToolError("UNSIGNED_MANIFEST", "the manifest is not signed: only backups signed with the audit keyring are restored");
    case "unknown_key":
      throw new BackupToolError("UNKNOWN_KEY", `the manifest is signed with key ${String((parsed as Manifest).signature?.keyId)}, which the audit keyring does not hold`);
    default:
      throw new BackupToolError("BAD_SIGNATURE", "the manifest's signature does not match its content: it was changed after the export");
  }
  let manifest: Manifest;
  try {
    manifest = parseManifest(parsed);
  } catch (err) {
    throw new BackupToolError("BAD_MANIFEST", (err as Error).message);
  }
  const known = new Set(collectionPatterns(DATA_TREE));
  for (const c of manifest.collections) {
    if (!known.has(c.collection)) throw new BackupToolError("UNKNOWN_COLLECTION", `${c.collection} is not in this version's data tree`);
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
    if (fileHash.digest("hex") !== c.sha256) throw new BackupToolError("HASH_MISMATCH", `${c.file} was changed after the export (file hash differs)`);
    if (problem) throw problem;
    if (lines !== c.documents) throw new BackupToolError("COUNT_MISMATCH", `${c.file} holds ${lines} documents, manifest says ${c.documents}`);
  }
  if (hasher.digest() !== manifest.contentHash) throw new BackupToolError("HASH_MISMATCH", "content hash differs from the manifest");
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
    if (why) throw new BackupToolError("TARGET_NOT_EMPTY", `${why}; restore writes only into an empty database (use --force to write over it)`);
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
        if (Math.floor(written / every) > Math.floor(before / every)) opts.onProgress?.({ phase: "write", documents: written });
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
  const wrong = manifest.collections.filter((c) => (counts[c.collection] ?? 0) !== c.documents).map((c) => `${c.collection} ${counts[c.collection] ?? 0}/${c.documents}`);
  if (wrong.length) throw new BackupToolError("VERIFY_FAILED", `documents read back differ in count: ${wrong.join(", ")}`);
  if (contentHash !== manifest.contentHash) throw new BackupToolError("VERIFY_FAILED", "content read back differs from the backup (hash)");
  return { manifest, written, verified: { counts, contentHash }, extraDocuments: extra, chains: chains.report() };
}

// ---------------------------------------------------------------------------------------
// Audit chains in a restored database

export interface ChainReport {
  /** Chains found (subjects with a head, chains with entries, chains named by a seal). */
  chains: number;
  entries: number;
  broken: Array<{ chainId: string } & BrokenEntry>;
}

/** Data as the app reads it (integers as numbers, not BigInt), for the MAC. */
function appValue(v: unknown): unknown {
  if (typeof v === "bigint") return Number(v);
  if (v instanceof FirestoreDouble) return v.value;
  if (Array.isArray(v)) return v.map(appValue);
  if (v && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, appValue(x)]));
  }
  return v;
}

function storedEntry(data: DocumentData): AuditEntry {
  const d = appValue(data) as DocumentData;
  const at = d.at instanceof Timestamp ? d.at.toMillis() : Number(d.at);
  const e: AuditEntry = {
    chainId: d.chainId,
    seq: d.seq,
    at,
    prevHash: d.prevHash,
    hash: d.hash,
    action: d.action,
    actor: d.actor,
    target: d.target,
    before: d.before ?? null,
    after: d.after ?? null,
    reason: d.reason ?? null,
    requestId: d.requestId ?? null,
  };
  if (d.keyId !== undefined) e.keyId = d.keyId;
  if (d.sealedChains !== undefined) e.sealedChains = d.sealedChains;
  return e;
}

function headIn(data: DocumentData): ChainHead | null {
  const h = appValue(data.auditHead) as ChainHead | null | undefined;
  return h && typeof h.seq === "number" && typeof h.hash === "string" ? { seq: h.seq, hash: h.hash } : null;
}

/** Each chain's latest authentic seal in the database: chainId → sealed head. */
async function latestSeals(db: Firestore, keyring: AuditKeyring): Promise<Map<string, ChainHead & { systemSeq: number }>> {
  const out = new Map<string, ChainHead & { systemSeq: number }>();
  const system = auditChainId.system();
  const snap = await db.collection(`${COLLECTIONS.audit}/${system}/${AUDIT_ENTRIES}`).where("action", "==", SEAL_ACTION).get();
  for (const doc of snap.docs) {
    const e = storedEntry(doc.data());
    if (!isAuthenticSystemEntry(e, system, keyring)) continue; // the system chain's own verification names it
    for (const chainId of e.sealedChains ?? []) {
      const head = sealedHeadIn(e, chainId);
      const prior = out.get(chainId);
      if (head && (!prior || prior.systemSeq < e.seq)) out.set(chainId, { ...head, systemSeq: e.seq });
    }
  }
  return out;
}

const SUBJECT_OF_CHAIN: Array<{ collection: string; chainId: (id: string) => string }> = [
  { collection: COLLECTIONS.customers, chainId: auditChainId.customer },
  { collection: COLLECTIONS.applications, chainId: auditChainId.application },
];

/** Verifies every chain of a database walk (walkTree visits subjects first, then each chain's entries in id order). */
class RestoredChains {
  private readonly heads = new Map<string, ChainHead>();
  private readonly subjects = new Set<string>();
  private readonly verifiers = new Map<string, ChainVerifier>();
  private readonly misplaced = new Map<string, BrokenEntry>();
  private entries = 0;

  constructor(
    private readonly keyring: AuditKeyring,
    private readonly seals: ReadonlyMap<string, ChainHead>,
  ) {}

  private verifier(chainId: string): ChainVerifier {
    let v = this.verifiers.get(chainId);
    if (!v) this.verifiers.set(chainId, (v = new ChainVerifier(chainId, this.keyring, { sealed: this.seals.get(chainId) ?? null })));
    return v;
  }

  visit(pattern: string, path: string, data: DocumentData): void {
    const parts = path.split("/");
    const subject = SUBJECT_OF_CHAIN.find((s) => s.collection === pattern);
    const chainId = subject ? subject.chainId(parts[1]!) : pattern === COLLECTIONS.audit && parts[1] === auditChainId.system() ? auditChainId.system() : null;
    if (chainId) {
      this.subjects.add(chainId);
      const head = headIn(data);
      if (head) this.heads.set(chainId, head);
      return;
    }
    if (pattern !== `${COLLECTIONS.audit}/*/${AUDIT_ENTRIES}`) return;
    this.entries++;
    const id = parts[1]!;
    const v = this.verifier(id);
    const e = storedEntry(data);
    const wasBroken = v.firstBroken !== undefined || this.misplaced.has(id);
    v.push(e);
    if (!wasBroken && v.firstBroken === undefined && parts[3] !== String(e.seq).padStart(12, "0")) this.misplaced.set(id, { seq: e.seq, problem: "out_of_order" });
  }

  report(): ChainReport {
    const ids = new Set([...this.verifiers.keys(), ...this.heads.keys(), ...this.seals.keys()]);
    const broken: ChainReport["broken"] = [];
    for (const chainId of [...ids].sort()) {
      const v = this.verifier(chainId);
      const isSystem = chainId === auditChainId.system();
      const subjectMissing = !this.subjects.has(chainId) && !isSystem;
      const verdict = v.finish(subjectMissing ? null : (this.heads.get(chainId) ?? EMPTY_HEAD), { subjectMissing });
      const b = this.misplaced.get(chainId) ?? verdict.firstBrokenEntry;
      if (b) broken.push({ chainId, ...b });
    }
    return { chains: ids.size, entries: this.entries, broken };
  }
}

// ---------------------------------------------------------------------------------------
// Where the scripts connect

export const DEFAULT_EMULATOR_HOST = "127.0.0.1:8080";
export const DEFAULT_PROJECT = "demo-credit";

export interface Target {
  projectId: string;
  /** Emulator host, or null for the real Firestore of projectId. */
  host: string | null;
}

/**
 * The scripts' target: the emulator (FIRESTORE_EMULATOR_HOST, default 127.0.0.1:8080) and
 * project demo-credit unless told otherwise; production only when a project is named
 * explicitly (--project) and no emulator host is set. A demo-* project is never production.
 */
export function resolveTarget(explicitProject: string | null | undefined, env: Record<string, string | undefined>): Target {
  const host = env.FIRESTORE_EMULATOR_HOST?.trim() || null;
  if (!explicitProject) return { projectId: DEFAULT_PROJECT, host: host ?? DEFAULT_EMULATOR_HOST };
  if (!/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/.test(explicitProject)) throw new Error(`--project ${explicitProject} is not a project id`);
  if (host) return { projectId: explicitProject, host };
  if (explicitProject.startsWith("demo-")) return { projectId: explicitProject, host: DEFAULT_EMULATOR_HOST };
  return { projectId: explicitProject, host: null };
}
