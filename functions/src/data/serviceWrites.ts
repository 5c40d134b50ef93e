/**
 * Marking the documents services write (domain/audit.ts `serviceWriteMark`): each write of a
 * customer's head or credit state, an application or a limit request carries a fresh nonce and
 * its MAC under the audit keyring, so the console-edit triggers tell a service's write from an
 * edit made in the Firebase console.
 */
import { randomUUID } from "node:crypto";
import type { DocumentData, DocumentReference } from "firebase-admin/firestore";
import { auditKeyring } from "../config.js";
import { serviceWriteMark } from "../domain/audit.js";

/** The field holding the mark. */
export const SERVICE_WRITE = "serviceWrite";

export function serviceWrite(path: string): { serviceWrite: ReturnType<typeof serviceWriteMark> } {
  return { [SERVICE_WRITE]: serviceWriteMark(auditKeyring().signing, path, randomUUID()) } as {
    serviceWrite: ReturnType<typeof serviceWriteMark>;
  };
}

/** A document's data with the service's mark. */
export function marked(ref: DocumentReference, data: DocumentData): DocumentData {
  return { ...data, ...serviceWrite(ref.path) };
}
