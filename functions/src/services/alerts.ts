/**
 * Raising and resolving alerts outside a larger use-case (jobs, policy loader, backup).
 * Each call is one transaction: the alert and its audit entry in the subject's chain.
 */
import { alertId } from "../domain/alerts.js";
import { AuditAppender, chains, headOf, type AuditChain } from "../data/audit.js";
import { alertRefFor, raisedAlertDoc, resolvedAlertPatch, type AlertInput } from "../data/alerts.js";
import { firestore } from "../data/firebase.js";
import { logs } from "../logs.js";

export const SYSTEM_ACTOR = { uid: "system", role: "system" } as const;

function chainFor(input: AlertInput): AuditChain {
  switch (input.subject.kind) {
    case "customer":
      return chains.customer(input.subject.id);
    case "application":
      return chains.application(input.subject.id);
    default:
      return chains.system();
  }
}

/** Raise an alert (no-op when already open). Returns whether a new alert was opened. */
export async function raiseAlert(input: AlertInput, now: number): Promise<boolean> {
  const db = firestore();
  const ref = alertRefFor(input.subject, input.type);
  const chain = chainFor(input);
  const opened = await db.runTransaction(async (tx) => {
    const [existing, headSnap] = await Promise.all([tx.get(ref), tx.get(chain.headDoc)]);
    const doc = raisedAlertDoc(existing.data(), input, now);
    if (!doc) return false;
    tx.set(ref, doc);
    new AuditAppender(tx, chain, headOf(headSnap.data()), now).append({
      action: "alert.raise",
      actor: SYSTEM_ACTOR,
      target: ref.path,
      before: null,
      after: { type: input.type, code: input.code, status: "open" },
      reason: input.code,
      requestId: null,
    });
    return true;
  });
  if (opened) logs.alertRaised(alertId(input.subject, input.type), input.type, input.subject.id);
  return opened;
}

/** Resolve an open alert because its condition cleared. Returns whether it was open. */
export async function resolveAlertCondition(input: Omit<AlertInput, "code">, reason: string, now: number): Promise<boolean> {
  const db = firestore();
  const ref = alertRefFor(input.subject, input.type);
  const chain = chainFor({ ...input, code: reason });
  const resolved = await db.runTransaction(async (tx) => {
    const [existing, headSnap] = await Promise.all([tx.get(ref), tx.get(chain.headDoc)]);
    if (existing.data()?.status !== "open") return false;
    tx.update(ref, resolvedAlertPatch("condition_cleared", SYSTEM_ACTOR.uid, reason, now));
    new AuditAppender(tx, chain, headOf(headSnap.data()), now).append({
      action: "alert.auto_resolve",
      actor: SYSTEM_ACTOR,
      target: ref.path,
      before: { status: "open" },
      after: { status: "resolved" },
      reason,
      requestId: null,
    });
    return true;
  });
  if (resolved) logs.alertResolved(alertId(input.subject, input.type), input.type);
  return resolved;
}
