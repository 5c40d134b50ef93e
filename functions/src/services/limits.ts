/**
 * Limit changes and credit status: request → decide (four eyes, authority by amount),
 * temporary limits that expire by themselves, and manual holds. Every change is audited
 * in the customer's chain in the same transaction.
 */
import { AuditAppender, chains, headOf } from "../data/audit.js";
import { toStored } from "../data/convert.js";
import { customerRefs, readCustomer, writeCustomer } from "../data/customers.js";
import { firestore } from "../data/firebase.js";
import { limitRequestFromSnapshot, limitRequestRefs, limitRequestToStored } from "../data/limits.js";
import { idempotencyKey, priorResult, recordResult } from "../data/requests.js";
import { marked } from "../data/serviceWrites.js";
import { availableCredit, effectiveLimit, type CreditStatus, type CustomerFile } from "../domain/customer.js";
import { NO_MEMO, personMemo, systemMemo } from "../domain/decisions.js";
import { CreditDeskError, invalid, notFound, precondition } from "../domain/errors.js";
import {
  basisChanged,
  planLimitChange,
  temporaryLimitInForce,
  type LimitRequest,
  type Limits,
} from "../domain/limits.js";
import { policyInCurrency, type FxTable } from "../domain/money.js";
import { withinAuthority, type Caller } from "../domain/roles.js";
import type { DecideLimitChangeInput, RequestLimitChangeInput, SetCreditStatusInput } from "../schemas/callables.js";
import type { CreditPolicy } from "../schemas/policy.js";
import { assertInScope } from "./customers.js";
import { loadFxTable } from "./fx.js";
import { authorityNote, conversionOf } from "./money.js";
import { emptyLedger, summarize, type LedgerState } from "../domain/ledger.js";
import { cureFor, penaltyLevel } from "../domain/monitoring.js";
import { statusFields, statusPartsOf } from "../domain/status.js";

export interface RequestLimitChangeResult {
  limitRequestId: string;
  /** @deprecated the limit request's id under its old name (one release); use `limitRequestId`. */
  requestId: string;
  status: "pending" | "approved";
  creditLimit: number;
}

export interface DecideLimitChangeResult {
  status: "approved" | "rejected";
  creditLimit: number;
  /** The temporary limit in force after the decision: a total limit until `expiresAt`. */
  temporaryLimit: { limit: number; amount: number; expiresAt: string } | null;
}

const NO_INCREASE = () =>
  precondition("limit increases are blocked by policy while invoices are overdue", { reason: "NO_LIMIT_INCREASE" });

/** The limits of a credit file as the limit rules see them (an expired temporary limit is gone). */
function limitsOf(c: CustomerFile, now: number): Limits {
  return { creditLimit: c.creditLimit, temporaryLimit: temporaryLimitInForce(c, now) };
}

/** Applying a planned change to the credit file: the patch and the audit before/after. */
function applyLimits(customer: CustomerFile, next: Limits, now: number) {
  const after: CustomerFile = { ...customer, ...next };
  after.availableCredit = availableCredit(after, now);
  const view = (c: CustomerFile) => ({
    creditLimit: c.creditLimit,
    temporaryLimit: c.temporaryLimit ?? null,
    limitInForce: effectiveLimit(c, now),
    availableCredit: c.availableCredit,
  });
  return {
    file: after,
    patch: {
      creditLimit: after.creditLimit,
      temporaryLimit: after.temporaryLimit,
      availableCredit: after.availableCredit,
      updatedAt: now,
    },
    before: view({ ...customer, availableCredit: availableCredit(customer, now) }),
    after: view(after),
  };
}

function temporaryResult(c: CustomerFile, now: number): DecideLimitChangeResult["temporaryLimit"] {
  const t = temporaryLimitInForce(c, now);
  return t
    ? { limit: t.limit, amount: Math.max(0, t.limit - c.creditLimit), expiresAt: new Date(t.expiresAt).toISOString() }
    : null;
}

/**
 * A limit request. A change that raises nothing (a lower approved limit, a lower or shorter
 * temporary limit) takes effect at once: it only lowers risk. Every other request is an increase
 * and waits for an approver (decideLimitChange).
 */
export async function requestLimitChange(
  input: RequestLimitChangeInput,
  caller: Caller,
  now: number,
  _policy: CreditPolicy,
): Promise<RequestLimitChangeResult> {
  if (input.expiresAt !== undefined && input.expiresAt <= now) throw invalid("expiresAt", "must be in the future");
  const db = firestore();
  const ref = limitRequestRefs.newRequest();
  const custRef = customerRefs.customer(input.customerId);
  const key = idempotencyKey("requestLimitChange", caller.uid, input);
  return db.runTransaction(async (tx) => {
    const [prior, read] = await Promise.all([
      priorResult<RequestLimitChangeResult>(tx, key),
      readCustomer(tx, input.customerId),
    ]);
    if (prior !== undefined) return prior;
    const customer = read.file;
    if (!customer) throw notFound("customer", input.customerId);
    assertInScope(customer, caller, input.customerId);
    const kind = input.expiresAt !== undefined ? "temporary" : "permanent";
    const basis = limitsOf(customer, now);
    const plan = planLimitChange(basis, { kind, newLimit: input.newLimit, expiresAt: input.expiresAt ?? null }, now);
    if (!plan.ok) throw invalid(plan.field, plan.message);
    if (plan.direction === "increase" && customer.flags.noLimitIncrease) throw NO_INCREASE();
    const status = plan.direction === "increase" ? "pending" : "approved";
    const request: LimitRequest = {
      customerId: input.customerId,
      currentLimit: customer.creditLimit,
      basis,
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
      // A decrease is decided by the policy at once (it only lowers risk): its memo says so.
      ...(status === "approved" ? systemMemo("policy:decrease", now, ["LIMIT_DECREASE"]) : NO_MEMO),
    };
    tx.set(ref, marked(ref, limitRequestToStored(request)));
    let creditLimit = customer.creditLimit;
    const audit = new AuditAppender(tx, chains.customer(input.customerId), headOf(read.head.data()), now);
    if (status === "approved") {
      const change = applyLimits(customer, plan.next, now);
      writeCustomer(tx, input.customerId, change.patch, read);
      creditLimit = change.file.creditLimit;
      audit.append({
        action: "limit.decrease",
        actor: caller,
        target: custRef.path,
        before: change.before,
        after: { ...change.after, limitRequestId: ref.id, kind },
        reason: input.reason,
        requestId: input.requestId ?? null,
      });
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
    const out: RequestLimitChangeResult = { limitRequestId: ref.id, requestId: ref.id, status, creditLimit };
    recordResult(tx, key, out, now);
    return out;
  });
}

/**
 * A person approves or rejects a pending limit request. The approval re-validates against the
 * credit file at decision time: a request whose basis changed (the approved limit, or the
 * temporary limit in force, moved since it was made) or that would no longer raise anything is
 * refused — reject it and request again — so no approval ever applies to a state it was not
 * made for. Four eyes (never the requester) and authority for the resulting limit.
 */
export async function decideLimitChange(
  input: DecideLimitChangeInput,
  caller: Caller,
  now: number,
  policy: CreditPolicy,
  fx?: FxTable,
): Promise<DecideLimitChangeResult> {
  const table = fx ?? (await loadFxTable(now, policy));
  const db = firestore();
  const ref = limitRequestRefs.request(input.limitRequestId);
  const key = idempotencyKey("decideLimitChange", caller.uid, input);
  return db.runTransaction(async (tx) => {
    const [prior, snap] = await Promise.all([priorResult<DecideLimitChangeResult>(tx, key), tx.get(ref)]);
    if (prior !== undefined) return prior;
    const request = limitRequestFromSnapshot(snap);
    if (!request) throw notFound("limit request", input.limitRequestId);
    const custRef = customerRefs.customer(request.customerId);
    const read = await readCustomer(tx, request.customerId);
    const customer = read.file;
    if (!customer) throw notFound("customer", request.customerId);
    const wanted = input.decision === "approve" ? "approved" : "rejected";
    const answer = (c: CustomerFile, status: "approved" | "rejected"): DecideLimitChangeResult => ({
      status,
      creditLimit: c.creditLimit,
      temporaryLimit: temporaryResult(c, now),
    });
    if (request.status !== "pending") {
      // A retried call (no requestId) by the same decider with the same decision gets the first answer.
      if (request.decidedBy === caller.uid && request.status === wanted) return answer(customer, wanted);
      throw precondition(`limit request is already ${request.status}`);
    }
    if (request.requestedBy === caller.uid)
      throw precondition("four-eyes rule: the requester cannot decide their own request");
    const audit = new AuditAppender(tx, chains.customer(request.customerId), headOf(read.head.data()), now);
    if (input.decision === "reject") {
      const decided = {
        ...personMemo(caller, now, input.note, input.reasonCodes, ["LIMIT_REQUEST_REJECTED"]),
        updatedAt: now,
      };
      tx.update(ref, marked(ref, limitRequestToStored({ status: "rejected", ...decided })));
      audit.append({
        action: "limit.reject",
        actor: caller,
        target: ref.path,
        before: { status: "pending" },
        after: { status: "rejected", reasonCodes: decided.reasonCodes },
        reason: input.note,
        requestId: input.requestId ?? null,
      });
      const out = answer(customer, "rejected");
      recordResult(tx, key, out, now);
      return out;
    }
    const current = limitsOf(customer, now);
    const basis = request.basis ?? {
      creditLimit: request.currentLimit,
      temporaryLimit: request.kind === "temporary" ? current.temporaryLimit : null,
    };
    if (basisChanged(request.kind, basis, current, now)) {
      throw precondition("the limits changed since this request was made; reject it and request again", {
        reason: "BASIS_CHANGED",
      });
    }
    if (request.kind === "temporary" && request.expiresAt !== null && request.expiresAt <= now) {
      throw precondition("the temporary limit's expiry has passed; reject it and request again", { reason: "EXPIRED" });
    }
    const plan = planLimitChange(
      current,
      { kind: request.kind, newLimit: request.newLimit, expiresAt: request.expiresAt },
      now,
    );
    if (!plan.ok)
      throw precondition(`the request no longer applies: ${plan.field} ${plan.message}; reject it and request again`, {
        reason: "BASIS_CHANGED",
      });
    if (plan.direction === "increase") {
      // Authority is in the base currency, converted into the customer's at decision time.
      if (
        !withinAuthority(caller.role, request.newLimit, policyInCurrency(policy, customer.currency, table).authority)
      ) {
        throw new CreditDeskError(
          "permission-denied",
          `a limit of ${request.newLimit} minor units of ${customer.currency} is above the ${caller.role} approval authority${authorityNote(policy, customer.currency)}`,
        );
      }
      if (customer.flags.noLimitIncrease) throw NO_INCREASE();
    }
    const implied = plan.direction === "increase" ? ["LIMIT_INCREASE_APPROVED"] : ["LIMIT_DECREASE"];
    const memo = personMemo(caller, now, input.note, input.reasonCodes, implied);
    tx.update(ref, marked(ref, limitRequestToStored({ status: "approved", ...memo, updatedAt: now })));
    const change = applyLimits(customer, plan.next, now);
    writeCustomer(tx, request.customerId, change.patch, read);
    audit.append({
      action: plan.direction === "increase" ? "limit.approve" : "limit.decrease",
      actor: caller,
      target: custRef.path,
      before: change.before,
      after: {
        ...change.after,
        limitRequestId: input.limitRequestId,
        kind: request.kind,
        requestedBy: request.requestedBy,
        reasonCodes: memo.reasonCodes,
        ...(plan.direction === "increase" ? conversionOf(policy, customer.currency, table) : {}),
      },
      reason: input.note,
      requestId: input.requestId ?? null,
    });
    const out = answer(change.file, "approved");
    recordResult(tx, key, out, now);
    return out;
  });
}

/**
 * What a status change answers: the status in force, which part of it is (manual: a person's;
 * automatic: a penalty's), and the status change document keeping the decision memo.
 */
export interface SetCreditStatusResult {
  status: CreditStatus;
  statusKind: "manual" | "automatic" | null;
  /** The status change's document (customers/{id}/statusChanges/{id}): its decision memo. */
  statusChangeId: string;
}

const STATUS_CODE: Record<CreditStatus, string> = {
  active: "REACTIVATED",
  on_hold: "MANUAL_HOLD",
  suspended: "MANUAL_SUSPENSION",
};

/**
 * A person's hold or suspension: the manual part of the status (domain/status.ts); only a person
 * lifts it. The status in force is the harsher of it and the penalty's automatic part, so setting
 * a hold on a suspended file keeps it suspended. Releasing (active) is refused while a penalty is
 * not cured: the answer names the cure the policy asks for.
 *
 * The decision memo lives on a status change document of its own
 * (customers/{id}/statusChanges/{changeId}: before, after, note, reason codes, who and when —
 * credit staff and auditors read it), because the credit file holds only the status in force;
 * creditState names the change in force (`statusChangeId`), and the manual part's reason is the
 * memo's first reason code (the decider's, else MANUAL_HOLD / MANUAL_SUSPENSION).
 */
export async function setCreditStatus(
  input: SetCreditStatusInput,
  caller: Caller,
  now: number,
  policy: CreditPolicy,
): Promise<SetCreditStatusResult> {
  const db = firestore();
  const custRef = customerRefs.customer(input.customerId);
  const changeRef = customerRefs.newStatusChange(input.customerId);
  const key = idempotencyKey("setCreditStatus", caller.uid, input);
  return db.runTransaction(async (tx) => {
    const [prior, read] = await Promise.all([
      priorResult<SetCreditStatusResult>(tx, key),
      readCustomer(tx, input.customerId),
    ]);
    if (prior !== undefined) return prior;
    const customer = read.file;
    if (!customer) throw notFound("customer", input.customerId);
    // The penalty as of now, from the ledger re-aged today (with the cure rule).
    const aggregates = summarize((customer.ledger as LedgerState | undefined) ?? emptyLedger(), now);
    const level = penaltyLevel(aggregates, policy.penalties, customer.monitor?.penaltyLevel ?? 0, now);
    const parts = statusPartsOf(customer);
    const held: "suspended" | "on_hold" | null = level >= 3 ? "suspended" : level === 2 ? "on_hold" : null;
    const automatic =
      held === null
        ? null
        : parts.automatic?.status === held
          ? parts.automatic
          : { status: held, reason: parts.automatic?.reason ?? "PENALTY_NOT_CURED" };
    if (input.status === "active" && automatic) {
      const cure = cureFor(aggregates, policy.penalties);
      throw precondition(`the penalty (${automatic.reason}) lifts only with its cure: ${cure.join(", ")}`, {
        reason: "PENALTY_NOT_CURED",
        cure,
      });
    }
    const memo = personMemo(caller, now, input.reason, input.reasonCodes, [STATUS_CODE[input.status]]);
    const manual =
      input.status === "active"
        ? null
        : { status: input.status as "on_hold" | "suspended", reason: memo.reasonCodes[0]! };
    const fields = statusFields({ manual, automatic });
    const before = {
      status: customer.status,
      statusKind: customer.statusKind,
      statusReason: customer.statusReason ?? null,
    };
    const after = { status: fields.status, statusKind: fields.statusKind, statusReason: fields.statusReason };
    tx.set(
      changeRef,
      toStored({
        customerId: input.customerId,
        before,
        after,
        manual,
        automatic,
        ...memo,
      }) as FirebaseFirestore.DocumentData,
    );
    writeCustomer(
      tx,
      input.customerId,
      {
        status: fields.status,
        statusKind: fields.statusKind,
        statusReason: fields.statusReason,
        statusParts: fields.statusParts,
        statusChangeId: changeRef.id,
        monitor: { ...(customer.monitor ?? {}), penaltyLevel: level },
        updatedAt: now,
      },
      read,
    );
    new AuditAppender(tx, chains.customer(input.customerId), headOf(read.head.data()), now).append({
      action: "customer.status",
      actor: caller,
      target: custRef.path,
      before: {
        status: customer.status,
        statusKind: customer.statusKind,
        manual: parts.manual,
        automatic: parts.automatic,
      },
      after: {
        status: fields.status,
        statusKind: fields.statusKind,
        manual,
        automatic,
        statusChangeId: changeRef.id,
        reasonCodes: memo.reasonCodes,
      },
      reason: input.reason,
      requestId: input.requestId ?? null,
    });
    const out: SetCreditStatusResult = {
      status: fields.status,
      statusKind: fields.statusKind,
      statusChangeId: changeRef.id,
    };
    recordResult(tx, key, out, now);
    return out;
  });
}
