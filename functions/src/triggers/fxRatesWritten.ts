/** Validates every write of config/fxRates at once: audit, alerts, last valid table. */
import { onDocumentWritten } from "firebase-functions/v2/firestore";
import { AUDITED } from "../config.js";
import { onFxRatesWritten } from "../services/fxWatch.js";
import { loadPolicy } from "../services/policy.js";

export const fxRatesWritten = onDocumentWritten(
  { ...AUDITED, document: "config/fxRates", retry: false },
  async (event) => {
    const after = event.data?.after;
    const now = Date.now();
    await onFxRatesWritten(
      {
        eventId: event.id,
        before: event.data?.before?.exists ? event.data.before.data() : undefined,
        after: after?.exists ? after.data() : undefined,
        afterUpdateTime: after?.exists && after.updateTime ? after.updateTime.toMillis() : null,
      },
      now,
      await loadPolicy(now),
    );
  },
);
