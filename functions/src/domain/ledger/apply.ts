/**
 * Incremental application: each call reads at most the customer state, the record's own
 * applied entry and one other applied entry (the referenced invoice's), and writes them back.
 */
import { addEntry, assertState, cloneEntry, cloneState, emptyEntry, isEmptyEntry } from "./contrib.js";
import {
  type AppliedEntry,
  type LedgerRecord,
  type LedgerState,
  type ReferencingSettlement,
  LedgerError,
  isSettlementType,
  settlingReference,
} from "./model.js";
import { sameVersion, toAppliedVersion } from "./validate.js";

/** One document write: `entry: null` means delete customers/{c}/ledger/{id}. */
export interface EntryWrite {
  id: string;
  entry: AppliedEntry | null;
}

export interface ApplyResult {
  state: LedgerState;
  /** The record's own applied entry after the call (write it to ledger/{record.externalId}). */
  entry: AppliedEntry;
  /** The referenced invoice's entry if it changed (write it to ledger/{referencedEntryId(record)}), else null. */
  referencedEntry: AppliedEntry | null;
  /** Only when a correction moved a settlement away from invoice X: X's new entry (null: delete it or unchanged, see writes). */
  previousReferencedEntry: AppliedEntry | null;
  /** Every document write this call needs, deletes included. Empty when nothing changed. */
  writes: EntryWrite[];
  /** False when the same version was already applied (a duplicate): nothing to write. */
  changed: boolean;
}

export interface UnapplyResult {
  state: LedgerState;
  /** The record's own entry afterwards: null = delete the document; a placeholder if settlements still reference its id. */
  entry: AppliedEntry | null;
  /** The referenced invoice's entry if it changed, else null (an empty placeholder comes back as a delete in `writes`). */
  referencedEntry: AppliedEntry | null;
  writes: EntryWrite[];
  changed: boolean;
}

/**
 * Read (3): the applied entry of the invoice this record names, if any. For payments and credit
 * notes this is their invoiceExternalId (also when dishonoured: a dishonoured correction must
 * withdraw the earlier settlement from that invoice).
 */
export function referencedEntryId(record: LedgerRecord): string | null {
  if (!isSettlementType(record.type)) return null;
  return record.invoiceExternalId ?? null;
}

/**
 * The one case that needs a 4th read: a correction that moves a settlement from invoice X to
 * another invoice (or drops the reference, or changes the record's type). Returns X, whose entry
 * must be passed as `previousReferenced`; null in every other case.
 */
export function previousReferencedEntryId(record: LedgerRecord, previous: AppliedEntry | null): string | null {
  const old = settlingReference(previous?.applied);
  return old !== null && old !== referencedEntryId(record) ? old : null;
}

/** For unapplyRecord: the entry to read besides the record's own (the invoice it settles), if any. */
export function unapplyReferencedEntryId(previous: AppliedEntry | null): string | null {
  return settlingReference(previous?.applied);
}

function entriesEqual(a: AppliedEntry | null, b: AppliedEntry | null): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function checkEntry(entry: AppliedEntry | null, id: string, role: string): void {
  if (entry !== null && (entry.v !== 1 || entry.id !== id || !Array.isArray(entry.referencedBy))) {
    throw new LedgerError("entry_mismatch", role, `${role} is not the applied entry of ${id}`);
  }
}

/** Applies old -> new for a handful of entries to a copy of the state and lists the writes. */
function commit(
  state: LedgerState,
  touched: Map<string, { before: AppliedEntry | null; after: AppliedEntry }>,
): { state: LedgerState; writes: EntryWrite[] } {
  const next = cloneState(state);
  for (const { before } of touched.values()) if (before) addEntry(next, before, -1);
  for (const { after } of touched.values()) addEntry(next, after, 1);
  const writes: EntryWrite[] = [];
  for (const [id, { before, after }] of touched) {
    if (isEmptyEntry(after)) {
      if (before !== null) writes.push({ id, entry: null });
    } else if (!entriesEqual(before, after)) {
      writes.push({ id, entry: after });
    }
  }
  return { state: next, writes };
}

function withoutSettlement(list: ReferencingSettlement[], id: string): ReferencingSettlement[] {
  return list.filter((r) => r.id !== id);
}

function withSettlement(list: ReferencingSettlement[], s: ReferencingSettlement): ReferencingSettlement[] {
  const out = withoutSettlement(list, s.id);
  out.push(s);
  out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return out;
}

function writtenEntry(writes: EntryWrite[], id: string | null): AppliedEntry | null {
  if (id === null) return null;
  return writes.find((w) => w.id === id)?.entry ?? null;
}

/**
 * Apply one version of a record. `previous`: the record's own applied entry (null if none);
 * `referenced`: the entry of referencedEntryId(record) (null if none or not stored yet);
 * `previousReferenced`: needed only when previousReferencedEntryId(record, previous) is not null.
 */
export function applyRecord(
  state: LedgerState,
  record: LedgerRecord,
  previous: AppliedEntry | null,
  referenced: AppliedEntry | null,
  previousReferenced: AppliedEntry | null = null,
): ApplyResult {
  assertState(state);
  const version = toAppliedVersion(record);
  const id = record.externalId;
  checkEntry(previous, id, "previous");

  if (previous?.applied && sameVersion(previous.applied, version)) {
    return { state, entry: previous, referencedEntry: null, previousReferencedEntry: null, writes: [], changed: false };
  }

  const touched = new Map<string, { before: AppliedEntry | null; after: AppliedEntry }>();
  const own = previous ? cloneEntry(previous) : emptyEntry(id);
  own.applied = version;
  touched.set(id, { before: previous, after: own });

  const refId = referencedEntryId(record);
  if (refId !== null) {
    checkEntry(referenced, refId, "referenced");
    touched.set(refId, { before: referenced, after: referenced ? cloneEntry(referenced) : emptyEntry(refId) });
  }
  const movedFrom = previousReferencedEntryId(record, previous);
  if (movedFrom !== null) {
    if (previousReferenced === null) {
      throw new LedgerError(
        "missing_entry",
        "previousReferenced",
        `correction moves ${id} away from ${movedFrom}: pass that entry as previousReferenced`,
      );
    }
    checkEntry(previousReferenced, movedFrom, "previousReferenced");
    touched.set(movedFrom, { before: previousReferenced, after: cloneEntry(previousReferenced) });
  }

  // Withdraw the old settlement from the invoice it referenced, then file the new one.
  const oldRef = settlingReference(previous?.applied);
  if (oldRef !== null) {
    const t = touched.get(oldRef);
    if (t) t.after.referencedBy = withoutSettlement(t.after.referencedBy, id);
  }
  const newRef = settlingReference(version);
  if (newRef !== null && isSettlementType(version.type)) {
    const t = touched.get(newRef);
    if (!t) throw new LedgerError("missing_entry", "referenced", `no entry slot for ${newRef}`);
    t.after.referencedBy = withSettlement(t.after.referencedBy, {
      id,
      type: version.type,
      amount: version.amount,
      issuedAt: version.issuedAt,
    });
  }

  const { state: next, writes } = commit(state, touched);
  return {
    state: next,
    entry: own,
    referencedEntry: writtenEntry(writes, refId),
    previousReferencedEntry: writtenEntry(writes, movedFrom),
    writes,
    changed: true,
  };
}

/**
 * Take a record out of the aggregates (record deleted). `previous`: its applied entry;
 * `referenced`: the entry of unapplyReferencedEntryId(previous), if that is not null.
 */
export function unapplyRecord(
  state: LedgerState,
  previous: AppliedEntry | null,
  referenced: AppliedEntry | null,
): UnapplyResult {
  assertState(state);
  if (previous === null || previous.applied === null) {
    return { state, entry: previous, referencedEntry: null, writes: [], changed: false };
  }
  checkEntry(previous, previous.id, "previous");
  const touched = new Map<string, { before: AppliedEntry | null; after: AppliedEntry }>();
  const own = cloneEntry(previous);
  own.applied = null;
  touched.set(previous.id, { before: previous, after: own });

  const refId = settlingReference(previous.applied);
  if (refId !== null) {
    if (referenced === null) {
      throw new LedgerError("missing_entry", "referenced", `unapplying ${previous.id} needs the entry of ${refId}`);
    }
    checkEntry(referenced, refId, "referenced");
    const after = cloneEntry(referenced);
    after.referencedBy = withoutSettlement(after.referencedBy, previous.id);
    touched.set(refId, { before: referenced, after });
  }
  const { state: next, writes } = commit(state, touched);
  return {
    state: next,
    entry: isEmptyEntry(own) ? null : own,
    referencedEntry: writtenEntry(writes, refId),
    writes,
    changed: true,
  };
}
