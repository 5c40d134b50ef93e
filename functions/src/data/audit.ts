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
import { Timestamp, type DocumentReference, type DocumentData, type Transaction, type WriteBatch } from "firebase-admin/firestore";
import { auditKeyring } from "../config.js";
import { EMPTY_HEAD, nextEntry, type AuditContent, type AuditEntry, type ChainHead } from "../domain/audit.js";
import { firestore } from "./firebase.js";
import { COLLECTIONS, auditChainId, paths } from "./paths.js";

export interface AuditChain {
  chainId: string;
  headDoc: DocumentReference;
}

export const chains = {
  customer: (customerId: string): AuditChain => ({ chainId: auditChainId.customer(customerId), headDoc: firestore().doc(paths.customer(customerId)) }),
  application: (applicationId: string): AuditChain => ({
    chainId: auditChainId.application(applicationId),
    headDoc: firestore().doc(paths.application(applicationId)),
  }),
  system: (): AuditChain => ({ chainId: auditChainId.system(), headDoc: firestore().doc(paths.auditChain(auditChainId.system())) }),
};

/**
 * The collections whose documents carry a chain head, with the chain of each document.
 * The seal queries each by `auditChangedAt`; a new kind of chain subject belongs here.
 * (The system chain's head is the single document audit/system.)
 */
export const CHAIN_SUBJECT_COLLECTIONS: ReadonlyArray<{ collection: string; chain: (id: string) => AuditChain }> = [
  { collection: COLLECTIONS.customers, chain: chains.customer },
  { collection: COLLECTIONS.applications, chain: chains.application },
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
