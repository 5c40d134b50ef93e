/**
 * Tamper-evident audit entries: each entry carries the hash of the previous entry in
 * its chain, and its own hash over its canonical content. Pure: the hash function is
 * node:crypto SHA-256 (deterministic), time is passed in as epoch milliseconds.
 */
import { createHash } from "node:crypto";

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
}

export interface AuditEntry extends AuditContent {
  chainId: string;
  seq: number;
  at: number;
  prevHash: string;
  hash: string;
}

export interface ChainHead {
  seq: number;
  hash: string;
}

export const EMPTY_HEAD: ChainHead = { seq: 0, hash: GENESIS_HASH };

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

export function hashEntry(e: Omit<AuditEntry, "hash">): string {
  return createHash("sha256")
    .update(
      canonicalJson({
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
      }),
    )
    .digest("hex");
}

export function nextEntry(chainId: string, head: ChainHead, content: AuditContent, at: number): AuditEntry {
  const base = { ...content, chainId, seq: head.seq + 1, at, prevHash: head.hash };
  return { ...base, hash: hashEntry(base) };
}

export interface ChainVerdict {
  ok: boolean;
  checked: number;
  /** The first entry that was altered, removed (the gap after it), inserted or reordered. */
  firstBrokenEntry?: { seq: number; problem: "altered" | "missing" | "out_of_order" | "head_mismatch" | "unexpected" };
}

/**
 * Walks entries in seq order (as stored), checks each hash and link, and the head.
 * `entries` are the stored documents, `head` the stored chain head.
 */
export class ChainVerifier {
  private prev: ChainHead = EMPTY_HEAD;
  private checked = 0;
  private broken: ChainVerdict["firstBrokenEntry"];

  constructor(private readonly chainId: string) {}

  push(stored: AuditEntry): void {
    if (this.broken) return;
    this.checked++;
    const expectedSeq = this.prev.seq + 1;
    if (stored.seq !== expectedSeq) {
      this.broken = stored.seq > expectedSeq ? { seq: expectedSeq, problem: "missing" } : { seq: stored.seq, problem: "out_of_order" };
      return;
    }
    const { hash, ...rest } = stored;
    if (stored.chainId !== this.chainId || hashEntry(rest) !== hash) {
      this.broken = { seq: stored.seq, problem: "altered" };
      return;
    }
    if (stored.prevHash !== this.prev.hash) {
      this.broken = { seq: stored.seq, problem: "out_of_order" };
      return;
    }
    this.prev = { seq: stored.seq, hash };
  }

  finish(head: ChainHead | null): ChainVerdict {
    if (!this.broken && head) {
      if (head.seq > this.prev.seq) this.broken = { seq: this.prev.seq + 1, problem: "missing" };
      else if (head.seq < this.prev.seq) this.broken = { seq: head.seq + 1, problem: "unexpected" };
      else if (head.hash !== this.prev.hash) this.broken = { seq: head.seq, problem: "head_mismatch" };
    }
    return this.broken ? { ok: false, checked: this.checked, firstBrokenEntry: this.broken } : { ok: true, checked: this.checked };
  }
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
