/**
 * Tamper-evident audit entries: each entry carries the hash of the previous entry in its
 * chain, and its own MAC over its canonical content: HMAC-SHA-256 under a key of the
 * audit keyring, whose id the entry names (`keyId`), so keys can rotate while old entries
 * stay verifiable. Without the key nobody can recompute a hash, so an altered, inserted or
 * re-hashed entry is found; truncation is found against the chain's latest seal (see
 * ChainVerifier's `sealed`). Entries written before keys existed (no `keyId`, plain
 * SHA-256) are accepted only as a chain's prefix, followed by a keyed entry that commits to
 * them through its prevHash (the migration point).
 *
 * Pure: node:crypto only, the keyring and the time are passed in.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";

export const GENESIS_HASH = "0".repeat(64);

export interface AuditActor {
  uid: string;
  role: string | null;
}

export interface AuditContent {
  action: string;
  actor: AuditActor;
  /** What the change is about, e.g. "customers/c1" or "applications/a1". */
  target: string;
  /** Only the changed fields, before and after. */
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  reason: string | null;
  requestId: string | null;
  /**
   * Seal entries only: the chains whose heads this entry records, stored as a top-level
   * field so "the latest seal of chain X" is one query. Covered by the MAC like the rest.
   */
  sealedChains?: string[];
}

export interface AuditEntry extends AuditContent {
  chainId: string;
  seq: number;
  at: number;
  prevHash: string;
  hash: string;
  /** The keyring key the MAC was made with; absent on legacy (unkeyed SHA-256) entries. */
  keyId?: string;
}

export interface ChainHead {
  seq: number;
  hash: string;
}

export const EMPTY_HEAD: ChainHead = { seq: 0, hash: GENESIS_HASH };

// ---------------------------------------------------------------------------------------
// Keys

export interface AuditKey {
  id: string;
  secret: Uint8Array;
}

/** The signing key (first) and every key that may still verify, by id. */
export interface AuditKeyring {
  signing: AuditKey;
  keys: ReadonlyMap<string, AuditKey>;
}

export const AUDIT_KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
export const MIN_KEY_BYTES = 32;

export class AuditKeyringError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AuditKeyringError";
  }
}

/**
 * Parses the keyring secret: `id:base64` pairs separated by commas or white space, the
 * signing key first, older keys (verification only) after it. Each key decodes to at
 * least 32 bytes; ids are unique. Messages never quote a secret.
 */
export function parseAuditKeyring(text: string | null | undefined): AuditKeyring {
  const parts = (text ?? "").split(/[\s,]+/).filter(Boolean);
  if (parts.length === 0) throw new AuditKeyringError("the audit keyring is empty");
  const keys = new Map<string, AuditKey>();
  let signing: AuditKey | null = null;
  parts.forEach((part, i) => {
    const colon = part.indexOf(":");
    const id = colon > 0 ? part.slice(0, colon) : "";
    const encoded = colon > 0 ? part.slice(colon + 1) : "";
    if (!AUDIT_KEY_ID.test(id))
      throw new AuditKeyringError(`key ${i + 1}: expected id:base64 with an id of letters, digits, _ or -`);
    if (!/^[A-Za-z0-9+/_-]+=*$/.test(encoded)) throw new AuditKeyringError(`key ${id}: the secret is not base64`);
    const secret = Buffer.from(encoded, "base64");
    if (secret.length < MIN_KEY_BYTES)
      throw new AuditKeyringError(
        `key ${id}: the secret has ${secret.length} bytes, at least ${MIN_KEY_BYTES} are needed`,
      );
    if (keys.has(id)) throw new AuditKeyringError(`key ${id} appears twice`);
    const key = { id, secret: new Uint8Array(secret) };
    keys.set(id, key);
    signing ??= key;
  });
  return { signing: signing!, keys };
}

export function hmacHex(key: AuditKey, text: string): string {
  return createHmac("sha256", key.secret).update(text).digest("hex");
}

/**
 * The mark a service puts on every document of the credit file it writes (the customer's head
 * and credit state, applications, limit requests): a fresh nonce and its MAC, bound to the
 * document's path. A change without a fresh, valid mark was not made by a service — an edit in
 * the console — and is put on the record (services/consoleEdits.ts).
 */
export interface ServiceWriteMark {
  nonce: string;
  keyId: string;
  mac: string;
}

export function serviceWriteMark(key: AuditKey, path: string, nonce: string): ServiceWriteMark {
  return { nonce, keyId: key.id, mac: hmacHex(key, `credit-desk/service-write\n${path}\n${nonce}`) };
}

/** Whether `after` carries a valid mark that is not `before`'s: a service wrote this version. */
export function isServiceWrite(path: string, before: unknown, after: unknown, keyring: AuditKeyring): boolean {
  const a = after as Partial<ServiceWriteMark> | null | undefined;
  if (!a || typeof a.nonce !== "string" || typeof a.keyId !== "string" || typeof a.mac !== "string") return false;
  if ((before as Partial<ServiceWriteMark> | null | undefined)?.nonce === a.nonce) return false;
  const key = keyring.keys.get(a.keyId);
  return key !== undefined && sameDigest(serviceWriteMark(key, path, a.nonce).mac, a.mac);
}

/** Constant-time comparison of two hex digests. */
export function sameDigest(a: string, b: string): boolean {
  if (typeof a !== "string" || typeof b !== "string" || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

// ---------------------------------------------------------------------------------------
// Canonical form and the entry's hash

/** JSON with sorted keys; Dates and Timestamp-likes become {"$t": millis}; undefined is dropped. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(normalise(value));
}

function normalise(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return { $t: value.getTime() };
  if (typeof value === "object") {
    const maybeTs = value as { toMillis?: () => number };
    if (typeof maybeTs.toMillis === "function") return { $t: maybeTs.toMillis() };
    if (Array.isArray(value)) return value.map(normalise);
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = normalise(v);
    }
    return out;
  }
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  return value;
}

type Unhashed = Omit<AuditEntry, "hash">;

function hashedFields(e: Unhashed): Record<string, unknown> {
  return {
    chainId: e.chainId,
    seq: e.seq,
    at: e.at,
    prevHash: e.prevHash,
    action: e.action,
    actor: e.actor,
    target: e.target,
    before: e.before,
    after: e.after,
    reason: e.reason,
    requestId: e.requestId,
  };
}

/** The unkeyed SHA-256 of entries written before the keyring existed (kept to verify them). */
export function legacyHash(e: Unhashed): string {
  return createHash("sha256")
    .update(canonicalJson(hashedFields(e)))
    .digest("hex");
}

/** HMAC-SHA-256 of a keyed entry, under `key` (whose id must be the entry's keyId). */
export function entryMac(e: Unhashed, key: AuditKey): string {
  if (e.keyId !== key.id) throw new AuditKeyringError(`entry names key ${String(e.keyId)}, not ${key.id}`);
  const content: Record<string, unknown> = { ...hashedFields(e), keyId: e.keyId };
  if (e.sealedChains !== undefined) content.sealedChains = e.sealedChains;
  return hmacHex(key, `credit-desk/audit-entry\n${canonicalJson(content)}`);
}

/** What an entry's hash should be, or null when its key is not in the keyring. */
export function expectedHash(e: Unhashed, keyring: AuditKeyring | null): string | null {
  if (e.keyId === undefined) return legacyHash(e);
  const key = keyring?.keys.get(e.keyId);
  return key ? entryMac(e, key) : null;
}

export function nextEntry(
  chainId: string,
  head: ChainHead,
  content: AuditContent,
  at: number,
  key: AuditKey,
): AuditEntry {
  const base: Unhashed = { ...content, chainId, seq: head.seq + 1, at, prevHash: head.hash, keyId: key.id };
  if (content.sealedChains === undefined) delete base.sealedChains;
  return { ...base, hash: entryMac(base, key) };
}

// ---------------------------------------------------------------------------------------
// Verification

export type ChainProblem =
  /** The entry's content does not match its MAC (or a legacy entry follows keyed ones). */
  | "altered"
  /** An entry is absent: the one after it is further on, or the head is further on. */
  | "missing"
  /** The entry does not link to the previous one, or is stored out of place. */
  | "out_of_order"
  /** The stored head names the last entry's seq with another hash. */
  | "head_mismatch"
  /** Entries beyond the stored head. */
  | "unexpected"
  /** The chain ends before the head its latest seal recorded: entries were cut off. */
  | "truncated"
  /** The entry at the sealed seq is not the one the seal recorded. */
  | "seal_mismatch"
  /** The subject document (customer, application) is gone while its chain or seal remains. */
  | "subject_deleted"
  /** Unkeyed entries with no keyed entry after them: never sealed by the migration. */
  | "legacy_unsealed"
  /** The entry names a key the keyring does not hold. */
  | "unknown_key"
  /** The latest seal entry naming this chain fails its own MAC (seq: its seq in the system chain). */
  | "seal_invalid";

export interface BrokenEntry {
  seq: number;
  problem: ChainProblem;
}

export interface ChainVerdict {
  ok: boolean;
  checked: number;
  /** The first entry that was altered, removed (the gap after it), inserted or reordered. */
  firstBrokenEntry?: BrokenEntry;
}

export interface ChainVerifierOptions {
  /** The chain's head as its latest seal recorded it: the chain must reach it, through it. */
  sealed?: ChainHead | null;
  /**
   * Verify only from this (sealed) head on: the first entry pushed must be exactly it.
   * The sweep's incremental check; entries before it are not read.
   */
  resumeFrom?: ChainHead | null;
}

/**
 * Walks entries in seq order (as stored), checks each MAC and link, then (finish) the
 * stored head, the subject, and the latest seal.
 */
export class ChainVerifier {
  private prev: ChainHead = EMPTY_HEAD;
  private checked = 0;
  private broken: BrokenEntry | undefined;
  /** Whether the last entry pushed was a legacy (unkeyed) one. */
  private legacyTail = false;
  private seenKeyed = false;
  private readonly sealed: ChainHead | null;
  private readonly resumeFrom: ChainHead | null;

  constructor(
    private readonly chainId: string,
    private readonly keyring: AuditKeyring | null,
    opts: ChainVerifierOptions = {},
  ) {
    this.sealed = opts.sealed && opts.sealed.seq > 0 ? opts.sealed : null;
    this.resumeFrom = opts.resumeFrom && opts.resumeFrom.seq > 0 ? opts.resumeFrom : null;
  }

  /** The first break found so far, if any. */
  get firstBroken(): BrokenEntry | undefined {
    return this.broken;
  }

  /** The last entry verified intact. */
  get last(): ChainHead {
    return this.prev;
  }

  push(stored: AuditEntry): void {
    if (this.broken) return;
    this.checked++;
    const { hash, ...rest } = stored;
    const resuming = this.resumeFrom !== null && this.checked === 1;
    if (resuming) {
      const from = this.resumeFrom!;
      if (stored.seq !== from.seq) {
        this.broken = { seq: from.seq, problem: stored.seq > from.seq ? "missing" : "out_of_order" };
        return;
      }
    } else {
      const expectedSeq = this.prev.seq + 1;
      if (stored.seq !== expectedSeq) {
        this.broken =
          stored.seq > expectedSeq
            ? { seq: expectedSeq, problem: "missing" }
            : { seq: stored.seq, problem: "out_of_order" };
        return;
      }
    }
    const legacy = stored.keyId === undefined;
    if (legacy && this.seenKeyed) {
      // Unkeyed entries are accepted only before the first keyed one (the migration point).
      this.broken = { seq: stored.seq, problem: "altered" };
      return;
    }
    const expected = stored.chainId === this.chainId ? expectedHash(rest, this.keyring) : "";
    if (expected === null) {
      this.broken = { seq: stored.seq, problem: "unknown_key" };
      return;
    }
    if (!sameDigest(expected, hash)) {
      this.broken = { seq: stored.seq, problem: "altered" };
      return;
    }
    if (resuming) {
      if (!sameDigest(hash, this.resumeFrom!.hash)) {
        this.broken = { seq: stored.seq, problem: "seal_mismatch" };
        return;
      }
    } else if (stored.prevHash !== this.prev.hash) {
      this.broken = { seq: stored.seq, problem: "out_of_order" };
      return;
    }
    if (this.sealed && stored.seq === this.sealed.seq && !sameDigest(hash, this.sealed.hash)) {
      this.broken = { seq: stored.seq, problem: "seal_mismatch" };
      return;
    }
    if (!legacy) this.seenKeyed = true;
    this.legacyTail = legacy;
    this.prev = { seq: stored.seq, hash };
  }

  /**
   * The verdict. `head`: the head stored on the subject (null: not checked, e.g. the
   * subject is gone). `subjectMissing`: the subject document does not exist.
   */
  finish(head: ChainHead | null, opts: { subjectMissing?: boolean } = {}): ChainVerdict {
    const verdict = (b: BrokenEntry | undefined): ChainVerdict =>
      b ? { ok: false, checked: this.checked, firstBrokenEntry: b } : { ok: true, checked: this.checked };
    if (this.broken) return verdict(this.broken);
    if (this.resumeFrom && this.checked === 0) return verdict({ seq: this.resumeFrom.seq, problem: "truncated" });
    if (this.legacyTail && !this.resumeFrom) return verdict({ seq: 1, problem: "legacy_unsealed" });
    if (opts.subjectMissing) {
      const seq = Math.max(this.prev.seq, this.sealed?.seq ?? 0);
      return verdict(seq > 0 ? { seq, problem: "subject_deleted" } : undefined);
    }
    if (this.sealed && this.prev.seq < this.sealed.seq)
      return verdict({ seq: this.prev.seq + 1, problem: "truncated" });
    if (head) {
      if (head.seq > this.prev.seq) return verdict({ seq: this.prev.seq + 1, problem: "missing" });
      if (head.seq < this.prev.seq) return verdict({ seq: head.seq + 1, problem: "unexpected" });
      if (!sameDigest(head.hash, this.prev.hash)) return verdict({ seq: head.seq, problem: "head_mismatch" });
    }
    return verdict(undefined);
  }
}

// ---------------------------------------------------------------------------------------
// Seals: the daily record, in the system chain, of the heads of the chains that changed

export const SEAL_ACTION = "audit.seal";
export const SEAL_COMPLETE_ACTION = "audit.seal_complete";
export const MIGRATE_ACTION = "audit.migrate";
export const MIGRATE_COMPLETE_ACTION = "audit.migrate_complete";

/** Chains per seal entry: about 120 bytes each, so an entry stays far below 1 MiB. */
export const SEAL_PAGE_SIZE = 200;

export interface SealedHead extends ChainHead {
  chainId: string;
}

export interface SealPage {
  sealId: string;
  /** The run covers chains whose head moved in (since, upTo]; since null: from the beginning. */
  since: number | null;
  upTo: number;
  page: number;
  heads: SealedHead[];
  /** Chains the sweep found broken: not sealed (their last good seal stays the latest). */
  broken: Array<{ chainId: string; seq: number; problem: ChainProblem }>;
}

export function sealIdFor(upTo: number): string {
  return `seal-${new Date(upTo).toISOString().replace(/[-:.]/g, "")}`;
}

/** The content of one seal entry (the caller appends it to the system chain). */
export function sealContent(page: SealPage, actor: AuditActor, target: string): AuditContent {
  return {
    action: SEAL_ACTION,
    actor,
    target,
    before: null,
    after: {
      sealId: page.sealId,
      since: page.since,
      upTo: page.upTo,
      page: page.page,
      heads: page.heads.map((h) => ({ chainId: h.chainId, seq: h.seq, hash: h.hash })),
      broken: page.broken.map((b) => ({ ...b })),
    },
    reason: null,
    requestId: null,
    sealedChains: page.heads.map((h) => h.chainId),
  };
}

export function sealCompleteContent(
  summary: { sealId: string; since: number | null; upTo: number; pages: number; sealed: number; broken: number },
  actor: AuditActor,
  target: string,
): AuditContent {
  return {
    action: SEAL_COMPLETE_ACTION,
    actor,
    target,
    before: null,
    after: { ...summary },
    reason: null,
    requestId: null,
  };
}

/** An authentic, keyed entry of the system chain (seals are only ever keyed). */
export function isAuthenticSystemEntry(e: AuditEntry, systemChainId: string, keyring: AuditKeyring): boolean {
  if (e.chainId !== systemChainId || e.keyId === undefined) return false;
  const expected = expectedHash(e, keyring);
  return expected !== null && sameDigest(expected, e.hash);
}

/** The head a seal entry recorded for `chainId`, or null when it records none. */
export function sealedHeadIn(e: AuditEntry, chainId: string): ChainHead | null {
  if (e.action !== SEAL_ACTION || !e.sealedChains?.includes(chainId)) return null;
  const heads = (e.after as { heads?: unknown } | null)?.heads;
  if (!Array.isArray(heads)) return null;
  const h = heads.find((x): x is SealedHead => !!x && typeof x === "object" && (x as SealedHead).chainId === chainId);
  return h && Number.isInteger(h.seq) && h.seq > 0 && typeof h.hash === "string" ? { seq: h.seq, hash: h.hash } : null;
}

/** The `upTo` a complete-seal entry recorded, or null. */
export function sealUpTo(e: AuditEntry): number | null {
  if (e.action !== SEAL_COMPLETE_ACTION) return null;
  const upTo = (e.after as { upTo?: unknown } | null)?.upTo;
  return typeof upTo === "number" && Number.isFinite(upTo) ? upTo : null;
}

/** Only the fields whose values differ, as before/after maps. */
export function changedFields(
  before: Record<string, unknown> | null | undefined,
  after: Record<string, unknown> | null | undefined,
): { before: Record<string, unknown> | null; after: Record<string, unknown> | null } {
  if (!before) return { before: null, after: after ?? null };
  if (!after) return { before, after: null };
  const b: Record<string, unknown> = {};
  const a: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (canonicalJson(before[key]) !== canonicalJson(after[key])) {
      b[key] = before[key] ?? null;
      a[key] = after[key] ?? null;
    }
  }
  return { before: b, after: a };
}
