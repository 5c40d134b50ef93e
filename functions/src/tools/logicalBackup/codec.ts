/** Backup files' encoding: Firestore values as tagged JSON (domain/backup.ts), errors, progress, the database handle. */
import {
  DocumentReference,
  FieldValue,
  Firestore,
  GeoPoint,
  Timestamp,
  type DocumentData,
} from "firebase-admin/firestore";
import { type TaggedMap, type TaggedValue } from "../../domain/backup.js";

/** The scripts parse the keyring text (CREDIT_DESK_AUDIT_KEYS) with this. */
export { parseAuditKeyring } from "../../domain/audit.js";

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

export function assertBigInt(db: Firestore): void {
  const settings = (db as unknown as { _settings?: { useBigInt?: boolean } })._settings;
  if (settings && settings.useBigInt !== true) {
    throw new BackupToolError(
      "WRONG_SETTINGS",
      "open the database with openBackupDatabase() (useBigInt: true), or integers and doubles cannot be told apart",
    );
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
      return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(v)
        : { $int: v.toString() };
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
  if (proto !== Object.prototype && proto !== null)
    throw new BackupToolError("BAD_VALUE", `cannot encode an object of type ${v.constructor?.name}`);
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
      return Array.isArray(v) && v.length === 2 && typeof v[0] === "number" && typeof v[1] === "number"
        ? new Timestamp(v[0], v[1])
        : bad();
    case "$geo":
      return Array.isArray(v) && v.length === 2 && typeof v[0] === "number" && typeof v[1] === "number"
        ? new GeoPoint(v[0], v[1])
        : bad();
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
