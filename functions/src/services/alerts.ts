/**
 * Raising and resolving alerts outside a larger use-case (jobs, policy loader, backup).
 * Each call is one transaction: the alert and its audit entry in the subject's chain.
 */
import { alertId, type AlertSubject } from "../domain/alerts.js";
import { notFound, precondition } from "../domain/errors.js";
import { openAlertsAfterManualResolve } from "../domain/monitoring.js";
import type { Caller } from "../domain/roles.js";
import { idempotencyKey, priorResult, recordResult } from "../data/requests.js";
import { AuditAppender, chains, headOf, type AuditChain } from "../data/audit.js";
import { alertRef, alertRefFor, raisedAlertDoc, resolvedAlertPatch, type AlertInput } from "../data/alerts.js";
import { readCustomer, writeCustomer } from "../data/customers.js";
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
export async function resolveAlertCondition(
  input: Omit<AlertInput, "code">,
  reason: string,
  now: number,
): Promise<boolean> {
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

/**
 * resolveAlert: a person closes an open alert with a resolution and a note. For customer
 * alerts the credit file's `openAlerts` map is kept in step, in the same transaction.
 */
export async function resolveAlertByPerson(
  input: { alertId: string; resolution: string; note: string; requestId?: string | undefined },
  caller: Caller,
  now: number,
): Promise<{ status: "resolved"; alertId: string }> {
  const db = firestore();
  const ref = alertRef(input.alertId);
  const key = idempotencyKey("resolveAlert", caller.uid, input);
  return db.runTransaction(async (tx) => {
    const prior = await priorResult<{ status: "resolved"; alertId: string }>(tx, key);
    if (prior !== undefined) return prior;
    const snap = await tx.get(ref);
    if (!snap.exists) throw notFound("alert", input.alertId);
    const alert = snap.data()!;
    if (alert.status !== "open") throw precondition(`alert is already ${alert.status}`);
    const subject = alert.subject as AlertSubject;
    const chain =
      subject.kind === "customer"
        ? chains.customer(subject.id)
        : subject.kind === "application"
          ? chains.application(subject.id)
          : chains.system();
    const customer = subject.kind === "customer" ? await readCustomer(tx, subject.id) : null;
    const headSnap = customer ? customer.head : await tx.get(chain.headDoc);
    tx.update(ref, resolvedAlertPatch(input.resolution, caller.uid, input.note, now));
    if (customer?.file) {
      // Resolved by a person while the condition may still hold: not raised again until it clears.
      writeCustomer(
        tx,
        subject.id,
        { openAlerts: openAlertsAfterManualResolve(customer.file.openAlerts, alert.type as string) },
        customer,
      );
    }
    new AuditAppender(tx, chain, headOf(headSnap.data()), now).append({
      action: "alert.resolve",
      actor: caller,
      target: ref.path,
      before: { status: "open" },
      after: { status: "resolved", resolution: input.resolution },
      reason: input.note,
      requestId: input.requestId ?? null,
    });
    const out = { status: "resolved" as const, alertId: input.alertId };
    recordResult(tx, key, out, now);
    return out;
  });
}
