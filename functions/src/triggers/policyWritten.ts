/** Validates every write of config/creditPolicy at once: audit, alert, last valid version. */
import { onDocumentWritten } from "firebase-functions/v2/firestore";
import { AUDITED } from "../config.js";
import { watchPolicyWrite } from "../services/policyWatch.js";

export const policyWritten = onDocumentWritten(
  { ...AUDITED, document: "config/creditPolicy", retry: true },
  async (event) => {
    const after = event.data?.after;
    await watchPolicyWrite(
      {
        eventId: event.id,
        before: event.data?.before?.exists ? event.data.before.data() : undefined,
        after: after?.exists ? after.data() : undefined,
        afterUpdateTime: after?.exists && after.updateTime ? after.updateTime.toMillis() : null,
      },
      Date.now(),
    );
  },
);
