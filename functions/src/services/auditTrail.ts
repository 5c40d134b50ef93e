/**
 * Verifying an audit chain: re-walk its entries in seq order, page by page (no cursors:
 * each page is `seq >= last seen seq`, so it also works on the in-process Firestore),
 * feed the ChainVerifier (MACs under the audit keyring, links), then compare with the head
 * stored on the chain's subject document and with the head the chain's latest seal
 * recorded in the system chain, so a chain cut back (head set back, or nulled, or its
 * subject deleted) is named, not just one edited in place. The verification itself is
 * audited in the system chain (`audit.verify`).
 */
import type { DocumentReference, QueryDocumentSnapshot } from "firebase-admin/firestore";
import { auditKeyring } from "../config.js";
import {
  AuditAppender,
  chainHasEntries,
  chains,
  entryDocId,
  fromStored,
  headOf,
  sealEntriesNaming,
  type AuditChain,
} from "../data/audit.js";
import { firestore } from "../data/firebase.js";
import { auditChainId, paths } from "../data/paths.js";
import { idempotencyKey, priorResult, priorResultNow, recordResult } from "../data/requests.js";
import {
  ChainVerifier,
  EMPTY_HEAD,
  isAuthenticSystemEntry,
  sealedHeadIn,
  type AuditKeyring,
  type BrokenEntry,
  type ChainHead,
  type ChainVerdict,
} from "../domain/audit.js";
import { notFound } from "../domain/errors.js";
import type { Caller } from "../domain/roles.js";
import { logs } from "../logs.js";

export type { BrokenEntry } from "../domain/audit.js";

export const VERIFY_PAGE_SIZE = 500;
/** Re-reads of the head when entries were appended while the chain was being walked. */
const MAX_ROUNDS = 5;

/** The chain's latest seal: the head it recorded and where in the system chain. */
export interface SealRef extends ChainHead {
  systemSeq: number;
  upTo: number | null;
}

export interface VerifyResult {
  ok: boolean;
  checked: number;
  chainId: string;
  firstBrokenEntry?: BrokenEntry;
  /** The latest seal the chain was checked against, when it has one. */
  sealed?: SealRef;
}

/** Which chain a request names: customerId → customer_{id}; chainId as given; neither → system. */
export function chainFor(input: {
  customerId?: string | undefined;
  chainId?: string | undefined;
}): AuditChain & { subject: "customer" | "application" | "group" | "system"; subjectId: string } {
  if (input.customerId !== undefined)
    return { ...chains.customer(input.customerId), subject: "customer", subjectId: input.customerId };
  const chainId = input.chainId ?? auditChainId.system();
  if (chainId === auditChainId.system()) return { ...chains.system(), subject: "system", subjectId: chainId };
  const customerPrefix = auditChainId.customer("");
  const applicationPrefix = auditChainId.application("");
  if (chainId.startsWith(customerPrefix)) {
    const id = chainId.slice(customerPrefix.length);
    return { ...chains.customer(id), subject: "customer", subjectId: id };
  }
  if (chainId.startsWith(applicationPrefix)) {
    const id = chainId.slice(applicationPrefix.length);
    return { ...chains.application(id), subject: "application", subjectId: id };
  }
  const groupPrefix = auditChainId.group("");
  if (chainId.startsWith(groupPrefix)) {
    const id = chainId.slice(groupPrefix.length);
    return { ...chains.group(id), subject: "group", subjectId: id };
  }
  throw notFound("audit chain", chainId);
}

/**
 * The chain's latest seal: the newest seal entry of the system chain that names it. That
 * entry must be authentic (a keyed entry of the system chain whose MAC holds): an altered
 * one is reported as `seal_invalid` rather than silently passed over for an older seal.
 */
export async function latestSealOf(
  chainId: string,
  keyring: AuditKeyring = auditKeyring(),
): Promise<SealRef | { invalid: number } | null> {
  for (const entry of await sealEntriesNaming(chainId, 1)) {
    if (!isAuthenticSystemEntry(entry, auditChainId.system(), keyring)) return { invalid: entry.seq };
    const head = sealedHeadIn(entry, chainId);
    if (!head) return { invalid: entry.seq };
    const upTo = (entry.after as { upTo?: unknown } | null)?.upTo;
    return { ...head, systemSeq: entry.seq, upTo: typeof upTo === "number" ? upTo : null };
  }
  return null;
}

export interface Inspection {
  verdict: ChainVerdict;
  /** The head stored on the subject when the walk ended (EMPTY when absent). */
  head: ChainHead;
  subjectExists: boolean;
}

/**
 * Walks one chain and judges it against its stored head, its subject's existence and
 * (when given) its sealed head. Read-only. `resumeFrom`: walk only from that sealed head on
 * (the sweep). `pageSize` is for tests (page boundaries); the callable uses VERIFY_PAGE_SIZE.
 */
export async function inspectChain(
  chainId: string,
  headDoc: DocumentReference,
  opts: { pageSize?: number; sealed?: ChainHead | null; resumeFrom?: ChainHead | null; keyring?: AuditKeyring } = {},
): Promise<Inspection> {
  const pageSize = opts.pageSize ?? VERIFY_PAGE_SIZE;
  const entries = firestore().collection(paths.auditEntries(chainId));
  const verifier = new ChainVerifier(chainId, opts.keyring ?? auditKeyring(), {
    sealed: opts.sealed ?? null,
    resumeFrom: opts.resumeFrom ?? null,
  });
  /** Set when an entry is intact but stored under a document id that is not its seq. */
  let misplaced: BrokenEntry | undefined;
  let lastSeq = opts.resumeFrom?.seq ?? 1;
  /** Documents already fed whose seq is lastSeq (the `>=` page overlap). */
  let seenAtLast = new Set<string>();
  const broken = () => misplaced !== undefined || verifier.firstBroken !== undefined;

  const feed = (doc: QueryDocumentSnapshot): void => {
    const entry = fromStored(doc.data());
    verifier.push(entry);
    if (!broken() && doc.id !== entryDocId(entry.seq)) misplaced = { seq: entry.seq, problem: "out_of_order" };
  };

  /** Feeds every entry from lastSeq on; stops early once the chain is broken. Returns how many it fed. */
  const walk = async (): Promise<number> => {
    let fed = 0;
    for (;;) {
      const page = await entries.where("seq", ">=", lastSeq).orderBy("seq").limit(pageSize).get();
      let fresh = 0;
      for (const doc of page.docs) {
        if (seenAtLast.has(doc.id)) continue;
        fresh++;
        fed++;
        const seq = doc.get("seq") as number;
        if (seq !== lastSeq) {
          lastSeq = seq;
          seenAtLast = new Set();
        }
        seenAtLast.add(doc.id);
        feed(doc);
        if (broken()) return fed;
      }
      // A full page of overlap only would mean more than pageSize documents share one seq;
      // the verifier flags the second of them, so this does not loop.
      if (page.size < pageSize || fresh === 0) return fed;
    }
  };

  let head: ChainHead = headOf(undefined);
  let subjectExists = false;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const fed = await walk();
    if (round > 0 && fed === 0) break; // nothing was appended since the head was read
    const snap = await headDoc.get();
    subjectExists = snap.exists;
    head = headOf(snap.data());
    // Intact so far, the last verified seq is where the walk got to. A head further on means
    // entries were appended while we walked (walk on from there) or are missing (the next
    // walk finds none).
    if (broken() || head.seq <= verifier.last.seq) break;
  }
  if (misplaced)
    return {
      verdict: { ok: false, checked: verifier.finish(null).checked, firstBrokenEntry: misplaced },
      head,
      subjectExists,
    };
  // audit/system is created with the system chain's first entry: without it, the chain must be empty.
  const isSystem = chainId === auditChainId.system();
  const subjectMissing = !subjectExists && !isSystem;
  return { verdict: verifier.finish(subjectExists || isSystem ? head : null, { subjectMissing }), head, subjectExists };
}

/** One chain, whole, against its stored head and its latest seal. Read-only. */
export async function verifyChain(
  chainId: string,
  headDoc: DocumentReference,
  opts: { pageSize?: number } = {},
): Promise<ChainVerdict> {
  return (await verifyChainAgainstSeal(chainId, headDoc, opts)).verdict;
}

async function verifyChainAgainstSeal(
  chainId: string,
  headDoc: DocumentReference,
  opts: { pageSize?: number } = {},
): Promise<Inspection & { seal: SealRef | null }> {
  const keyring = auditKeyring();
  const seal = await latestSealOf(chainId, keyring);
  if (seal && "invalid" in seal) {
    const inspection = await inspectChain(chainId, headDoc, { ...opts, keyring });
    return {
      ...inspection,
      verdict: {
        ok: false,
        checked: inspection.verdict.checked,
        firstBrokenEntry: { seq: seal.invalid, problem: "seal_invalid" },
      },
      seal: null,
    };
  }
  return { ...(await inspectChain(chainId, headDoc, { ...opts, keyring, sealed: seal })), seal };
}

/**
 * The sweep's check of a chain that changed since the last seal: from its latest sealed
 * head on (or whole, when never sealed, or when `whole`). Returns the head to seal when intact.
 */
export async function sweepChain(
  chainId: string,
  headDoc: DocumentReference,
  keyring: AuditKeyring,
  opts: { whole?: boolean } = {},
): Promise<{ verdict: ChainVerdict; head: ChainHead }> {
  const seal = await latestSealOf(chainId, keyring);
  if (seal && "invalid" in seal)
    return {
      verdict: { ok: false, checked: 0, firstBrokenEntry: { seq: seal.invalid, problem: "seal_invalid" } },
      head: EMPTY_HEAD,
    };
  const { verdict, head } = await inspectChain(chainId, headDoc, {
    keyring,
    sealed: seal,
    resumeFrom: opts.whole ? null : seal,
  });
  return { verdict, head };
}

/**
 * The use-case behind verifyAuditTrail: not-found for a subject that never had a chain
 * (nothing written), else verify and record the verification in the system chain,
 * idempotently by the client's requestId. A deleted subject whose entries or seal remain
 * is verified, and named.
 */
export async function verifyAuditTrail(
  input: { customerId?: string | undefined; chainId?: string | undefined; requestId?: string | undefined },
  caller: Caller,
  now: number,
  opts: { pageSize?: number } = {},
): Promise<VerifyResult> {
  const db = firestore();
  const chain = chainFor(input);
  const key = idempotencyKey("verifyAuditTrail", caller.uid, input);
  const earlier = await priorResultNow<VerifyResult>(key);
  if (earlier !== undefined) return earlier;

  const { verdict, subjectExists, seal } = await verifyChainAgainstSeal(chain.chainId, chain.headDoc, opts);
  if (chain.subject !== "system" && !subjectExists && verdict.ok && !(await chainHasEntries(chain.chainId)))
    throw notFound(chain.subject, chain.subjectId);
  const result: VerifyResult = { ok: verdict.ok, checked: verdict.checked, chainId: chain.chainId };
  if (verdict.firstBrokenEntry) result.firstBrokenEntry = verdict.firstBrokenEntry;
  if (seal) result.sealed = seal;

  const system = chains.system();
  const out = await db.runTransaction(async (tx) => {
    const [prior, headSnap] = await Promise.all([priorResult(tx, key), tx.get(system.headDoc)]);
    if (prior !== undefined) return prior as VerifyResult;
    new AuditAppender(tx, system, headOf(headSnap.data()), now).append({
      action: "audit.verify",
      actor: caller,
      target: paths.auditChain(chain.chainId),
      before: null,
      after: {
        chainId: chain.chainId,
        ok: result.ok,
        checked: result.checked,
        brokenSeq: result.firstBrokenEntry?.seq ?? null,
        problem: result.firstBrokenEntry?.problem ?? null,
        sealedSeq: result.sealed?.seq ?? null,
      },
      reason: null,
      requestId: input.requestId ?? null,
    });
    recordResult(tx, key, result, now);
    return result;
  });
  if (out.firstBrokenEntry) logs.auditChainBroken(out.chainId, out.firstBrokenEntry.seq, out.firstBrokenEntry.problem);
  else logs.auditChainVerified(out.chainId, out.checked);
  return out;
}
