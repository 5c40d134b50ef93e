import { onDocumentWritten } from "firebase-functions/v2/firestore";
import { AUDITED } from "../config.js";
import { loadPolicy } from "../services/policy.js";
import { applyTransactionEvent } from "../services/transactions.js";

/** Applies transaction writes made outside recordTransactions (console, imports). Retried; idempotent. */
export const onTransactionWritten = onDocumentWritten(
  { ...AUDITED, document: "customers/{customerId}/transactions/{externalId}", retry: true },
  async (event) => {
    const now = Date.now();
    const after = event.data?.after;
    await applyTransactionEvent(
      {
        customerId: event.params.customerId,
        externalId: event.params.externalId,
        after: after?.exists ? (after.data() ?? null) : null,
        sourceUpdateTime: after?.exists && after.updateTime ? after.updateTime.toMillis() : Date.parse(event.time),
      },
      now,
      await loadPolicy(now),
    );
  },
);
