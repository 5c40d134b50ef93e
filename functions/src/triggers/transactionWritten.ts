import { onDocumentWritten } from "firebase-functions/v2/firestore";
import { AUDITED } from "../config.js";
import { taskQueueOrInline } from "../jobs/taskQueue.js";
import { loadPolicy } from "../services/policy.js";
import { applyTransactionEvent, drainPendingRecords, type DrainTask } from "../services/transactions.js";

/**
 * Records written outside recordTransactions (ERP imports, the console): marked pending and
 * handed to their customer's group commit (`applyPendingRecords`); deletes applied at once.
 * Retried; idempotent.
 */
export const onTransactionWritten = onDocumentWritten(
  { ...AUDITED, document: "customers/{customerId}/transactions/{externalId}", retry: true },
  async (event) => {
    const now = Date.now();
    const after = event.data?.after;
    const policy = await loadPolicy(now);
    await applyTransactionEvent(
      {
        customerId: event.params.customerId,
        externalId: event.params.externalId,
        after: after?.exists ? (after.data() ?? null) : null,
        sourceUpdateTime: after?.exists && after.updateTime ? after.updateTime.toMillis() : Date.parse(event.time),
        sourceVersion: after?.exists ? (after.updateTime ?? null) : null,
      },
      now,
      policy,
      {
        enqueue: taskQueueOrInline<DrainTask>("applyPendingRecords", (t) =>
          drainPendingRecords(t.customerId, Date.now(), policy),
        ),
      },
    );
  },
);
