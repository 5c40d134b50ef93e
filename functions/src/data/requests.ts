/**
 * Idempotency records of mutating callables (`requestId`). A key is bound to its payload: the
 * record keeps a hash of the canonical input (without the key itself), so
 *   - a retry with the same key and the same input returns the first call's result and writes
 *     nothing more;
 *   - the same key with other input is refused (`already-exists`, naming `requestId`) — it never
 *     answers with another call's result.
 * The record is read and written inside the same transaction as the effect, so concurrent
 * calls with one key make one effect (the others' transactions are retried and see the record).
 */
import { createHash } from "node:crypto";
import { Timestamp, type DocumentData, type DocumentReference, type Transaction } from "firebase-admin/firestore";
import { canonicalJson } from "../domain/audit.js";
import { CreditDeskError } from "../domain/errors.js";
import { firestore } from "./firebase.js";
import { paths } from "./paths.js";
import { DAY_MS } from "../domain/time.js";

/** How long a request record is kept (TTL on `expireAt`): far longer than any client retries. */
export const REQUEST_RECORD_TTL_MS = 30 * DAY_MS;

export interface IdempotencyKey {
  ref: DocumentReference;
  callable: string;
  uid: string;
  payloadHash: string;
}

/** The hash of a callable's input without its `requestId` (canonical JSON: key order does not matter). */
export function payloadHash(input: object): string {
  const { requestId: _key, ...payload } = input as Record<string, unknown>;
  return createHash("sha256").update(canonicalJson(payload)).digest("hex");
}

/** The idempotency key of a call, or null when the call carries no `requestId`. */
export function idempotencyKey(
  callable: string,
  uid: string,
  input: { requestId?: string | undefined },
): IdempotencyKey | null {
  if (!input.requestId) return null;
  const id = createHash("sha256").update(`${callable}\u0000${uid}\u0000${input.requestId}`).digest("hex").slice(0, 40);
  return { ref: firestore().doc(paths.request(id)), callable, uid, payloadHash: payloadHash(input) };
}

export function reusedKeyError(callable: string): CreditDeskError {
  return new CreditDeskError(
    "already-exists",
    `requestId: already used for a different ${callable} call; use a new requestId for a new request`,
    {
      field: "requestId",
    },
  );
}

/**
 * The first call's result when this key was seen before with the same payload; undefined when
 * it is new (or there is no key). Throws `already-exists` when the key was used with other data.
 */
export async function priorResult<T>(tx: Transaction, key: IdempotencyKey | null): Promise<T | undefined> {
  if (!key) return undefined;
  const snap = await tx.get(key.ref);
  if (!snap.exists) return undefined;
  return resultOf<T>(snap.data() as DocumentData, key);
}

/** priorResult outside a transaction (a pre-check before long read-only work). */
export async function priorResultNow<T>(key: IdempotencyKey | null): Promise<T | undefined> {
  if (!key) return undefined;
  const snap = await key.ref.get();
  return snap.exists ? resultOf<T>(snap.data() as DocumentData, key) : undefined;
}

function checkPayload(stored: DocumentData, key: IdempotencyKey): void {
  if (stored.payloadHash !== key.payloadHash || stored.callable !== key.callable) throw reusedKeyError(key.callable);
}

/** Check a stored record against the key and return its result (a pending record has none yet). */
function resultOf<T>(stored: DocumentData, key: IdempotencyKey): T | undefined {
  checkPayload(stored, key);
  return stored.status === "pending" ? undefined : (stored.result as T);
}

/**
 * For calls whose effect lies outside Firestore (an Auth claim, a scheduler run): the state of
 * the key. `pending` = the intent is on record (audited) but the effect was not confirmed, so a
 * retry must apply it again (the effect is idempotent) and then confirm with `recordResult`.
 */
export type RequestState<T, I> = { state: "new" } | { state: "pending"; intent: I } | { state: "done"; result: T };

export async function requestState<T, I>(tx: Transaction, key: IdempotencyKey): Promise<RequestState<T, I>> {
  const snap = await tx.get(key.ref);
  if (!snap.exists) return { state: "new" };
  const stored = snap.data() as DocumentData;
  checkPayload(stored, key);
  return stored.status === "pending"
    ? { state: "pending", intent: stored.intent as I }
    : { state: "done", result: stored.result as T };
}

export function recordPending(tx: Transaction, key: IdempotencyKey, intent: unknown, now: number): void {
  tx.set(key.ref, {
    callable: key.callable,
    uid: key.uid,
    payloadHash: key.payloadHash,
    status: "pending",
    intent,
    at: Timestamp.fromMillis(now),
    expireAt: Timestamp.fromMillis(now + REQUEST_RECORD_TTL_MS),
  });
}

export function recordResult(tx: Transaction, key: IdempotencyKey | null, result: unknown, now: number): void {
  if (!key) return;
  tx.set(key.ref, {
    callable: key.callable,
    uid: key.uid,
    payloadHash: key.payloadHash,
    status: "done",
    result,
    at: Timestamp.fromMillis(now),
    expireAt: Timestamp.fromMillis(now + REQUEST_RECORD_TTL_MS),
  });
}
