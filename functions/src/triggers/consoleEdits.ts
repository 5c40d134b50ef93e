/**
 * Edits made in the Firebase console (or any write that bypasses the services) of the
 * documents that decide credit are put on the record: services/consoleEdits.ts. A service's
 * own write carries a fresh mark and returns at once, without a read.
 */
import {
  onDocumentWritten,
  type FirestoreEvent,
  type Change,
  type DocumentSnapshot,
} from "firebase-functions/v2/firestore";
import { AUDITED } from "../config.js";
import type { WatchedKind } from "../domain/consoleEdits.js";
import { recordConsoleEdit } from "../services/consoleEdits.js";

type Event = FirestoreEvent<Change<DocumentSnapshot> | undefined, Record<string, string>>;

function watch(kind: WatchedKind, document: string, subjectOf: (event: Event) => string | null) {
  return onDocumentWritten({ ...AUDITED, document, retry: true }, async (event) => {
    const before = event.data?.before?.exists ? (event.data.before.data() ?? null) : null;
    const after = event.data?.after?.exists ? (event.data.after.data() ?? null) : null;
    const subjectId = subjectOf(event);
    if (!subjectId) return;
    await recordConsoleEdit({ eventId: event.id, kind, path: event.document, subjectId, before, after }, Date.now());
  });
}

export const customerEdited = watch("customer", "customers/{customerId}", (e) => e.params.customerId ?? null);
export const creditStateEdited = watch(
  "creditState",
  "customers/{customerId}/private/creditState",
  (e) => e.params.customerId ?? null,
);
export const applicationEdited = watch(
  "application",
  "applications/{applicationId}",
  (e) => e.params.applicationId ?? null,
);
export const limitRequestEdited = watch("limitRequest", "limitRequests/{limitRequestId}", (e) => {
  const d = e.data?.after?.data() ?? e.data?.before?.data();
  return typeof d?.customerId === "string" ? d.customerId : null;
});
