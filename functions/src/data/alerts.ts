import { Timestamp, type DocumentData, type Transaction } from "firebase-admin/firestore";
import { ALERT_SEVERITY, alertId, type AlertSubject, type AlertType } from "../domain/alerts.js";
import { firestore } from "./firebase.js";
import { paths } from "./paths.js";

export interface AlertInput {
  type: AlertType;
  subject: AlertSubject;
  /** A code naming the cause (no personal data, no figures). */
  code: string;
  /** Codes and ids only. */
  details?: Record<string, string | number | boolean | null>;
}

export function alertRef(id: string) {
  return firestore().doc(paths.alert(id));
}

export function alertRefFor(subject: AlertSubject, type: AlertType) {
  return alertRef(alertId(subject, type));
}

/**
 * The document an alert should hold after being raised, given what is stored now
 * (read first in the caller's transaction). Returns null when it is already open
 * (one open alert per subject and type; raising again changes nothing).
 */
export function raisedAlertDoc(
  existing: DocumentData | undefined,
  input: AlertInput,
  now: number,
): DocumentData | null {
  if (existing?.status === "open") return null;
  const ts = Timestamp.fromMillis(now);
  return {
    type: input.type,
    severity: ALERT_SEVERITY[input.type],
    subject: input.subject,
    customerId: input.subject.kind === "customer" ? input.subject.id : null,
    status: "open",
    code: input.code,
    details: input.details ?? {},
    raisedAt: ts,
    updatedAt: ts,
    resolvedAt: null,
    resolution: null,
    resolvedBy: null,
    occurrences: (typeof existing?.occurrences === "number" ? existing.occurrences : 0) + 1,
  };
}

export function resolvedAlertPatch(resolution: string, by: string, note: string | null, now: number): DocumentData {
  const ts = Timestamp.fromMillis(now);
  return { status: "resolved", resolution, resolvedBy: by, note, resolvedAt: ts, updatedAt: ts };
}

/** Raise within a transaction whose reads are done: `existing` is the alert document's data. */
export function writeRaisedAlert(
  tx: Transaction,
  existing: DocumentData | undefined,
  input: AlertInput,
  now: number,
): boolean {
  const doc = raisedAlertDoc(existing, input, now);
  if (!doc) return false;
  tx.set(alertRefFor(input.subject, input.type), doc);
  return true;
}
