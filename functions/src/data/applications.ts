import type { DocumentData, DocumentReference, DocumentSnapshot } from "firebase-admin/firestore";
import { fromStored, toStored } from "./convert.js";
import { firestore } from "./firebase.js";
import { COLLECTIONS, paths } from "./paths.js";

export const applicationRefs = {
  application: (id: string): DocumentReference => firestore().doc(paths.application(id)),
  newApplication: (): DocumentReference => firestore().collection(COLLECTIONS.applications).doc(),
  /** The credit department's assessment of an application: not for the applicant's eyes. */
  assessment: (id: string): DocumentReference => firestore().doc(paths.applicationAssessment(id)),
};

const OPAQUE = new Set(["auditHead"]);

export function applicationToStored(a: object): DocumentData {
  return toStored(a, OPAQUE) as DocumentData;
}

export function applicationFromSnapshot<T>(snap: DocumentSnapshot): T | null {
  return snap.exists ? fromStored<T>(snap.data(), OPAQUE) : null;
}
