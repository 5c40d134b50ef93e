/**
 * Reacting to a write of `config/creditPolicy` (console or Admin SDK edits bypass the
 * callables): audit the edit, raise or resolve the `policy_invalid` alert at once, and
 * keep the last valid override for the loader's fallback. One transaction, deduplicated
 * by event id (processedEvents/policyWritten_{eventId}) and idempotent by nature:
 *  - the alert follows the document as stored *now* (events may arrive late or out of
 *    order; an older event can never reopen an alert a newer valid edit closed);
 *  - the last valid override only ever moves forward in update time.
 */
import { Timestamp, type DocumentData } from "firebase-admin/firestore";
import { alertRefFor, raisedAlertDoc, resolvedAlertPatch, type AlertInput } from "../data/alerts.js";
import { AuditAppender, chains, headOf } from "../data/audit.js";
import { firestore } from "../data/firebase.js";
import { paths } from "../data/paths.js";
import { LAST_GOOD_POLICY_PATH } from "../data/policy.js";
import { alertId } from "../domain/alerts.js";
import { canonicalJson, changedFields } from "../domain/audit.js";
import { resolvePolicy } from "../domain/policy.js";
import { failureCode, isTransient } from "../domain/failures.js";
import { logs } from "../logs.js";
import { SYSTEM_ACTOR } from "./alerts.js";
import { clearPolicyCache } from "./policy.js";
import { DAY_MS } from "../domain/time.js";

export const POLICY_TRIGGER = "policyWritten";
export const POLICY_ALERT_SUBJECT = { kind: "system", id: "creditPolicy" } as const;
/** The author of a console or Admin SDK edit is not known to a plain document trigger. */
export const CONSOLE_ACTOR = { uid: "console", role: null } as const;
/** Dedupe markers may be deleted by a TTL policy on `expireAt` after this long. */
const MARKER_TTL_MS = 7 * DAY_MS;
const MAX_AUDITED_DIFF = 200_000;

export interface PolicyWriteEvent {
  eventId: string;
  before: DocumentData | undefined;
  after: DocumentData | undefined;
  /** Update time of the written version (epoch ms); null for a delete. */
  afterUpdateTime: number | null;
}

export type PolicyWatchOutcome = {
  duplicate: boolean;
  /** Whether the edited version is valid (a delete means defaults: valid). */
  editValid: boolean;
  alert: "raised" | "resolved" | "unchanged";
};

function issuePaths(issues: Array<{ path: string }>): string {
  return issues
    .map((i) => i.path)
    .slice(0, 10)
    .join(",");
}

export async function onPolicyWritten(ev: PolicyWriteEvent, now: number): Promise<PolicyWatchOutcome> {
  const db = firestore();
  const markerRef = db.doc(paths.processedEvent(`${POLICY_TRIGGER}_${ev.eventId}`));
  const policyRef = db.doc(paths.policy());
  const lastGoodRef = db.doc(LAST_GOOD_POLICY_PATH);
  const alertRef = alertRefFor(POLICY_ALERT_SUBJECT, "policy_invalid");
  const system = chains.system();
  const edited = resolvePolicy(ev.after);

  const outcome = await db.runTransaction(
    async (tx): Promise<PolicyWatchOutcome & { issues: Array<{ path: string }> }> => {
      const [marker, current, lastGood, alert, head] = await Promise.all([
        tx.get(markerRef),
        tx.get(policyRef),
        tx.get(lastGoodRef),
        tx.get(alertRef),
        tx.get(system.headDoc),
      ]);
      if (marker.exists) return { duplicate: true, editValid: edited.ok, alert: "unchanged", issues: [] };
      const audit = new AuditAppender(tx, system, headOf(head.data()), now);

      let diff = changedFields(ev.before ?? null, ev.after ?? null);
      // A document near 1 MiB must not make the audit entry too large to store: keys only then.
      if (canonicalJson(diff).length > MAX_AUDITED_DIFF) {
        diff = {
          before: { changedKeys: Object.keys(diff.after ?? diff.before ?? {}) },
          after: { changedKeys: Object.keys(diff.after ?? diff.before ?? {}) },
        };
      }
      audit.append({
        action: "policy.edit",
        actor: CONSOLE_ACTOR,
        target: policyRef.path,
        before: diff.before,
        after: diff.after,
        reason: edited.ok ? "POLICY_VALID" : "POLICY_INVALID",
        requestId: null,
      });

      // The last valid override moves forward only (an old event never overwrites a newer one).
      const lastGoodTime =
        typeof lastGood.get("updateTime") === "number" ? (lastGood.get("updateTime") as number) : -Infinity;
      if (edited.ok && ev.after && ev.afterUpdateTime !== null && ev.afterUpdateTime > lastGoodTime) {
        tx.set(lastGoodRef, { override: ev.after, updateTime: ev.afterUpdateTime, savedAt: Timestamp.fromMillis(now) });
      }

      // The alert follows what is stored now.
      const stored = resolvePolicy(current.data());
      let alertChange: PolicyWatchOutcome["alert"] = "unchanged";
      if (!stored.ok) {
        const input: AlertInput = {
          type: "policy_invalid",
          subject: POLICY_ALERT_SUBJECT,
          code: "POLICY_INVALID",
          details: { paths: issuePaths(stored.issues) },
        };
        const doc = raisedAlertDoc(alert.data(), input, now);
        if (doc) {
          tx.set(alertRef, doc);
          audit.append({
            action: "alert.raise",
            actor: SYSTEM_ACTOR,
            target: alertRef.path,
            before: null,
            after: { type: input.type, code: input.code, status: "open" },
            reason: input.code,
            requestId: null,
          });
          alertChange = "raised";
        }
      } else if (alert.get("status") === "open") {
        tx.update(alertRef, resolvedAlertPatch("condition_cleared", SYSTEM_ACTOR.uid, "POLICY_VALID_AGAIN", now));
        audit.append({
          action: "alert.auto_resolve",
          actor: SYSTEM_ACTOR,
          target: alertRef.path,
          before: { status: "open" },
          after: { status: "resolved" },
          reason: "POLICY_VALID_AGAIN",
          requestId: null,
        });
        alertChange = "resolved";
      }

      tx.set(markerRef, {
        fn: POLICY_TRIGGER,
        eventId: ev.eventId,
        at: Timestamp.fromMillis(now),
        expireAt: Timestamp.fromMillis(now + MARKER_TTL_MS),
      });
      return { duplicate: false, editValid: edited.ok, alert: alertChange, issues: stored.ok ? [] : stored.issues };
    },
  );

  if (outcome.duplicate) {
    logs.triggerDuplicate(POLICY_TRIGGER, ev.eventId);
  } else {
    clearPolicyCache();
    if (!edited.ok) logs.policyInvalid(edited.issues);
    const id = alertId(POLICY_ALERT_SUBJECT, "policy_invalid");
    if (outcome.alert === "raised") logs.alertRaised(id, "policy_invalid", POLICY_ALERT_SUBJECT.id);
    if (outcome.alert === "resolved") logs.alertResolved(id, "policy_invalid");
  }
  return { duplicate: outcome.duplicate, editValid: outcome.editValid, alert: outcome.alert };
}

/**
 * The trigger's entry: retried on transient failures (deduplicated by event id, so a retry is
 * safe: this is the only place the fallback and the alert are kept); anything else would fail
 * the same way on every delivery, so it is logged with its code and the event is done.
 */
export async function watchPolicyWrite(ev: PolicyWriteEvent, now: number): Promise<PolicyWatchOutcome | null> {
  try {
    return await onPolicyWritten(ev, now);
  } catch (err) {
    if (isTransient(err)) throw err;
    logs.triggerFailed(POLICY_TRIGGER, ev.eventId, failureCode(err));
    return null;
  }
}
