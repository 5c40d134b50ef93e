/**
 * Audit chains in Firestore. Entries live at audit/{chainId}/entries/{seq}; the chain
 * head ({seq, hash}) lives in the field `auditHead` of the chain's subject document
 * (the customer or application itself, or audit/system), so appending costs no read
 * beyond the subject document the use-case reads anyway, and no global document is
 * written on every event. Next to the head, `auditChangedAt` (a Timestamp, wall clock of
 * the append) lets the daily seal find the chains that changed since the last seal with
 * a range query per subject collection instead of a scan.
 *
 * Entries are MACed with the audit keyring's signing key (config.ts), loaded when the
 * first entry is appended.
 */
import {
  Timestamp,
  type DocumentReference,
  type DocumentData,
  type Transaction,
  type WriteBatch,
} from "firebase-admin/firestore";
import { auditKeyring } from "../config.js";
import { EMPTY_HEAD, nextEntry, type AuditContent, type AuditEntry, type ChainHead } from "../domain/audit.js";
import { firestore } from "./firebase.js";
import { COLLECTIONS, auditChainId, paths } from "./paths.js";

export interface AuditChain {
  chainId: string;
  headDoc: DocumentReference;
}

export const chains = {
  customer: (customerId: string): AuditChain => ({
    chainId: auditChainId.customer(customerId),
    headDoc: firestore().doc(paths.customer(customerId)),
  }),
  application: (applicationId: string): AuditChain => ({
    chainId: auditChainId.application(applicationId),
    headDoc: firestore().doc(paths.application(applicationId)),
  }),
  group: (groupId: string): AuditChain => ({
    chainId: auditChainId.group(groupId),
    headDoc: firestore().doc(paths.creditGroup(groupId)),
  }),
  system: (): AuditChain => ({
    chainId: auditChainId.system(),
    headDoc: firestore().doc(paths.auditChain(auditChainId.system())),
  }),
};

/**
 * The collections whose documents carry a chain head, with the chain of each document.
 * The seal queries each by `auditChangedAt`; a new kind of chain subject belongs here.
 * (The system chain's head is the single document audit/system.)
 */
export const CHAIN_SUBJECT_COLLECTIONS: ReadonlyArray<{ collection: string; chain: (id: string) => AuditChain }> = [
  { collection: COLLECTIONS.customers, chain: chains.customer },
  { collection: COLLECTIONS.applications, chain: chains.application },
  { collection: COLLECTIONS.creditGroups, chain: chains.group },
];

/** The field next to `auditHead`: when the head last moved (wall clock), for the seal's query. */
export const AUDIT_CHANGED_AT = "auditChangedAt";

export function headOf(data: DocumentData | undefined): ChainHead {
  const h = data?.auditHead as ChainHead | undefined;
  return h && typeof h.seq === "number" && typeof h.hash === "string" ? { seq: h.seq, hash: h.hash } : EMPTY_HEAD;
}

export function entryDocId(seq: number): string {
  return String(seq).padStart(12, "0");
}

export function entryRef(chainId: string, seq: number): DocumentReference {
  return firestore().doc(`${paths.auditEntries(chainId)}/${entryDocId(seq)}`);
}

function toStored(e: AuditEntry): DocumentData {
  return { ...e, at: Timestamp.fromMillis(e.at) };
}

export function fromStored(data: DocumentData): AuditEntry {
  const at = data.at instanceof Timestamp ? data.at.toMillis() : Number(data.at);
  const entry: AuditEntry = {
    chainId: data.chainId,
    seq: data.seq,
    at,
    prevHash: data.prevHash,
    hash: data.hash,
    action: data.action,
    actor: data.actor,
    target: data.target,
    before: data.before ?? null,
    after: data.after ?? null,
    reason: data.reason ?? null,
    requestId: data.requestId ?? null,
  };
  // Present but of the wrong type stays visible to the MAC (as a value that cannot match).
  if (data.keyId !== undefined) entry.keyId = data.keyId;
  if (data.sealedChains !== undefined) entry.sealedChains = data.sealedChains;
  return entry;
}

type Writer = Transaction | WriteBatch;

/**
 * Appends entries to one chain within a transaction or batch. Construct it with the
 * head read from the subject document (all reads first), append, and the head field is
 * written with each append (merge) so the caller's own write of the subject document may
 * come before or after.
 */
export class AuditAppender {
  private head: ChainHead;
  private changedAt: Timestamp | null = null;
  /**
   * `deferHead`: the caller writes the subject document itself in this transaction and puts
   * `...appender.headFields` (the head and its time) in that write (one write of the
   * subject instead of two).
   */
  constructor(
    private readonly writer: Writer,
    private readonly chain: AuditChain,
    head: ChainHead,
    private readonly now: number,
    private readonly opts: { deferHead?: boolean } = {},
  ) {
    this.head = head;
  }

  append(content: AuditContent): ChainHead {
    const entry = nextEntry(this.chain.chainId, this.head, content, this.now, auditKeyring().signing);
    (this.writer as Transaction).set(entryRef(this.chain.chainId, entry.seq), toStored(entry));
    this.head = { seq: entry.seq, hash: entry.hash };
    // Wall clock, not `now`: jobs run with a business time (asOf) that may lie in the past
    // or the future; the seal selects chains by when their head really moved.
    this.changedAt = Timestamp.fromMillis(Date.now());
    if (!this.opts.deferHead) (this.writer as Transaction).set(this.chain.headDoc, this.headFields, { merge: true });
    return this.head;
  }

  get current(): ChainHead {
    return this.head;
  }

  /** What the subject document stores about its chain: the head, and when it moved. */
  get headFields(): { auditHead: ChainHead; auditChangedAt?: Timestamp } {
    return this.changedAt ? { auditHead: this.head, auditChangedAt: this.changedAt } : { auditHead: this.head };
  }
}

// ---------------------------------------------------------------------------------------
// Queries of the seal and the verification (top-level fields only: the in-process
// Firestore filters neither nested fields nor collection groups)

const systemEntries = () => firestore().collection(paths.auditEntries(auditChainId.system()));

/** The newest system-chain entries whose `sealedChains` name `chainId`, newest first. */
export async function sealEntriesNaming(chainId: string, limit = 3): Promise<AuditEntry[]> {
  const snap = await systemEntries()
    .where("sealedChains", "array-contains", chainId)
    .orderBy("seq", "desc")
    .limit(limit)
    .get();
  return snap.docs.map((d) => fromStored(d.data()));
}

/** The newest system-chain entries of one action, newest first. */
export async function systemEntriesOfAction(action: string, limit = 3): Promise<AuditEntry[]> {
  const snap = await systemEntries().where("action", "==", action).orderBy("seq", "desc").limit(limit).get();
  return snap.docs.map((d) => fromStored(d.data()));
}

/** Whether the chain holds any entry document. */
export async function chainHasEntries(chainId: string): Promise<boolean> {
  return !(await firestore().collection(paths.auditEntries(chainId)).limit(1).get()).empty;
}

export interface ChangedSubject {
  id: string;
  head: ChainHead;
}

/**
 * The documents of `collection` whose chain head moved after `since` (auditChangedAt; null:
 * every chain), page by page in that order, up to the newest — no upper bound, so a chain
 * that keeps changing is still reached (it moves to the tail and is taken there; one that
 * moved after it was yielded is yielded again). No cursors: a page starts at `>=` the last
 * time seen and skips the ids already yielded at that time; more than a page of documents
 * at one millisecond are taken with one equality query.
 */
export async function* changedSubjects(
  collection: string,
  since: number | null,
  pageSize: number,
): AsyncGenerator<ChangedSubject[]> {
  const col = firestore().collection(collection);
  let lower: Timestamp | null = since === null ? null : Timestamp.fromMillis(since);
  let inclusive = false;
  let seenAtLower = new Set<string>();
  const changedAt = (d: DocumentData): Timestamp | null =>
    d[AUDIT_CHANGED_AT] instanceof Timestamp ? (d[AUDIT_CHANGED_AT] as Timestamp) : null;
  for (;;) {
    // A range filter matches only values of its operand's type: `>=` the epoch is "has a time".
    const q = lower
      ? col.where(AUDIT_CHANGED_AT, inclusive ? ">=" : ">", lower)
      : col.where(AUDIT_CHANGED_AT, ">=", Timestamp.fromMillis(0));
    const page = await q.orderBy(AUDIT_CHANGED_AT).limit(pageSize).get();
    const fresh = page.docs.filter((d) => !(lower && seenAtLower.has(d.id) && changedAt(d.data())?.isEqual(lower)));
    if (fresh.length === 0 && page.size === pageSize && lower) {
      // A full page at one instant, all seen: take that instant whole, then move past it.
      const same = await col.where(AUDIT_CHANGED_AT, "==", lower).get();
      const rest = same.docs.filter((d) => !seenAtLower.has(d.id)).map((d) => ({ id: d.id, head: headOf(d.data()) }));
      for (let i = 0; i < rest.length; i += pageSize) yield rest.slice(i, i + pageSize);
      inclusive = false;
      seenAtLower = new Set();
      continue;
    }
    if (fresh.length > 0) yield fresh.map((d) => ({ id: d.id, head: headOf(d.data()) }));
    if (page.size < pageSize) return;
    const last = changedAt(page.docs[page.size - 1]!.data());
    if (!last) return;
    if (!lower || !last.isEqual(lower)) seenAtLower = new Set();
    for (const d of page.docs) if (changedAt(d.data())?.isEqual(last)) seenAtLower.add(d.id);
    lower = last;
    inclusive = true;
  }
}

/** The system chain's document (head, seal and migration markers). */
export function systemChainDoc(): DocumentReference {
  return chains.system().headDoc;
}
