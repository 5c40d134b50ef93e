import type { DocumentReference, DocumentSnapshot } from "firebase-admin/firestore";
import type { LimitRequest } from "../domain/limits.js";
import { fromStored, toStored } from "./convert.js";
import { firestore } from "./firebase.js";
import { COLLECTIONS, paths } from "./paths.js";

export const limitRequestRefs = {
  request: (id: string): DocumentReference => firestore().doc(paths.limitRequest(id)),
  newRequest: (): DocumentReference => firestore().collection(COLLECTIONS.limitRequests).doc(),
};

export function limitRequestToStored(r: Partial<LimitRequest>): FirebaseFirestore.DocumentData {
  return toStored(r) as FirebaseFirestore.DocumentData;
}

export function limitRequestFromSnapshot(snap: DocumentSnapshot): LimitRequest | null {
  return snap.exists ? fromStored<LimitRequest>(snap.data()) : null;
}
