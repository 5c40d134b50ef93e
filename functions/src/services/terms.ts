/**
 * Payment terms as an incentive that acts: a request to change a customer's terms
 * (termsChanges/{id}). Shorter terms lower the risk and take effect at once; longer terms need an
 * eligible customer (policy incentives, domain/judgement.ts termsChangeCheck) and a second person
 * to approve them — never the requester — checked again against the file when decided.
 */
import { AuditAppender, chains, headOf } from "../data/audit.js";
import { readCustomer, writeCustomer } from "../data/customers.js";
import { firestore } from "../data/firebase.js";
import { docToStored, judgementRefs, termsChangeFromSnapshot } from "../data/judgement.js";
import { idempotencyKey, priorResult, recordResult } from "../data/requests.js";
import { notFound, precondition } from "../domain/errors.js";
import { termsChangeCheck, type TermsChangeDoc } from "../domain/judgement.js";
import type { Caller } from "../domain/roles.js";
import type { DecideTermsChangeInput, RequestTermsChangeInput } from "../schemas/callables.js";
import type { CreditPolicy } from "../schemas/policy.js";
import { logs } from "../logs.js";
import { assertInScope } from "./customers.js";

export interface RequestTermsChangeResult {
  termsChangeId: string;
  status: "pending" | "approved";
  /** The customer's payment terms after this call. */
  paymentTermsDays: number;
}

export interface DecideTermsChangeResult {
  termsChangeId: string;
  status: "approved" | "rejected";
  paymentTermsDays: number;
}

export async function requestTermsChange(
  input: RequestTermsChangeInput,
  caller: Caller,
  now: number,
  policy: CreditPolicy,
): Promise<RequestTermsChangeResult> {
  const db = firestore();
  const key = idempotencyKey("requestTermsChange", caller.uid, input);
  const ref = judgementRefs.newTermsChange();
  const result = await db.runTransaction(async (tx) => {
    const [prior, read] = await Promise.all([
      priorResult<RequestTermsChangeResult>(tx, key),
      readCustomer(tx, input.customerId),
    ]);
    if (prior !== undefined) return prior;
    const customer = read.file;
    if (!customer) throw notFound("customer", input.customerId);
    assertInScope(customer, caller, input.customerId);
    const check = termsChangeCheck(customer, input.paymentTermsDays, policy);
    const atOnce = check.direction === "shorter";
    const doc: TermsChangeDoc = {
      customerId: input.customerId,
      ownerUid: customer.ownerUid,
      currentTermsDays: customer.paymentTermsDays,
      paymentTermsDays: input.paymentTermsDays,
      direction: check.direction,
      reason: input.reason,
      requestedBy: caller.uid,
      requestedByRole: caller.role,
      status: atOnce ? "approved" : "pending",
      createdAt: now,
      updatedAt: now,
      note: atOnce ? "SHORTER_TERMS_TAKE_EFFECT_AT_ONCE" : null,
      reasonCodes: check.reasonCodes,
      decidedBy: atOnce ? "policy:shorter_terms" : null,
      decidedByRole: atOnce ? "system" : null,
      decidedAt: atOnce ? now : null,
    };
    tx.create(ref, docToStored(doc));
    if (atOnce) writeCustomer(tx, input.customerId, { paymentTermsDays: input.paymentTermsDays, updatedAt: now }, read);
    new AuditAppender(tx, chains.customer(input.customerId), headOf(read.head.data()), now).append({
      action: atOnce ? "terms.shorten" : "terms.request",
      actor: caller,
      target: ref.path,
      before: { paymentTermsDays: customer.paymentTermsDays },
      after: { paymentTermsDays: input.paymentTermsDays, status: doc.status, reasonCodes: check.reasonCodes },
      reason: input.reason,
      requestId: input.requestId ?? null,
    });
    const out: RequestTermsChangeResult = {
      termsChangeId: ref.id,
      status: doc.status as "pending" | "approved",
      paymentTermsDays: atOnce ? input.paymentTermsDays : customer.paymentTermsDays,
    };
    recordResult(tx, key, out, now);
    return out;
  });
  logs.termsChangeRequested(input.customerId, result.termsChangeId, result.status);
  return result;
}

export async function decideTermsChange(
  input: DecideTermsChangeInput,
  caller: Caller,
  now: number,
  policy: CreditPolicy,
): Promise<DecideTermsChangeResult> {
  const db = firestore();
  const key = idempotencyKey("decideTermsChange", caller.uid, input);
  const ref = judgementRefs.termsChange(input.termsChangeId);
  const result = await db.runTransaction(async (tx) => {
    const [prior, snap] = await Promise.all([priorResult<DecideTermsChangeResult>(tx, key), tx.get(ref)]);
    if (prior !== undefined) return prior;
    const request = termsChangeFromSnapshot(snap);
    if (!request) throw notFound("terms change", input.termsChangeId);
    const read = await readCustomer(tx, request.customerId);
    const customer = read.file;
    if (!customer) throw notFound("customer", request.customerId);
    const wanted = input.decision === "approve" ? "approved" : "rejected";
    if (request.status !== "pending") {
      // A retried call (no requestId) by the same decider with the same decision gets the first answer.
      if (request.decidedBy === caller.uid && request.status === wanted)
        return {
          termsChangeId: input.termsChangeId,
          status: wanted,
          paymentTermsDays: customer.paymentTermsDays,
        } as DecideTermsChangeResult;
      throw precondition(`terms change is already ${request.status}`);
    }
    if (request.requestedBy === caller.uid)
      throw precondition("four-eyes rule: the requester cannot decide their own request");
    const audit = new AuditAppender(tx, chains.customer(request.customerId), headOf(read.head.data()), now);
    let reasonCodes: string[] = ["TERMS_CHANGE_REJECTED"];
    if (wanted === "approved") {
      if (customer.paymentTermsDays !== request.currentTermsDays) {
        throw precondition(
          "the customer's payment terms changed since this request was made; reject it and request again",
          { reason: "BASIS_CHANGED" },
        );
      }
      // Still eligible now (the file may have changed since the request).
      reasonCodes = [...termsChangeCheck(customer, request.paymentTermsDays, policy).reasonCodes, "APPROVED_FOUR_EYES"];
      writeCustomer(tx, request.customerId, { paymentTermsDays: request.paymentTermsDays, updatedAt: now }, read);
    }
    tx.update(
      ref,
      docToStored<TermsChangeDoc>({
        status: wanted,
        note: input.note,
        reasonCodes,
        decidedBy: caller.uid,
        decidedByRole: caller.role,
        decidedAt: now,
        updatedAt: now,
      }),
    );
    audit.append({
      action: wanted === "approved" ? "terms.approve" : "terms.reject",
      actor: caller,
      target: ref.path,
      before: { status: "pending", paymentTermsDays: customer.paymentTermsDays },
      after: {
        status: wanted,
        paymentTermsDays: wanted === "approved" ? request.paymentTermsDays : customer.paymentTermsDays,
        requestedBy: request.requestedBy,
        reasonCodes,
      },
      reason: input.note,
      requestId: input.requestId ?? null,
    });
    const out: DecideTermsChangeResult = {
      termsChangeId: input.termsChangeId,
      status: wanted,
      paymentTermsDays: wanted === "approved" ? request.paymentTermsDays : customer.paymentTermsDays,
    };
    recordResult(tx, key, out, now);
    return { ...out, customerId: request.customerId };
  });
  const { customerId, ...out } = result as DecideTermsChangeResult & { customerId?: string };
  if (customerId) logs.termsChangeDecided(customerId, out.termsChangeId, out.status);
  return out;
}
