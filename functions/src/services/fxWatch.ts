/**
 * Reacting to a write of `config/fxRates` (console or Admin SDK edits): audit the edit in the
 * system chain, raise or resolve `fx_rates_invalid` and `fx_rates_stale` at once, and keep the
 * last valid table for the loader's fallback. One transaction, deduplicated by event id
 * (processedEvents/fxRatesWritten_{eventId}); like the policy's watch (services/policyWatch.ts):
 *  - the alerts follow the document as stored *now* (a late or redelivered event never reopens
 *    an alert a newer edit closed);
 *  - the last valid table only moves forward in update time.
 */
import { Timestamp, type DocumentData } from "firebase-admin/firestore";
import { alertRefFor, raisedAlertDoc, resolvedAlertPatch, type AlertInput } from "../data/alerts.js";
import { AuditAppender, chains, headOf } from "../data/audit.js";
import { firestore } from "../data/firebase.js";
import { fxDocFromStored, fxRefs } from "../data/fx.js";
import { paths } from "../data/paths.js";
import { alertId, type AlertType } from "../domain/alerts.js";
import { changedFields } from "../domain/audit.js";
import { fxAgeDays, isStale, resolveFxTable } from "../domain/fxTable.js";
import type { CreditPolicy } from "../schemas/policy.js";
import { logs } from "../logs.js";
import { SYSTEM_ACTOR } from "./alerts.js";
import { clearFxCache, FX_ALERT_SUBJECT } from "./fx.js";
import { CONSOLE_ACTOR } from "./policyWatch.js";
import { DAY_MS } from "../domain/time.js";

export const FX_TRIGGER = "fxRatesWritten";
const MARKER_TTL_MS = 7 * DAY_MS;

export interface FxWriteEvent {
  eventId: string;
  before: DocumentData | undefined;
  after: DocumentData | undefined;
  /** Update time of the written version (epoch ms); null for a delete. */
  afterUpdateTime: number | null;
}

export interface FxWatchOutcome {
  duplicate: boolean;
  /** Whether the edited version is valid (a delete means the reference table in code: valid). */
  editValid: boolean;
  invalidAlert: "raised" | "resolved" | "unchanged";
  staleAlert: "raised" | "resolved" | "unchanged";
}

/** The document as the audit entry keeps it (a timestamp as its ISO string). */
function auditable(d: DocumentData | undefined): Record<string, unknown> | null {
  if (!d) return null;
  return { ...d, ...(d.asOf instanceof Timestamp ? { asOf: d.asOf.toDate().toISOString() } : {}) };
}

export async function onFxRatesWritten(ev: FxWriteEvent, now: number, policy: CreditPolicy): Promise<FxWatchOutcome> {
  const db = firestore();
  const markerRef = db.doc(paths.processedEvent(`${FX_TRIGGER}_${ev.eventId}`));
  const invalidRef = alertRefFor(FX_ALERT_SUBJECT, "fx_rates_invalid");
  const staleRef = alertRefFor(FX_ALERT_SUBJECT, "fx_rates_stale");
  const system = chains.system();
  const afterDoc = fxDocFromStored(ev.after);
  const edited = afterDoc === undefined ? null : resolveFxTable(afterDoc, policy, now);

  const outcome = await db.runTransaction(async (tx): Promise<FxWatchOutcome> => {
    const [marker, current, lastGood, invalidAlert, staleAlert, head] = await Promise.all([
      tx.get(markerRef),
      tx.get(fxRefs.table()),
      tx.get(fxRefs.lastGood()),
      tx.get(invalidRef),
      tx.get(staleRef),
      tx.get(system.headDoc),
    ]);
    const editValid = edited === null || edited.ok;
    if (marker.exists) return { duplicate: true, editValid, invalidAlert: "unchanged", staleAlert: "unchanged" };
    const audit = new AuditAppender(tx, system, headOf(head.data()), now);
    const diff = changedFields(auditable(ev.before), auditable(ev.after));
    audit.append({
      action: "fx.edit",
      actor: CONSOLE_ACTOR,
      target: fxRefs.table().path,
      before: diff.before,
      after: diff.after,
      reason: editValid ? "FX_RATES_VALID" : "FX_RATES_INVALID",
      requestId: null,
    });

    const lastGoodTime =
      typeof lastGood.get("updateTime") === "number" ? (lastGood.get("updateTime") as number) : -Infinity;
    if (edited?.ok && ev.after && ev.afterUpdateTime !== null && ev.afterUpdateTime > lastGoodTime) {
      tx.set(fxRefs.lastGood(), {
        table: ev.after,
        updateTime: ev.afterUpdateTime,
        savedAt: Timestamp.fromMillis(now),
      });
    }

    // The alerts follow what is stored now.
    const storedDoc = fxDocFromStored(current.data());
    const stored = storedDoc === undefined ? null : resolveFxTable(storedDoc, policy, now);
    const follow = (
      type: AlertType,
      ref: FirebaseFirestore.DocumentReference,
      existing: DocumentData | undefined,
      on: boolean,
      input: Omit<AlertInput, "type" | "subject">,
      cleared: string,
    ): FxWatchOutcome["invalidAlert"] => {
      if (on) {
        const doc = raisedAlertDoc(existing, { type, subject: FX_ALERT_SUBJECT, ...input }, now);
        if (!doc) return "unchanged";
        tx.set(ref, doc);
        audit.append({
          action: "alert.raise",
          actor: SYSTEM_ACTOR,
          target: ref.path,
          before: null,
          after: { type, code: input.code, status: "open" },
          reason: input.code,
          requestId: null,
        });
        return "raised";
      }
      if (existing?.status !== "open") return "unchanged";
      tx.update(ref, resolvedAlertPatch("condition_cleared", SYSTEM_ACTOR.uid, cleared, now));
      audit.append({
        action: "alert.auto_resolve",
        actor: SYSTEM_ACTOR,
        target: ref.path,
        before: { status: "open" },
        after: { status: "resolved" },
        reason: cleared,
        requestId: null,
      });
      return "resolved";
    };
    const invalid = stored !== null && !stored.ok;
    const invalidChange = follow(
      "fx_rates_invalid",
      invalidRef,
      invalidAlert.data(),
      invalid,
      {
        code: "FX_RATES_INVALID",
        details: {
          paths:
            invalid && !stored.ok
              ? stored.issues
                  .map((i) => i.path)
                  .slice(0, 10)
                  .join(",")
              : "",
        },
      },
      "FX_RATES_VALID_AGAIN",
    );
    // Staleness of a valid stored table (an invalid one is not in force; the daily check looks at the one that is).
    let staleChange: FxWatchOutcome["staleAlert"] = "unchanged";
    if (stored?.ok) {
      const stale = isStale(stored.table, now, policy);
      staleChange = follow(
        "fx_rates_stale",
        staleRef,
        staleAlert.data(),
        stale,
        {
          code: "FX_RATES_STALE",
          details: { ageDays: fxAgeDays(stored.table, now), maxAgeDays: policy.fx.maxAgeDays },
        },
        "FX_RATES_FRESH",
      );
    }
    tx.set(markerRef, {
      fn: FX_TRIGGER,
      eventId: ev.eventId,
      at: Timestamp.fromMillis(now),
      expireAt: Timestamp.fromMillis(now + MARKER_TTL_MS),
    });
    return { duplicate: false, editValid, invalidAlert: invalidChange, staleAlert: staleChange };
  });

  if (outcome.duplicate) {
    logs.triggerDuplicate(FX_TRIGGER, ev.eventId);
  } else {
    clearFxCache();
    if (edited && !edited.ok) logs.fxRatesInvalid(edited.issues);
    for (const [type, change] of [
      ["fx_rates_invalid", outcome.invalidAlert],
      ["fx_rates_stale", outcome.staleAlert],
    ] as const) {
      const id = alertId(FX_ALERT_SUBJECT, type);
      if (change === "raised") logs.alertRaised(id, type, FX_ALERT_SUBJECT.id);
      if (change === "resolved") logs.alertResolved(id, type);
    }
  }
  return outcome;
}
