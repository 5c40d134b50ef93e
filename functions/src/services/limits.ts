/**
 * Limit changes and credit status: request → decide (four eyes, authority by amount),
 * temporary limits that expire by themselves, and manual holds. Every change is audited
 * in the customer's chain in the same transaction.
 */
import { AuditAppender, chains, headOf } from "../data/audit.js";
import { customerFromSnapshot, customerRefs, storedPatch } from "../data/customers.js";
import { firestore } from "../data/firebase.js";
import { limitRequestFromSnapshot, limitRequestRefs, limitRequestToStored } from "../data/limits.js";
import { readRequest, requestRef, writeRequest } from "../data/requests.js";
import { availableCredit, effectiveLimit, type CreditStatus, type CustomerFile } from "../domain/customer.js";
import { CreditDeskError, invalid, notFound, precondition } from "../domain/errors.js";
import type { LimitRequest } from "../domain/limits.js";
import { withinAuthority, type Caller } from "../domain/roles.js";
import type { DecideLimitChangeInput, RequestLimitChangeInput, SetCreditStatusInput } from "../schemas/callables.js";
import type { CreditPolicy } from "../schemas/policy.js";
import { assertInScope } from "./customers.js";

export interface RequestLimitChangeResult {
  requestId: string;
  status: "pending" | "approved";
  creditLimit: number;
}

/** Applying an approved request to the credit file: the patch and the audit before/after. */
function applyApproved(customer: CustomerFile, r: Pick<LimitRequest, "kind" | "newLimit" | "expiresAt">, now: number) {
  const next: CustomerFile = { ...customer };
  if (r.kind === "temporary") {
    next.temporaryLimit = { amount: r.newLimit - customer.creditLimit, expiresAt: r.expiresAt! };
  } else {
    next.creditLimit = r.newLimit;
  }
  next.availableCredit = availableCredit(next, now);
  return {
    patch: { creditLimit: next.creditLimit, temporaryLimit: next.temporaryLimit, availableCredit: next.availableCredit, updatedAt: now },
    before: { creditLimit: customer.creditLimit, temporaryLimit: customer.temporaryLimit, availableCredit: customer.availableCredit },
    after: { creditLimit: next.creditLimit, temporaryLimit: next.temporaryLimit, availableCredit: next.availableCredit },
  };
}

export async function requestLimitChange(input: RequestLimitChangeInput, caller: Caller, now: number, _policy: CreditPolicy): Promise<RequestLimitChangeResult> {
  if (input.expiresAt !== undefined && input.expiresAt <= now) throw invalid("expiresAt", "must be in the future");
  const db = firestore();
  const ref = limitRequestRefs.newRequest();
  const custRef = customerRefs.customer(input.customerId);
  const reqRef = input.requestId ? requestRef("requestLimitChange", caller.uid, input.requestId) : null;
  return db.runTransaction(async (tx) => {
    const [prior, snap] = await Promise.all([reqRef ? readRequest(tx, reqRef) : Promise.resolve(undefined), tx.get(custRef)]);
    if (prior !== undefined) return prior as RequestLimitChangeResult;
    const customer = customerFromSnapshot(snap);
    if (!customer) throw notFound("customer", input.customerId);
    assertInScope(customer, caller, input.customerId);
    const kind = input.expiresAt !== undefined ? "temporary" : "permanent";
    if (kind === "temporary" && input.newLimit <= customer.creditLimit) {
      throw invalid("newLimit", "a temporary limit must be above the approved limit");
    }
    const increase = input.newLimit > effectiveLimit(customer, now);
    if (increase && customer.flags.noLimitIncrease) {
      throw precondition("limit increases are blocked by policy while invoices are overdue", { reason: "NO_LIMIT_INCREASE" });
    }
    if (!increase && kind === "permanent" && input.newLimit === customer.creditLimit) throw invalid("newLimit", "is the current limit");
    // A decrease only lowers risk: it takes effect at once. Increases wait for an approver.
    const status = increase ? "pending" : "approved";
    const request: LimitRequest = {
      customerId: input.customerId,
      currentLimit: customer.creditLimit,
      newLimit: input.newLimit,
      kind,
      expiresAt: input.expiresAt ?? null,
      reason: input.reason,
      requestedBy: caller.uid,
      requestedByRole: caller.role,
      source: "user",
      status,
      createdAt: now,
      updatedAt: now,
      decidedAt: status === "approved" ? now : null,
      decidedBy: status === "approved" ? "policy:decrease" : null,
      note: null,
    };
    tx.set(ref, limitRequestToStored(request));
    let creditLimit = customer.creditLimit;
    const audit = new AuditAppender(tx, chains.customer(input.customerId), headOf(snap.data()), now);
    if (status === "approved") {
      const change = applyApproved(customer, request, now);
      tx.update(custRef, storedPatch(change.patch));
      creditLimit = change.after.creditLimit;
      audit.append({ action: "limit.decrease", actor: caller, target: custRef.path, before: change.before, after: { ...change.after, limitRequestId: ref.id }, reason: input.reason, requestId: input.requestId ?? null });
    } else {
      audit.append({
        action: "limit.request",
        actor: caller,
        target: ref.path,
        before: null,
        after: { newLimit: input.newLimit, kind, expiresAt: input.expiresAt ?? null, status },
        reason: input.reason,
        requestId: input.requestId ?? null,
      });
    }
    const out: RequestLimitChangeResult = { requestId: ref.id, status, creditLimit };
    if (reqRef) writeRequest(tx, reqRef, "requestLimitChange", caller.uid, out, now);
    return out;
  });
}

export interface DecideLimitChangeResult {
  status: "approved" | "rejected";
  creditLimit: number;
  temporaryLimit: { amount: number; expiresAt: string } | null;
}

export async function decideLimitChange(input: DecideLimitChangeInput, caller: Caller, now: number, policy: CreditPolicy): Promise<DecideLimitChangeResult> {
  const db = firestore();
  const ref = limitRequestRefs.request(input.requestId);
  return db.runTransaction(async (tx) => {
    const snap = await tx.get(ref);
    const request = limitRequestFromSnapshot(snap);
    if (!request) throw notFound("limit request", input.requestId);
    const custRef = customerRefs.customer(request.customerId);
    const custSnap = await tx.get(custRef);
    const customer = customerFromSnapshot(custSnap);
    if (!customer) throw notFound("customer", request.customerId);
    const result = (c: CustomerFile, status: "approved" | "rejected"): DecideLimitChangeResult => ({
      status,
      creditLimit: c.creditLimit,
      temporaryLimit: c.temporaryLimit ? { amount: c.temporaryLimit.amount, expiresAt: new Date(c.temporaryLimit.expiresAt).toISOString() } : null,
    });
    const wanted = input.decision === "approve" ? "approved" : "rejected";
    if (request.status !== "pending") {
      // A retried call by the same decider with the same decision gets the first answer.
      if (request.decidedBy === caller.uid && request.status === wanted) return result(customer, wanted);
      throw precondition(`limit request is already ${request.status}`);
    }
    if (request.requestedBy === caller.uid) throw precondition("four-eyes rule: the requester cannot decide their own request");
    if (input.decision === "approve" && !withinAuthority(caller.role, request.newLimit, policy.authority)) {
      throw new CreditDeskError("permission-denied", `a limit of ${request.newLimit} minor units is above the ${caller.role} approval authority`);
    }
    if (input.decision === "approve" && request.kind === "temporary" && request.expiresAt !== null && request.expiresAt <= now) {
      throw precondition("the temporary limit's expiry has passed; request again");
    }
    if (input.decision === "approve" && request.newLimit > effectiveLimit(customer, now) && customer.flags.noLimitIncrease) {
      throw precondition("limit increases are blocked by policy while invoices are overdue", { reason: "NO_LIMIT_INCREASE" });
    }
    tx.update(ref, limitRequestToStored({ status: wanted, decidedAt: now, decidedBy: caller.uid, note: input.note, updatedAt: now }));
    const audit = new AuditAppender(tx, chains.customer(request.customerId), headOf(custSnap.data()), now);
    if (input.decision === "reject") {
      audit.append({ action: "limit.reject", actor: caller, target: ref.path, before: { status: "pending" }, after: { status: "rejected" }, reason: input.note, requestId: null });
      return result(customer, "rejected");
    }
    const change = applyApproved(customer, request, now);
    tx.update(custRef, storedPatch(change.patch));
    audit.append({ action: "limit.approve", actor: caller, target: custRef.path, before: change.before, after: { ...change.after, limitRequestId: input.requestId }, reason: input.note, requestId: null });
    return result({ ...customer, creditLimit: change.after.creditLimit, temporaryLimit: change.after.temporaryLimit }, "approved");
  });
}

/** A person's hold or suspension (statusKind manual): only a person lifts it. */
export async function setCreditStatus(input: SetCreditStatusInput, caller: Caller, now: number): Promise<{ status: CreditStatus; statusKind: "manual" | null }> {
  const db = firestore();
  const custRef = customerRefs.customer(input.customerId);
  const reqRef = input.requestId ? requestRef("setCreditStatus", caller.uid, input.requestId) : null;
  return db.runTransaction(async (tx) => {
    const [prior, snap] = await Promise.all([reqRef ? readRequest(tx, reqRef) : Promise.resolve(undefined), tx.get(custRef)]);
    if (prior !== undefined) return prior as { status: CreditStatus; statusKind: "manual" | null };
    const customer = customerFromSnapshot(snap);
    if (!customer) throw notFound("customer", input.customerId);
    const statusKind = input.status === "active" ? null : ("manual" as const);
    tx.update(custRef, storedPatch({ status: input.status, statusKind, statusReason: input.status === "active" ? null : "MANUAL", updatedAt: now }));
    new AuditAppender(tx, chains.customer(input.customerId), headOf(snap.data()), now).append({
      action: "customer.status",
      actor: caller,
      target: custRef.path,
      before: { status: customer.status, statusKind: customer.statusKind },
      after: { status: input.status, statusKind },
      reason: input.reason,
      requestId: input.requestId ?? null,
    });
    const out = { status: input.status, statusKind };
    if (reqRef) writeRequest(tx, reqRef, "setCreditStatus", caller.uid, out, now);
    return out;
  });
}
