/**
 * A manager's judgement on the class: a documented override (classOverrides/{id}; the class in
 * force until it expires, then the computed one again — the daily monitor puts it back) and the
 * clearing of a fraud hold found to be a false positive (the flag and the hold it caused go;
 * the signals stay in the assessment's history). Each is one transaction with its audit entry.
 */
import type { DocumentData } from "firebase-admin/firestore";
import { alertRefFor, resolvedAlertPatch } from "../data/alerts.js";
import { AuditAppender, chains, headOf } from "../data/audit.js";
import { toStored } from "../data/convert.js";
import { customerRefs, readCustomer, writeCustomer } from "../data/customers.js";
import { firestore } from "../data/firebase.js";
import { docToStored, judgementRefs } from "../data/judgement.js";
import { idempotencyKey, priorResult, recordResult } from "../data/requests.js";
import { availableCredit, withAggregates, type ClassOverride, type CustomerFile } from "../domain/customer.js";
import { notFound, precondition } from "../domain/errors.js";
import { checkOverrideExpiry, type ClassOverrideDoc } from "../domain/judgement.js";
import { emptyLedger, summarize, type LedgerState } from "../domain/ledger.js";
import { penaltyCap, penaltyLevel } from "../domain/monitoring.js";
import { classInForce, overrideInForce, rescoreFromFile } from "../domain/reassessment.js";
import type { Caller } from "../domain/roles.js";
import { statusFields, statusPartsOf } from "../domain/status.js";
import type { ClearFraudHoldInput, OverrideClassificationInput } from "../schemas/callables.js";
import type { CreditPolicy, Tier } from "../schemas/policy.js";
import { logs } from "../logs.js";

export interface OverrideClassificationResult {
  overrideId: string;
  tier: Tier;
  /** The class the rules give now (what the file goes back to at expiry, unless it changes meanwhile). */
  computedTier: Tier;
  expiresAt: string;
}

export interface ClearFraudHoldResult {
  status: CustomerFile["status"];
  statusKind: "manual" | "automatic" | null;
  tier: Tier;
}

/** The file re-aged and rescored as of now, without any override: the computed class and its reasons. */
function computedNow(customer: CustomerFile, now: number, policy: CreditPolicy) {
  const aggregates = summarize((customer.ledger as LedgerState | undefined) ?? emptyLedger(), now);
  const file = withAggregates(customer, aggregates);
  const a = rescoreFromFile(file, now, policy);
  const level = penaltyLevel(aggregates, policy.penalties, customer.monitor?.penaltyLevel ?? 0, now);
  return {
    file,
    aggregates,
    assessment: a,
    computed: classInForce(a.tier, penaltyCap(level), null, a.classReasons, now),
  };
}

/** A manager overrides the class with a documented reason until `expiresAt`. */
export async function overrideClassification(
  input: OverrideClassificationInput,
  caller: Caller,
  now: number,
  policy: CreditPolicy,
): Promise<OverrideClassificationResult> {
  checkOverrideExpiry(input.expiresAt, now, policy);
  const db = firestore();
  const key = idempotencyKey("overrideClassification", caller.uid, input);
  const ref = judgementRefs.newClassOverride();
  const result = await db.runTransaction(async (tx) => {
    const [prior, read] = await Promise.all([
      priorResult<OverrideClassificationResult>(tx, key),
      readCustomer(tx, input.customerId),
    ]);
    if (prior !== undefined) return prior;
    const customer = read.file;
    if (!customer) throw notFound("customer", input.customerId);
    const { computed } = computedNow(customer, now, policy);
    const previous = overrideInForce(customer.classOverride, now);
    const override: ClassOverride = {
      overrideId: ref.id,
      tier: input.tier,
      reason: input.reason,
      expiresAt: input.expiresAt,
      decidedBy: caller.uid,
      decidedByRole: caller.role,
      decidedAt: now,
    };
    const reasonCodes = [
      `CLASS_OVERRIDDEN_TO_${input.tier.toUpperCase()}`,
      `COMPUTED_${computed.tier.toUpperCase()}`,
      ...computed.classReasons,
    ];
    const doc: ClassOverrideDoc & { replaces: string | null } = {
      customerId: input.customerId,
      tier: input.tier,
      computedTier: computed.tier,
      reason: input.reason,
      expiresAt: input.expiresAt,
      createdAt: now,
      replaces: previous?.overrideId ?? null,
      note: input.reason,
      reasonCodes,
      decidedBy: caller.uid,
      decidedByRole: caller.role,
      decidedAt: now,
    };
    tx.create(ref, docToStored(doc));
    const classReasons = [`CLASS_OVERRIDDEN_TO_${input.tier.toUpperCase()}`];
    writeCustomer(
      tx,
      input.customerId,
      { tier: input.tier, classOverride: override, classReasons, updatedAt: now },
      read,
    );
    tx.set(
      customerRefs.assessment(input.customerId),
      toStored({
        tier: input.tier,
        computedTier: computed.tier,
        classReasons,
        classOverride: override,
        updatedAt: now,
      }) as DocumentData,
      { merge: true },
    );
    new AuditAppender(tx, chains.customer(input.customerId), headOf(read.head.data()), now).append({
      action: "class.override",
      actor: caller,
      target: ref.path,
      before: { tier: customer.tier, overrideId: previous?.overrideId ?? null },
      after: {
        tier: input.tier,
        computedTier: computed.tier,
        overrideId: ref.id,
        expiresAt: new Date(input.expiresAt).toISOString(),
        reasonCodes,
      },
      reason: input.reason,
      requestId: input.requestId ?? null,
    });
    const out: OverrideClassificationResult = {
      overrideId: ref.id,
      tier: input.tier,
      computedTier: computed.tier,
      expiresAt: new Date(input.expiresAt).toISOString(),
    };
    recordResult(tx, key, out, now);
    return out;
  });
  logs.classOverridden(input.customerId, result.overrideId, result.tier);
  return result;
}

/**
 * A manager found the fraud signals a false positive: the fraud flag goes, and with it the hold
 * the signals put on the file (the manual part of the status with reason FRAUD_SIGNALS; a hold a
 * person set for another reason, or a penalty, stays). The open fraud_signal alert is resolved
 * as a false positive; the signals stay in the assessment document, with the clearance beside them.
 */
export async function clearFraudHold(
  input: ClearFraudHoldInput,
  caller: Caller,
  now: number,
  policy: CreditPolicy,
): Promise<ClearFraudHoldResult> {
  const db = firestore();
  const key = idempotencyKey("clearFraudHold", caller.uid, input);
  const alertRef = alertRefFor({ kind: "customer", id: input.customerId }, "fraud_signal");
  const result = await db.runTransaction(async (tx) => {
    const [prior, read, alertSnap] = await Promise.all([
      priorResult<ClearFraudHoldResult>(tx, key),
      readCustomer(tx, input.customerId),
      tx.get(alertRef),
    ]);
    if (prior !== undefined) return prior;
    const customer = read.file;
    if (!customer) throw notFound("customer", input.customerId);
    if (!customer.flags.fraudHold) throw precondition("this customer has no fraud hold", { reason: "NO_FRAUD_HOLD" });
    const parts = statusPartsOf(customer);
    const manual = parts.manual?.reason === "FRAUD_SIGNALS" ? null : parts.manual;
    const status = statusFields({ manual, automatic: parts.automatic });
    const flags = { ...customer.flags, fraudHold: false };
    const { file, aggregates, assessment } = computedNow({ ...customer, flags }, now, policy);
    const level = penaltyLevel(aggregates, policy.penalties, customer.monitor?.penaltyLevel ?? 0, now);
    const cls = classInForce(assessment.tier, penaltyCap(level), customer.classOverride, assessment.classReasons, now);
    const memo = {
      note: input.reason,
      reasonCodes: ["FRAUD_HOLD_CLEARED", "FALSE_POSITIVE"],
      decidedBy: caller.uid,
      decidedByRole: caller.role,
      decidedAt: now,
    };
    const openAlerts = { ...(customer.openAlerts ?? {}) };
    delete openAlerts.fraud_signal;
    const alertOpen = alertSnap.data()?.status === "open";
    if (alertOpen) tx.update(alertRef, resolvedAlertPatch("false_positive", caller.uid, input.reason, now));
    const next = { ...file, ...status, flags };
    writeCustomer(
      tx,
      input.customerId,
      {
        ...status,
        flags,
        aggregates,
        availableCredit: availableCredit(next, now),
        score: assessment.score,
        grade: assessment.grade,
        confidence: assessment.confidence,
        tier: cls.tier,
        classReasons: cls.classReasons,
        openAlerts,
        fraudHoldCleared: memo,
        updatedAt: now,
      },
      read,
    );
    tx.set(customerRefs.assessment(input.customerId), toStored({ fraudHoldCleared: memo }) as DocumentData, {
      merge: true,
    });
    const audit = new AuditAppender(tx, chains.customer(input.customerId), headOf(read.head.data()), now);
    if (alertOpen) {
      audit.append({
        action: "alert.resolve",
        actor: caller,
        target: alertRef.path,
        before: { status: "open" },
        after: { status: "resolved", resolution: "false_positive" },
        reason: input.reason,
        requestId: input.requestId ?? null,
      });
    }
    audit.append({
      action: "fraud_hold.clear",
      actor: caller,
      target: customerRefs.customer(input.customerId).path,
      before: { fraudHold: true, status: customer.status, statusKind: customer.statusKind, tier: customer.tier },
      after: {
        fraudHold: false,
        status: status.status,
        statusKind: status.statusKind,
        tier: cls.tier,
        reasonCodes: memo.reasonCodes,
      },
      reason: input.reason,
      requestId: input.requestId ?? null,
    });
    const out: ClearFraudHoldResult = { status: status.status, statusKind: status.statusKind, tier: cls.tier };
    recordResult(tx, key, out, now);
    return out;
  });
  logs.fraudHoldCleared(input.customerId);
  return result;
}
