/**
 * The credit file is two documents, split by who may read them (firestore.rules):
 *
 *   customers/{id}                        the head: what the owning sales rep may read — an
 *                                         allow-list (HEAD_FIELDS): who the customer is, its
 *                                         status, class, terms, limits, exposure, available
 *                                         credit, aging, reservations and blocked orders. The
 *                                         order check answers from this document alone.
 *   customers/{id}/private/creditState    everything else the services keep (credit staff and
 *                                         auditors only): score and its factors, the ledger's
 *                                         running state, payment behaviour, order history for
 *                                         the velocity check, flags (fraud hold, penalties), open
 *                                         alerts, the monitor's memory, the detailed status reason.
 *
 * Services see one CustomerFile: `readCustomer` reads both documents in one round trip and
 * `writeCustomer` splits a change by the allow-list, writing each document only when it
 * changes. The split costs one more read and at most one more write per use-case, whatever
 * the history length. Documents from before the split (everything in the head) are read as
 * they are and moved on their next write.
 */
import {
  FieldValue,
  Timestamp,
  type DocumentData,
  type DocumentReference,
  type DocumentSnapshot,
  type Transaction,
} from "firebase-admin/firestore";
import { nextDay, reportFields, type CustomerAggregates, type CustomerFile } from "../domain/customer.js";
import { shardOf } from "../domain/workQueue.js";
import { fromStored, toStored } from "./convert.js";
import { firestore } from "./firebase.js";
import { marked } from "./serviceWrites.js";
import { COLLECTIONS, paths, PRIVATE_DOCS } from "./paths.js";

/**
 * The head's fields: the documented allow-list of what a sales rep reads of their own
 * customers (README, "What each role reads"). A field not listed here lives in creditState.
 */
export const HEAD_FIELDS = [
  // who the customer is
  "name",
  "registrationNo",
  "country",
  "industry",
  "foundedYear",
  "address",
  "currency",
  "ownerUid",
  "applicationId",
  // the credit group it belongs to (the order check reads the group's head next)
  "groupId",
  // status, class and terms
  "status",
  "tier",
  "grade",
  "paymentTermsDays",
  "creditLimit",
  "temporaryLimit",
  // what the limit covers now
  "exposure",
  "availableCredit",
  "reserved",
  "reservations",
  "openBlocks",
  // aging of receivables (also the portfolio report's sums)
  "openInvoiceBalance",
  "volume12m",
  "notYetDue",
  "pastDue1to30",
  "pastDue31to60",
  "pastDue61to90",
  "pastDue90plus",
  "disputed",
  "oldestDaysPastDue",
  // dates and work queues
  "createdAt",
  "updatedAt",
  "lastReviewedAt",
  "nextReviewAt",
  // the last monthly review's month and class move (the portfolio report's class migration counts them)
  "reviewPeriod",
  "reviewedFromTier",
  "reviewedTier",
  "nextAgingAt",
  // the work queues' shard (a hash of the id: which concurrent batch of the daily and monthly jobs takes it)
  "shard",
  // the head of the customer's audit chain (hashes only) and when it last moved (the daily seal's query)
  "auditHead",
  "auditChangedAt",
  // the mark of the service that wrote this version (console edits are told from service writes by it)
  "serviceWrite",
] as const;

const HEAD = new Set<string>(HEAD_FIELDS);

/** Subtrees stored verbatim (no time conversion): the ledger's own encoding, the audit head. */
const OPAQUE = new Set(["ledger", "auditHead"]);

export const customerRefs = {
  customer: (id: string): DocumentReference => firestore().doc(paths.customer(id)),
  creditState: (id: string): DocumentReference => firestore().doc(paths.customerPrivate(id, "creditState")),
  newCustomer: (): DocumentReference => firestore().collection(COLLECTIONS.customers).doc(),
  financials: (id: string) => firestore().doc(paths.customerPrivate(id, "financials")),
  assessment: (id: string) => firestore().doc(paths.customerPrivate(id, "assessment")),
  contacts: (id: string) => firestore().doc(paths.customerPrivate(id, "contacts")),
  newReview: (id: string) => firestore().collection(paths.reviews(id)).doc(),
  newStatusChange: (id: string) => firestore().collection(paths.statusChanges(id)).doc(),
};

export type PrivateDoc = keyof typeof PRIVATE_DOCS;

/** Both documents of a credit file as read, and the file they make. */
export interface CustomerRead {
  file: CustomerFile | null;
  head: DocumentSnapshot;
  state: DocumentSnapshot;
}

/**
 * A change of a credit file with the top-level copies of its aggregates (reportFields: the
 * head's aging, exposure and volume, what the portfolio report sums) whenever it writes the
 * aggregates: one place, so no writer can leave the report behind its aggregates.
 */
export function withReportFields(patch: Record<string, unknown>): Record<string, unknown> {
  const a = patch.aggregates as CustomerAggregates | undefined | null;
  return a ? { ...patch, ...reportFields(a) } : patch;
}

/** A change of a credit file, split by the allow-list. */
export function splitPatch(patch: Record<string, unknown>): {
  head: Record<string, unknown>;
  state: Record<string, unknown>;
} {
  const head: Record<string, unknown> = {};
  const state: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) continue;
    (HEAD.has(k) ? head : state)[k] = v;
  }
  return { head, state };
}

/** A new credit file's two documents. */
export function customerToStored(c: CustomerFile): { head: DocumentData; state: DocumentData } {
  const { head, state } = splitPatch(withReportFields(c as unknown as Record<string, unknown>));
  return { head: toStored(head, OPAQUE) as DocumentData, state: toStored(state, OPAQUE) as DocumentData };
}

export function createCustomer(tx: Transaction, ref: DocumentReference, c: CustomerFile): void {
  const docs = customerToStored({ ...c, shard: shardOf(ref.id) } as CustomerFile);
  const stateRef = customerRefs.creditState(ref.id);
  tx.set(ref, marked(ref, docs.head));
  tx.set(stateRef, marked(stateRef, docs.state));
}

/** The credit file from its two documents (null when the head does not exist). */
export function customerFromSnapshots(head: DocumentSnapshot, state: DocumentSnapshot | null): CustomerFile | null {
  if (!head.exists) return null;
  // A file from before the split keeps everything in the head: the state document adds nothing then.
  const merged = { ...(state?.exists ? state.data() : {}), ...head.data() };
  return withTemporaryLimitAsTotal(fromStored<CustomerFile>(merged, OPAQUE));
}

/** Read both documents of a credit file in one round trip (inside a transaction, or not). */
export async function readCustomer(tx: Transaction | null, id: string): Promise<CustomerRead> {
  const refs = [customerRefs.customer(id), customerRefs.creditState(id)] as const;
  const [head, state] = tx ? await tx.getAll(...refs) : await firestore().getAll(...refs);
  return { file: customerFromSnapshots(head!, state!), head: head!, state: state! };
}

/** The head alone: the order check's one read (every field it needs is on the head). */
export async function readCustomerHead(id: string): Promise<CustomerFile | null> {
  return customerFromSnapshots(await customerRefs.customer(id).get(), null);
}

/**
 * Fields whose change cannot change what the daily monitor decides. A write of any other field
 * that does not set `nextAgingAt` itself brings the customer's next monitor visit forward to the
 * next run (the monitor then computes when it must look again: domain/monitorSchedule.ts), so a
 * change is seen by the next daily run, as when every customer was visited every day.
 */
const NOT_MONITORED = new Set([
  "name",
  "registrationNo",
  "address",
  "ownerUid",
  "applicationId",
  "bankAccount",
  "bankAccountChangedAt",
  "recentOrders",
  "openBlocks",
  "auditHead",
  "auditChangedAt",
  "serviceWrite",
  "updatedAt",
  "shard",
  "nextAgingAt",
]);

/** The head fields the work queues add to a write: the next monitor visit brought forward, a missing shard. */
function queueFields(
  id: string,
  patch: Record<string, unknown>,
  stored: DocumentSnapshot | undefined,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!stored?.exists) return out;
  if (typeof stored.get("shard") !== "number") out.shard = shardOf(id);
  if (patch.nextAgingAt === undefined && Object.keys(patch).some((k) => !NOT_MONITORED.has(k))) {
    const now = typeof patch.updatedAt === "number" ? patch.updatedAt : Date.now();
    const due = nextDay(now);
    const current = stored.get("nextAgingAt");
    if (!(current instanceof Timestamp) || current.toMillis() > due) out.nextAgingAt = due;
  }
  return out;
}

/**
 * Write a change of a credit file: the head's fields to the head (an update), the rest to
 * creditState (replacing each field given, creating the document when missing). `read` is the
 * read this change is based on: a file from before the split moves its confidential fields out
 * of the head on this write. A writer that read the head alone passes it as `opts.head`. With
 * the head as read, the write also keeps the work queues right (queueFields): the next monitor
 * visit brought forward when a monitored field changes, and the shard of a head without one.
 */
export function writeCustomer(
  tx: Transaction,
  id: string,
  patch: Record<string, unknown>,
  read?: Pick<CustomerRead, "head" | "state">,
  opts: { headUpdateTime?: Timestamp; head?: DocumentSnapshot } = {},
): void {
  patch = withReportFields({ ...patch, ...queueFields(id, patch, read?.head ?? opts.head) });
  const split = splitPatch(patch);
  const head = toStored(split.head, OPAQUE) as DocumentData;
  let state = toStored(split.state, OPAQUE) as DocumentData;
  if (read && !read.state.exists && read.head.exists) {
    // Before the split: move every confidential field out of the head now.
    const legacy = splitPatch(read.head.data() as Record<string, unknown>).state;
    state = { ...legacy, ...state };
    for (const k of Object.keys(legacy)) head[k] = FieldValue.delete();
  }
  // Each document written carries the service's mark (data/serviceWrites.ts): the console-edit
  // triggers tell these writes from edits made in the console.
  // A head read outside the transaction (a work queue's page) is written only if unchanged since.
  if (Object.keys(head).length > 0) {
    const headRef = customerRefs.customer(id);
    if (opts.headUpdateTime) tx.update(headRef, marked(headRef, head), { lastUpdateTime: opts.headUpdateTime });
    else tx.update(headRef, marked(headRef, head));
  }
  if (Object.keys(state).length > 0) {
    const stateRef = customerRefs.creditState(id);
    const data = marked(stateRef, state);
    tx.set(stateRef, data, { mergeFields: Object.keys(data) });
  }
}

/**
 * Files written before temporary limits were stored as totals hold `{amount, expiresAt}`, an
 * amount on top of the approved limit: read them as the total they meant.
 */
function withTemporaryLimitAsTotal(c: CustomerFile): CustomerFile {
  const t = c.temporaryLimit as (CustomerFile["temporaryLimit"] & { amount?: number }) | null | undefined;
  if (t && typeof t.limit !== "number" && typeof t.amount === "number") {
    return { ...c, temporaryLimit: { limit: c.creditLimit + t.amount, expiresAt: t.expiresAt } };
  }
  return c;
}

export function plain<T>(snap: DocumentSnapshot): T | null {
  return snap.exists ? fromStored<T>(snap.data()) : null;
}
