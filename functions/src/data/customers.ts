import type { DocumentData, DocumentReference, DocumentSnapshot } from "firebase-admin/firestore";
import type { CustomerFile } from "../domain/customer.js";
import { fromStored, toStored } from "./convert.js";
import { firestore } from "./firebase.js";
import { COLLECTIONS, paths, PRIVATE_DOCS } from "./paths.js";

/** Subtrees stored verbatim (no time conversion): the ledger's own encoding, the audit head. */
const OPAQUE = new Set(["ledger", "auditHead"]);

export const customerRefs = {
  customer: (id: string): DocumentReference => firestore().doc(paths.customer(id)),
  newCustomer: (): DocumentReference => firestore().collection(COLLECTIONS.customers).doc(),
  financials: (id: string) => firestore().doc(paths.customerPrivate(id, "financials")),
  assessment: (id: string) => firestore().doc(paths.customerPrivate(id, "assessment")),
  contacts: (id: string) => firestore().doc(paths.customerPrivate(id, "contacts")),
  newReview: (id: string) => firestore().collection(paths.reviews(id)).doc(),
};

export type PrivateDoc = keyof typeof PRIVATE_DOCS;

export function customerToStored(c: CustomerFile): DocumentData {
  return toStored(c, OPAQUE) as DocumentData;
}

export function customerFromSnapshot(snap: DocumentSnapshot): CustomerFile | null {
  if (!snap.exists) return null;
  return withTemporaryLimitAsTotal(fromStored<CustomerFile>(snap.data(), OPAQUE));
}

/**
 * Files written before temporary limits were stored as totals hold `{amount, expiresAt}`, an
 * amount on top of the approved limit: read them as the total they meant.
 */
function withTemporaryLimitAsTotal(c: CustomerFile): CustomerFile {
  const t = c.temporaryLimit as (CustomerFile["temporaryLimit"] & { amount?: number }) | null | undefined;
  if (t && typeof t.limit !== "number" && typeof t.amount === "number") {
    return { ...c, temporaryLimit: { limit: c.creditLimit + t.amount, expiresAt: t.expiresAt } };
  }
  return c;
}

export function storedPatch(patch: Partial<CustomerFile> | Record<string, unknown>): DocumentData {
  return toStored(patch, OPAQUE) as DocumentData;
}

export function plain<T>(snap: DocumentSnapshot): T | null {
  return snap.exists ? fromStored<T>(snap.data()) : null;
}
