/**
 * The documents of credit judgement, each with its decision memo on itself (note, reasonCodes,
 * decidedBy, decidedByRole, decidedAt): disputes/{id}, termsChanges/{id}, classOverrides/{id}.
 * Refs and stored forms (times as Timestamps, see convert.ts).
 */
import type { DocumentData, DocumentReference, DocumentSnapshot } from "firebase-admin/firestore";
import type { ClassOverrideDoc, DisputeDoc, TermsChangeDoc } from "../domain/judgement.js";
import { fromStored, toStored } from "./convert.js";
import { firestore } from "./firebase.js";
import { COLLECTIONS, paths } from "./paths.js";

export const judgementRefs = {
  dispute: (id: string): DocumentReference => firestore().doc(paths.dispute(id)),
  newDispute: (): DocumentReference => firestore().collection(COLLECTIONS.disputes).doc(),
  termsChange: (id: string): DocumentReference => firestore().doc(paths.termsChange(id)),
  newTermsChange: (): DocumentReference => firestore().collection(COLLECTIONS.termsChanges).doc(),
  classOverride: (id: string): DocumentReference => firestore().doc(paths.classOverride(id)),
  newClassOverride: (): DocumentReference => firestore().collection(COLLECTIONS.classOverrides).doc(),
};

export function docToStored<T>(d: Partial<T>): DocumentData {
  return toStored(d) as DocumentData;
}

function fromSnapshot<T>(snap: DocumentSnapshot): T | null {
  return snap.exists ? fromStored<T>(snap.data()) : null;
}

export const disputeFromSnapshot = (snap: DocumentSnapshot) => fromSnapshot<DisputeDoc>(snap);
export const termsChangeFromSnapshot = (snap: DocumentSnapshot) => fromSnapshot<TermsChangeDoc>(snap);
export const classOverrideFromSnapshot = (snap: DocumentSnapshot) => fromSnapshot<ClassOverrideDoc>(snap);
