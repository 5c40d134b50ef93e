/**
 * Idempotency records for mutating callables: a retried call with the same client
 * `requestId` returns the first call's result and writes nothing more. The record is
 * read and written inside the same transaction as the effect.
 */
import { createHash } from "node:crypto";
import { Timestamp, type DocumentData, type Transaction } from "firebase-admin/firestore";
import { firestore } from "./firebase.js";
import { paths } from "./paths.js";

export function requestRef(callable: string, uid: string, requestId: string) {
  const key = createHash("sha256").update(`${callable}\u0000${uid}\u0000${requestId}`).digest("hex").slice(0, 40);
  return firestore().doc(paths.request(key));
}

export async function readRequest(tx: Transaction, ref: FirebaseFirestore.DocumentReference): Promise<unknown | undefined> {
  const snap = await tx.get(ref);
  return snap.exists ? (snap.data() as DocumentData).result : undefined;
}

export function writeRequest(tx: Transaction, ref: FirebaseFirestore.DocumentReference, callable: string, uid: string, result: unknown, now: number) {
  tx.set(ref, { callable, uid, result, at: Timestamp.fromMillis(now) });
}
