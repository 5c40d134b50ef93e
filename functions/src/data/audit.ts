/**
 * Audit chains in Firestore. Entries live at audit/{chainId}/entries/{seq}; the chain
 * head ({seq, hash}) lives in the field `auditHead` of the chain's subject document
 * (the customer or application itself, or audit/system), so appending costs no read
 * beyond the subject document the use-case reads anyway, and no global document is
 * written on every event.
 */
import { Timestamp, type DocumentReference, type DocumentData, type Transaction, type WriteBatch } from "firebase-admin/firestore";
import { EMPTY_HEAD, nextEntry, type AuditContent, type AuditEntry, type ChainHead } from "../domain/audit.js";
import { firestore } from "./firebase.js";
import { auditChainId, paths } from "./paths.js";

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
  group: (groupId: string): AuditChain => ({ chainId: auditChainId.group(groupId), headDoc: firestore().doc(paths.creditGroup(groupId)) }),
  system: (): AuditChain => ({ chainId: auditChainId.system(), headDoc: firestore().doc(paths.auditChain(auditChainId.system())) }),
};

export function headOf(data: DocumentData | undefined): ChainHead {
  const h = data?.auditHead as ChainHead | undefined;
  return h && typeof h.seq === "number" && typeof h.hash === "string" ? { seq: h.seq, hash: h.hash } : EMPTY_HEAD;
}

export function entryDocId(seq: number): string {
  return String(seq).padStart(12, "0");
}

function toStored(e: AuditEntry): DocumentData {
  return { ...e, at: Timestamp.fromMillis(e.at) };
}

export function fromStored(data: DocumentData): AuditEntry {
  const at = data.at instanceof Timestamp ? data.at.toMillis() : Number(data.at);
  return {
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
  /**
   * `deferHead`: the caller writes the subject document itself in this transaction and puts
   * `auditHead: appender.current` in that write (one write of the subject instead of two).
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
    const entry = nextEntry(this.chain.chainId, this.head, content, this.now);
    const ref = firestore().doc(`${paths.auditEntries(this.chain.chainId)}/${entryDocId(entry.seq)}`);
    (this.writer as Transaction).set(ref, toStored(entry));
    this.head = { seq: entry.seq, hash: entry.hash };
    if (!this.opts.deferHead) (this.writer as Transaction).set(this.chain.headDoc, { auditHead: this.head }, { merge: true });
    return this.head;
  }

  get current(): ChainHead {
    return this.head;
  }
}
