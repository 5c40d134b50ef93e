/**
 * Backup decisions, pure: names and prefixes of managed exports, what a finished or
 * stuck export operation means, which exports retention deletes, and the logical
 * backup's manifest, content hash and signature. No Firebase import; the clock is passed
 * in as epoch milliseconds; hashing is node:crypto SHA-256 (deterministic); the manifest is
 * signed with HMAC-SHA-256 under the audit keyring's signing key (passed in).
 */
import { createHash } from "node:crypto";
import { hmacHex, sameDigest, type AuditKey, type AuditKeyring } from "./audit.js";
import { DAY_MS, HOUR_MS } from "./time.js";

export const DEFAULT_RETENTION_DAYS = 35;

/** Exports go under gs://{bucket}/{EXPORT_ROOT}/{YYYY-MM-DD}/{backupId}. */
export const EXPORT_ROOT = "firestore";

export type BackupStatus = "running" | "succeeded" | "failed";

/** A managed export run, as the service sees it (the stored document holds Timestamps). */
export interface BackupRecord {
  id: string;
  status: BackupStatus;
  startedAt: number;
  endedAt: number | null;
  outputUriPrefix: string | null;
  operationName: string | null;
  /** True once retention deleted the export's files (the record itself is kept). */
  expired: boolean;
}

/** Failure codes stored on backups/{id}.errorCode and used as the alert's code. */
export type BackupFailureCode =
  | "BUCKET_NOT_CONFIGURED"
  | "BUCKET_INVALID"
  | "EXPORT_START_FAILED"
  | "EXPORT_NOT_STARTED"
  | "EXPORT_FAILED"
  | "EXPORT_TIMEOUT";

export interface BackupLimits {
  /** A run with no operation name this long after start crashed between record and export call. */
  notStartedAfterMs: number;
  /** An export still running this long after start is declared failed (the operation is left alone). */
  timeoutMs: number;
  /** No successful export started within this window raises the alert (the scheduler may have stopped). */
  staleAfterMs: number;
}

export const DEFAULT_BACKUP_LIMITS: BackupLimits = {
  notStartedAfterMs: 30 * 60_000,
  timeoutMs: 24 * HOUR_MS,
  staleAfterMs: 48 * HOUR_MS,
};

// ---------------------------------------------------------------------------------------
// Managed export: names

const BUCKET_NAME = /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/;

/** Accepts "name" or "gs://name" (with or without a trailing slash). */
export function normalizeBucket(
  raw: string | null | undefined,
): { ok: true; bucket: string } | { ok: false; code: "BUCKET_NOT_CONFIGURED" | "BUCKET_INVALID" } {
  const trimmed = (raw ?? "").trim();
  if (!trimmed) return { ok: false, code: "BUCKET_NOT_CONFIGURED" };
  const bucket = trimmed.replace(/^gs:\/\//, "").replace(/\/+$/, "");
  if (!BUCKET_NAME.test(bucket) || bucket.includes("..")) return { ok: false, code: "BUCKET_INVALID" };
  return { ok: true, bucket };
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** One id per scheduled run: a retried or duplicated delivery of the same run lands on the same record. */
export function backupIdFor(scheduledAt: number): string {
  const iso = new Date(scheduledAt).toISOString(); // 2024-05-01T02:00:00.000Z
  return `daily-${iso.slice(0, 10).replace(/-/g, "")}T${iso.slice(11, 19).replace(/:/g, "")}Z`;
}

export function exportUriPrefix(bucket: string, scheduledAt: number, backupId: string): string {
  return `gs://${bucket}/${EXPORT_ROOT}/${isoDate(scheduledAt)}/${backupId}`;
}

const EXPORT_URI = /^gs:\/\/([a-z0-9][a-z0-9._-]{1,220}[a-z0-9])\/firestore\/(\d{4}-\d{2}-\d{2})\/([A-Za-z0-9_-]+)$/;

/**
 * The bucket and object prefix (with trailing slash) of an export made by this system,
 * or null for anything else. Retention deletes only what parses here and names the
 * record's own id, so an edited record can never point deletion at the bucket root.
 */
export function parseExportUri(uri: string, backupId: string): { bucket: string; objectPrefix: string } | null {
  const m = EXPORT_URI.exec(uri);
  if (!m || m[3] !== backupId) return null;
  return { bucket: m[1]!, objectPrefix: `${EXPORT_ROOT}/${m[2]}/${m[3]}/` };
}

export function databaseName(projectId: string, databaseId = "(default)"): string {
  return `projects/${projectId}/databases/${databaseId}`;
}

/**
 * Collection ids for the managed export: every collection id in the data tree, top level
 * and subcollections (export filters match ids at any depth), sorted and unique. An
 * explicit list (rather than [] = everything) makes the export importable collection by
 * collection (`gcloud firestore import --collection-ids=...`) and loadable into BigQuery;
 * the price is that a new collection must be added to DATA_TREE, which the logical
 * backup needs anyway.
 */
export function managedExportCollectionIds(
  tree: ReadonlyArray<{ collection: string; subcollections?: readonly string[] }>,
): string[] {
  const ids = new Set<string>();
  for (const node of tree) {
    ids.add(node.collection);
    for (const sub of node.subcollections ?? []) ids.add(sub);
  }
  return [...ids].sort();
}

// ---------------------------------------------------------------------------------------
// Managed export: operation outcome, retention, staleness

export type ExportOperationState =
  | { done: false }
  | {
      done: true;
      /** google.rpc.Status of a failed operation, null when it succeeded. */
      error: { code: number; message: string } | null;
      /** When the operation says it ended, if it says. */
      endedAt?: number | null;
      documents?: number | null;
      bytes?: number | null;
    };

export type RunningVerdict =
  | { kind: "wait" }
  | { kind: "succeeded"; endedAt: number; documents: number | null; bytes: number | null }
  | { kind: "failed"; code: BackupFailureCode; detail: string };

/** What to do with a running record, given its operation's state (null: no operation to ask, or asking failed). */
export function judgeRunning(
  record: BackupRecord,
  op: ExportOperationState | null,
  now: number,
  limits: BackupLimits = DEFAULT_BACKUP_LIMITS,
): RunningVerdict {
  const age = now - record.startedAt;
  if (!record.operationName) {
    return age >= limits.notStartedAfterMs
      ? { kind: "failed", code: "EXPORT_NOT_STARTED", detail: "no export operation was recorded" }
      : { kind: "wait" };
  }
  if (op?.done) {
    if (op.error)
      return {
        kind: "failed",
        code: "EXPORT_FAILED",
        detail: `code ${op.error.code}: ${op.error.message}`.slice(0, 300),
      };
    return { kind: "succeeded", endedAt: op.endedAt ?? now, documents: op.documents ?? null, bytes: op.bytes ?? null };
  }
  return age >= limits.timeoutMs
    ? { kind: "failed", code: "EXPORT_TIMEOUT", detail: `still running after ${Math.round(age / HOUR_MS)} h` }
    : { kind: "wait" };
}

/** The newest succeeded export (by start time), which retention never deletes. */
export function newestSucceeded(records: readonly BackupRecord[]): BackupRecord | null {
  let best: BackupRecord | null = null;
  for (const r of records) {
    if (
      r.status === "succeeded" &&
      (!best || r.startedAt > best.startedAt || (r.startedAt === best.startedAt && r.id > best.id))
    )
      best = r;
  }
  return best;
}

/**
 * Finished exports started more than `retentionDays` ago, oldest first; never a running
 * one, never one already expired, and never the newest succeeded one, however old.
 */
export function chooseExpired(records: readonly BackupRecord[], now: number, retentionDays: number): BackupRecord[] {
  if (!Number.isFinite(retentionDays) || retentionDays < 1)
    throw new RangeError(`retentionDays must be >= 1, got ${retentionDays}`);
  const keep = newestSucceeded(records);
  const cutoff = now - retentionDays * DAY_MS;
  return records
    .filter((r) => !r.expired && r.status !== "running" && r.startedAt < cutoff && r.id !== keep?.id)
    .sort((a, b) => a.startedAt - b.startedAt || (a.id < b.id ? -1 : 1));
}

/** Slack for the daily schedule's own jitter: an export due "every 7 days" is started on the 7th day's run. */
const EXPORT_DUE_SLACK_MS = 2 * HOUR_MS;

/**
 * Is a managed export due (policy `backup.exportEveryDays`)? Yes when no export has started
 * that is running or succeeded, or the newest such started `everyDays` ago; a failed one does
 * not count (the next daily run tries again).
 */
export function exportDue(records: readonly BackupRecord[], now: number, everyDays: number): boolean {
  let newest = -Infinity;
  for (const r of records)
    if (r.status === "running" || r.status === "succeeded") newest = Math.max(newest, r.startedAt);
  return now - newest >= everyDays * DAY_MS - EXPORT_DUE_SLACK_MS;
}

/** The limits with the staleness window of the policy's export period: the period, plus 48 hours. */
export function backupLimitsFor(everyDays: number, base: BackupLimits = DEFAULT_BACKUP_LIMITS): BackupLimits {
  return { ...base, staleAfterMs: everyDays * DAY_MS + 48 * HOUR_MS };
}

/**
 * "NO_RECENT_BACKUP" when backups have been running for longer than the window but none
 * that succeeded started inside it (the scheduler stopped, or every run fails); null
 * otherwise, and null when there are no records at all (nothing was ever scheduled).
 */
export function staleness(
  records: readonly BackupRecord[],
  now: number,
  limits: BackupLimits = DEFAULT_BACKUP_LIMITS,
): "NO_RECENT_BACKUP" | null {
  if (records.length === 0) return null;
  const newest = newestSucceeded(records);
  if (newest) return now - newest.startedAt > limits.staleAfterMs ? "NO_RECENT_BACKUP" : null;
  const oldest = Math.min(...records.map((r) => r.startedAt));
  return now - oldest > limits.staleAfterMs ? "NO_RECENT_BACKUP" : null;
}

// ---------------------------------------------------------------------------------------
// Logical backup: tagged JSON, canonical form, content hash, manifest

/**
 * Firestore values as JSON, types preserved:
 *   integer      plain JSON integer when safe, else {"$int": "digits"}
 *   double       plain JSON number when finite and not integral, else {"$double": "2" | "-0" | "NaN" | "Infinity" | "-Infinity"}
 *   timestamp    {"$ts": [seconds, nanos]}
 *   geopoint     {"$geo": [latitude, longitude]}
 *   reference    {"$ref": "collection/doc/..."}
 *   bytes        {"$bytes": base64}
 *   vector       {"$vector": [numbers]}
 *   map          plain object; a map with any key starting with "$" is wrapped as {"$map": {...}}
 *   array, string, boolean, null: themselves
 */
export type TaggedValue = null | boolean | number | string | TaggedValue[] | { [key: string]: TaggedValue };
export type TaggedMap = { [key: string]: TaggedValue };

export const VALUE_TAGS = ["$int", "$double", "$ts", "$geo", "$ref", "$bytes", "$vector", "$map"] as const;

/** JSON with object keys sorted (UTF-16 order) at every level: one string per value. */
export function canonicalJson(value: TaggedValue): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k] as TaggedValue)}`).join(",")}}`;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Hash of one document: its full path and its canonical tagged data. */
export function documentDigest(path: string, data: TaggedMap): string {
  return sha256Hex(`${path}\n${canonicalJson(data)}`);
}

function comparePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * SHA-256 over every document, in path order: independent of the order documents were
 * read or written, of file layout and of key order. Memory: one path and digest per document.
 */
export class ContentHasher {
  private readonly entries: Array<[string, string]> = [];

  add(path: string, data: TaggedMap): void {
    this.entries.push([path, documentDigest(path, data)]);
  }

  get count(): number {
    return this.entries.length;
  }

  digest(): string {
    const sorted = [...this.entries].sort((x, y) => comparePaths(x[0], y[0]));
    const h = createHash("sha256");
    for (let i = 0; i < sorted.length; i++) {
      const [path, digest] = sorted[i]!;
      if (i > 0 && sorted[i - 1]![0] === path) throw new Error(`duplicate document path ${path}`);
      h.update(`${path}\t${digest}\n`);
    }
    return h.digest("hex");
  }
}

export const MANIFEST_FORMAT = "credit-desk/logical-backup";
/** 2: signed (1 was unsigned, and is refused). */
export const MANIFEST_VERSION = 2;
export const MANIFEST_FILE = "manifest.json";

export interface ManifestCollection {
  /** Path pattern of the collection, e.g. "customers" or "customers/*\/transactions". */
  collection: string;
  file: string;
  documents: number;
  /** SHA-256 of the file's bytes. */
  sha256: string;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  version: typeof MANIFEST_VERSION;
  createdAt: string;
  source: { projectId: string; host: string | null };
  collections: ManifestCollection[];
  totalDocuments: number;
  /** ContentHasher digest over every document. */
  contentHash: string;
  /** HMAC-SHA-256 over the rest of the manifest (canonical JSON), under the audit keyring's key `keyId`. */
  signature: ManifestSignature;
}

export interface ManifestSignature {
  keyId: string;
  hmac: string;
}

export type UnsignedManifest = Omit<Manifest, "signature">;

/** One collection pattern per data-tree node: "customers", "customers/*\/transactions", ... */
export function collectionPatterns(
  tree: ReadonlyArray<{ collection: string; subcollections?: readonly string[] }>,
): string[] {
  const out: string[] = [];
  for (const node of tree) {
    out.push(node.collection);
    for (const sub of node.subcollections ?? []) out.push(`${node.collection}/*/${sub}`);
  }
  return out;
}

export function fileNameFor(pattern: string): string {
  return `${pattern.replace(/\/\*\//g, "__")}.jsonl`;
}

/** Whether a document path belongs to a collection pattern ("*" matches one id). */
export function pathMatches(pattern: string, path: string): boolean {
  const p = pattern.split("/");
  const s = path.split("/");
  if (s.length !== p.length + 1) return false;
  for (let i = 0; i < p.length; i++) if (p[i] !== "*" ? p[i] !== s[i] : s[i] === "") return false;
  return s[s.length - 1] !== "";
}

export function buildManifest(input: {
  createdAt: number;
  source: { projectId: string; host: string | null };
  collections: ManifestCollection[];
  contentHash: string;
}): UnsignedManifest {
  return {
    format: MANIFEST_FORMAT,
    version: MANIFEST_VERSION,
    createdAt: new Date(input.createdAt).toISOString(),
    source: input.source,
    collections: input.collections,
    totalDocuments: input.collections.reduce((n, c) => n + c.documents, 0),
    contentHash: input.contentHash,
  };
}

function signedText(m: UnsignedManifest): string {
  const { signature: _s, ...rest } = m as Manifest;
  return `credit-desk/backup-manifest\n${canonicalJson(rest as unknown as TaggedValue)}`;
}

/** The manifest with its signature, under the keyring's signing key. */
export function signManifest(m: UnsignedManifest, key: AuditKey): Manifest {
  return { ...m, signature: { keyId: key.id, hmac: hmacHex(key, signedText(m)) } };
}

export type ManifestSignatureCheck = "valid" | "unsigned" | "unknown_key" | "invalid";

/**
 * Whether the manifest was signed by a key of this keyring and is unchanged since. Any
 * edit — a file hash, the content hash, a count — makes it "invalid"; whoever edits a
 * backup cannot re-sign it without the key.
 */
export function checkManifestSignature(raw: unknown, keyring: AuditKeyring): ManifestSignatureCheck {
  const m = raw as Partial<Manifest> | null;
  const sig = m && typeof m === "object" ? m.signature : undefined;
  if (!sig || typeof sig !== "object" || typeof sig.keyId !== "string" || typeof sig.hmac !== "string")
    return "unsigned";
  const key = keyring.keys.get(sig.keyId);
  if (!key) return "unknown_key";
  let text: string;
  try {
    text = signedText(m as Manifest);
  } catch {
    return "invalid";
  }
  return sameDigest(hmacHex(key, text), sig.hmac) ? "valid" : "invalid";
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Checks the shape of a parsed manifest (not its signature: checkManifestSignature); throws with the first problem. */
export function parseManifest(raw: unknown): Manifest {
  const m = raw as Partial<Manifest> | null;
  const fail = (why: string): never => {
    throw new Error(`invalid manifest: ${why}`);
  };
  if (!m || typeof m !== "object") return fail("not an object");
  if (m.format !== MANIFEST_FORMAT) fail(`format is not ${MANIFEST_FORMAT}`);
  if (m.version !== MANIFEST_VERSION) fail(`unsupported version ${String(m.version)}`);
  if (
    !m.signature ||
    typeof m.signature.keyId !== "string" ||
    typeof m.signature.hmac !== "string" ||
    !HEX64.test(m.signature.hmac)
  )
    fail("signature");
  if (typeof m.contentHash !== "string" || !HEX64.test(m.contentHash)) fail("contentHash");
  if (!Array.isArray(m.collections)) return fail("collections");
  const files = new Set<string>();
  for (const c of m.collections) {
    if (
      !c ||
      typeof c.collection !== "string" ||
      typeof c.file !== "string" ||
      !Number.isInteger(c.documents) ||
      c.documents < 0
    )
      fail("collection entry");
    if (c.file !== fileNameFor(c.collection)) fail(`file name ${c.file}`);
    if (typeof c.sha256 !== "string" || !HEX64.test(c.sha256)) fail(`sha256 of ${c.file}`);
    if (files.has(c.file)) fail(`duplicate ${c.file}`);
    files.add(c.file);
  }
  if (m.totalDocuments !== m.collections.reduce((n, c) => n + c.documents, 0)) fail("totalDocuments");
  return m as Manifest;
}
