/**
 * Where the ledger lives: transaction records at customers/{c}/transactions/{externalId}
 * (the document id IS the external id, so a re-sent record is the same document) and their
 * applied entries at customers/{c}/ledger/{externalId} (what is in the aggregates, stored
 * verbatim, plus the update time of the source version it reflects).
 */
import {
  Timestamp,
  type DocumentData,
  type DocumentReference,
  type DocumentSnapshot,
  type Transaction,
} from "firebase-admin/firestore";
import type { AppliedEntry } from "../domain/ledger.js";
import { firestore } from "./firebase.js";
import { paths } from "./paths.js";

/**
 * A record written straight to Firestore waits for its customer's group commit with
 * `pendingAt` (top-level, so the pending records of a customer are one range query, oldest
 * first; the drain removes it).
 */
export const PENDING_AT = "pendingAt";

/** A customer's records waiting for the group commit, oldest first. */
export function pendingRecords(customerId: string) {
  return firestore()
    .collection(paths.transactions(customerId))
    .where(PENDING_AT, ">", Timestamp.fromMillis(0))
    .orderBy(PENDING_AT);
}

export const ledgerRefs = {
  /** Which customer an invoice external id belongs to (catches payments for another customer's invoice). */
  invoiceOwner: (invoiceExternalId: string): DocumentReference =>
    firestore().doc(paths.invoiceOwner(invoiceExternalId)),
  transaction: (customerId: string, externalId: string): DocumentReference =>
    firestore().doc(paths.transaction(customerId, externalId)),
  entry: (customerId: string, externalId: string): DocumentReference =>
    firestore().doc(paths.ledgerEntry(customerId, externalId)),
};

export interface StoredEntry {
  entry: AppliedEntry | null;
  /** Update time (ms) of the transaction document version this entry reflects; guards against stale events. */
  sourceUpdateTime: number | null;
}

export function entryFromSnapshot(snap: DocumentSnapshot): StoredEntry {
  if (!snap.exists) return { entry: null, sourceUpdateTime: null };
  const { sourceUpdateTime, ...rest } = snap.data() as DocumentData;
  const entry = rest as AppliedEntry;
  const hasDisputes = entry.disputes !== undefined && entry.disputes !== null && Object.keys(entry.disputes).length > 0;
  const isTombstone =
    entry.applied === null && (!Array.isArray(entry.referencedBy) || entry.referencedBy.length === 0) && !hasDisputes;
  return {
    entry: isTombstone ? null : entry,
    sourceUpdateTime: typeof sourceUpdateTime === "number" ? sourceUpdateTime : null,
  };
}

/** Read applied entries by external id, all in one round trip, in the transaction. */
export async function readEntries(
  tx: Transaction,
  customerId: string,
  ids: Iterable<string>,
): Promise<Map<string, StoredEntry>> {
  return (await readWithEntries(tx, null, customerId, ids)).entries;
}

/**
 * One round trip for a document (the customer) and the applied entries of the given ids:
 * recording a transaction then costs a single read call before the commit.
 */
export async function readWithEntries(
  tx: Transaction,
  head: DocumentReference | null,
  customerId: string,
  ids: Iterable<string>,
  extra: DocumentReference[] = [],
): Promise<{ head: DocumentSnapshot | null; entries: Map<string, StoredEntry>; extra: DocumentSnapshot[] }> {
  const unique = [...new Set(ids)];
  const refs = unique.map((id) => ledgerRefs.entry(customerId, id));
  const out = new Map<string, StoredEntry>();
  const all = [...(head ? [head] : []), ...refs, ...extra];
  if (all.length === 0) return { head: null, entries: out, extra: [] };
  const snaps = await tx.getAll(...all);
  const offset = head ? 1 : 0;
  unique.forEach((id, i) => out.set(id, entryFromSnapshot(snaps[i + offset]!)));
  return { head: head ? snaps[0]! : null, entries: out, extra: snaps.slice(offset + refs.length) };
}

/**
 * Write an entry. A removed entry is kept as a tombstone carrying the source update time
 * when one is known, so a late, stale event cannot bring a deleted record back.
 */
export function writeEntry(
  tx: Transaction,
  customerId: string,
  id: string,
  entry: AppliedEntry | null,
  sourceUpdateTime: number | null,
): void {
  const ref = ledgerRefs.entry(customerId, id);
  if (entry === null) {
    if (sourceUpdateTime === null) tx.delete(ref);
    else tx.set(ref, { v: 1, id, applied: null, referencedBy: [], sourceUpdateTime });
    return;
  }
  tx.set(ref, sourceUpdateTime === null ? { ...entry } : { ...entry, sourceUpdateTime });
}

export function toTimestamp(ms: number | undefined): Timestamp | null {
  return ms === undefined ? null : Timestamp.fromMillis(ms);
}
