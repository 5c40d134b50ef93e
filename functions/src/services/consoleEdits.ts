/**
 * Console edits on the record: a change of a customer's head or credit state, an application
 * or a limit request that no service made (domain/consoleEdits.ts) is appended to the
 * subject's audit chain as `console.edit` with the changed fields before and after, and raises
 * a `console_edit` alert for the subject. A deleted customer head goes to the system chain and
 * raises `audit_broken` (its chain has lost its subject). One transaction per event,
 * deduplicated by event id (processedEvents/consoleEdit_{eventId}).
 */
import { createHash } from "node:crypto";
import { Timestamp, type DocumentData } from "firebase-admin/firestore";
import { auditKeyring } from "../config.js";
import { alertRefFor, raisedAlertDoc } from "../data/alerts.js";
import { AuditAppender, chains, headOf, type AuditChain } from "../data/audit.js";
import { firestore } from "../data/firebase.js";
import { paths } from "../data/paths.js";
import type { AlertSubject, AlertType } from "../domain/alerts.js";
import { consoleEditOf, type WatchedKind } from "../domain/consoleEdits.js";
import { logs } from "../logs.js";
import { CONSOLE_ACTOR } from "./policyWatch.js";
import { DAY_MS } from "../domain/time.js";

const TRIGGER = "consoleEdit";
const MARKER_TTL_MS = 7 * DAY_MS;
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

export interface WatchedWriteEvent {
  eventId: string;
  kind: WatchedKind;
  /** The written document's path. */
  path: string;
  /** The customer (head, credit state, limit request) or application the document belongs to. */
  subjectId: string;
  before: DocumentData | null;
  after: DocumentData | null;
}

function chainOf(
  ev: WatchedWriteEvent,
  deletedHead: boolean,
): { chain: AuditChain; subject: AlertSubject; alert: AlertType } {
  if (ev.kind === "application")
    return {
      chain: chains.application(ev.subjectId),
      subject: { kind: "application", id: ev.subjectId },
      alert: "console_edit",
    };
  // The chain head lives on the customer's head: with the head gone, the system chain keeps the record.
  if (deletedHead)
    return { chain: chains.system(), subject: { kind: "customer", id: ev.subjectId }, alert: "audit_broken" };
  return {
    chain: chains.customer(ev.subjectId),
    subject: { kind: "customer", id: ev.subjectId },
    alert: "console_edit",
  };
}

export async function recordConsoleEdit(
  ev: WatchedWriteEvent,
  now: number,
): Promise<"service" | "recorded" | "duplicate"> {
  const edit = consoleEditOf(ev.path, ev.before, ev.after, auditKeyring(), sha256);
  if (!edit) return "service";
  const db = firestore();
  const { chain, subject, alert } = chainOf(ev, ev.kind === "customer" && edit.deleted);
  const markerRef = db.doc(paths.processedEvent(`${TRIGGER}_${ev.eventId}`));
  const alertRef = alertRefFor(subject, alert);
  const outcome = await db.runTransaction(async (tx) => {
    const [marker, head, existing] = await Promise.all([tx.get(markerRef), tx.get(chain.headDoc), tx.get(alertRef)]);
    if (marker.exists) return "duplicate" as const;
    const audit = new AuditAppender(tx, chain, headOf(head.data()), now);
    audit.append({
      action: edit.deleted ? "console.delete" : "console.edit",
      actor: CONSOLE_ACTOR,
      target: ev.path,
      before: edit.before,
      after: edit.after,
      reason: edit.fields.join(",").slice(0, 500) || null,
      requestId: null,
    });
    const code = edit.deleted ? "CONSOLE_DELETE" : "CONSOLE_EDIT";
    const doc = raisedAlertDoc(
      existing.data(),
      { type: alert, subject, code, details: { kind: ev.kind, fields: edit.fields.join(",").slice(0, 300) } },
      now,
    );
    if (doc) tx.set(alertRef, doc);
    tx.set(markerRef, { at: Timestamp.fromMillis(now), expireAt: Timestamp.fromMillis(now + MARKER_TTL_MS) });
    return "recorded" as const;
  });
  if (outcome === "recorded") logs.consoleEditRecorded(ev.kind, subject.id, edit.fields.length);
  return outcome;
}
