/**
 * Verifying an audit chain: re-walk its entries in seq order, page by page (no cursors:
 * each page is `seq >= last seen seq`, so it also works on the in-process Firestore),
 * feed the ChainVerifier, then compare with the head stored on the chain's subject
 * document. The verification itself is audited in the system chain (`audit.verify`).
 */
import type { DocumentReference, QueryDocumentSnapshot } from "firebase-admin/firestore";
import { auditKeyring } from "../config.js";
import { AuditAppender, chains, entryDocId, fromStored, headOf, type AuditChain } from "../data/audit.js";
import { firestore } from "../data/firebase.js";
import { auditChainId, paths } from "../data/paths.js";
import { readRequest, requestRef, writeRequest } from "../data/requests.js";
import { ChainVerifier, type ChainHead, type ChainVerdict } from "../domain/audit.js";
import { notFound } from "../domain/errors.js";
import type { Caller } from "../domain/roles.js";
import { logs } from "../logs.js";

export const VERIFY_PAGE_SIZE = 500;
/** Re-reads of the head when entries were appended while the chain was being walked. */
const MAX_ROUNDS = 5;

export type BrokenEntry = NonNullable<ChainVerdict["firstBrokenEntry"]>;

export interface VerifyResult {
  ok: boolean;
  checked: number;
  chainId: string;
  firstBrokenEntry?: BrokenEntry;
}

/** Which chain a request names: customerId → customer_{id}; chainId as given; neither → system. */
export function chainFor(input: { customerId?: string | undefined; chainId?: string | undefined }): AuditChain & { subject: "customer" | "application" | "system"; subjectId: string } {
  if (input.customerId !== undefined) return { ...chains.customer(input.customerId), subject: "customer", subjectId: input.customerId };
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
  throw notFound("audit chain", chainId);
}

/**
 * Walks one chain and checks it against its stored head. Read-only. `pageSize` is for
 * tests (page boundaries); the callable uses VERIFY_PAGE_SIZE.
 */
export async function verifyChain(chainId: string, headDoc: DocumentReference, opts: { pageSize?: number } = {}): Promise<Omit<VerifyResult, "chainId">> {
  const pageSize = opts.pageSize ?? VERIFY_PAGE_SIZE;
  const entries = firestore().collection(paths.auditEntries(chainId));
  const verifier = new ChainVerifier(chainId, auditKeyring());
  /** Set when an entry is intact but stored under a document id that is not its seq. */
  let misplaced: BrokenEntry | undefined;
  let lastSeq = 1;
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
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const fed = await walk();
    if (round > 0 && fed === 0) break; // nothing was appended since the head was read
    head = headOf((await headDoc.get()).data());
    // Intact so far, `checked` is the seq reached. A head further on means entries were
    // appended while we walked (walk on from there) or are missing (the next walk finds none).
    if (broken() || head.seq <= verifier.last.seq) break;
  }
  if (misplaced) return { ok: false, checked: verifier.finish(null).checked, firstBrokenEntry: misplaced };
  return verifier.finish(head);
}

/**
 * The use-case behind verifyAuditTrail: not-found for an unknown subject (nothing
 * written), else verify and record the verification in the system chain, idempotently
 * by the client's requestId.
 */
export async function verifyAuditTrail(
  input: { customerId?: string | undefined; chainId?: string | undefined; requestId?: string | undefined },
  caller: Caller,
  now: number,
  opts: { pageSize?: number } = {},
): Promise<VerifyResult> {
  const db = firestore();
  const chain = chainFor(input);
  const reqRef = input.requestId ? requestRef("verifyAuditTrail", caller.uid, input.requestId) : null;
  if (reqRef) {
    const prior = await reqRef.get();
    if (prior.exists) return prior.get("result") as VerifyResult;
  }
  if (chain.subject !== "system" && !(await chain.headDoc.get()).exists) throw notFound(chain.subject, chain.subjectId);

  const verdict = await verifyChain(chain.chainId, chain.headDoc, opts);
  const result: VerifyResult = { ok: verdict.ok, checked: verdict.checked, chainId: chain.chainId };
  if (verdict.firstBrokenEntry) result.firstBrokenEntry = verdict.firstBrokenEntry;

  const system = chains.system();
  const out = await db.runTransaction(async (tx) => {
    const [prior, headSnap] = await Promise.all([reqRef ? readRequest(tx, reqRef) : Promise.resolve(undefined), tx.get(system.headDoc)]);
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
      },
      reason: null,
      requestId: input.requestId ?? null,
    });
    if (reqRef) writeRequest(tx, reqRef, "verifyAuditTrail", caller.uid, result, now);
    return result;
  });
  if (out.firstBrokenEntry) logs.auditChainBroken(out.chainId, out.firstBrokenEntry.seq, out.firstBrokenEntry.problem);
  else logs.auditChainVerified(out.chainId, out.checked);
  return out;
}
