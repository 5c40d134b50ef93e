/**
 * Limit requests in limitRequests/{id}: people's requests (auto ids) and the monitor's policy
 * proposals — limit cuts (penalties) and increases (incentives) — whose ids are deterministic
 * (one per customer, source and month), so a proposal is created at most once however often
 * the monitor runs.
 */
import type { DocumentReference, DocumentSnapshot, Transaction } from "firebase-admin/firestore";
import { mergeReasonCodes } from "../domain/decisions.js";
import { proposalId, type LimitRequest } from "../domain/limits.js";
import type { LimitProposal } from "../domain/monitoring.js";
import { fromStored, toStored } from "./convert.js";
import { firestore } from "./firebase.js";
import { marked } from "./serviceWrites.js";
import { COLLECTIONS, paths } from "./paths.js";

export const limitRequestRefs = {
  request: (id: string): DocumentReference => firestore().doc(paths.limitRequest(id)),
  newRequest: (): DocumentReference => firestore().collection(COLLECTIONS.limitRequests).doc(),
};

export function limitRequestToStored(r: Partial<LimitRequest>): FirebaseFirestore.DocumentData {
  return toStored(r) as FirebaseFirestore.DocumentData;
}

export function limitRequestFromSnapshot(snap: DocumentSnapshot): LimitRequest | null {
  return snap.exists ? fromStored<LimitRequest>(snap.data()) : null;
}

export function proposalRef(customerId: string, source: LimitProposal["source"], asOf: number): DocumentReference {
  return limitRequestRefs.request(proposalId(customerId, source, asOf));
}

/** The limit request a policy proposal becomes: pending, or approved at once by the policy. */
export function proposalRequest(customerId: string, p: LimitProposal, actorUid: string, now: number): LimitRequest {
  const approved = p.autoApprove;
  return {
    customerId,
    currentLimit: p.currentLimit,
    basis: { creditLimit: p.currentLimit, temporaryLimit: null },
    newLimit: p.newLimit,
    kind: "permanent",
    expiresAt: null,
    reason: p.reason,
    requestedBy: actorUid,
    requestedByRole: null,
    source: p.source,
    status: approved ? "approved" : "pending",
    createdAt: now,
    updatedAt: now,
    decidedAt: approved ? now : null,
    decidedBy: approved ? `policy:${p.source}` : null,
    decidedByRole: null,
    note: approved ? "AUTO_APPROVED_WITHIN_POLICY" : null,
    reasonCodes: approved ? mergeReasonCodes([p.reason, "AUTO_APPROVED_WITHIN_POLICY"]) : [],
  };
}

/** Create the proposal document in a transaction (fails the commit if it exists: read it first). */
export function createProposal(tx: Transaction, ref: DocumentReference, request: LimitRequest): void {
  tx.create(ref, marked(ref, limitRequestToStored(request)));
}
