/** Blocked orders (orderBlocks/{blockId}): refs and the stored form. */
import type { DocumentData, DocumentReference, DocumentSnapshot } from "firebase-admin/firestore";
import type { OrderBlock } from "../domain/orders.js";
import { fromStored, toStored } from "./convert.js";
import { firestore } from "./firebase.js";
import { COLLECTIONS, paths } from "./paths.js";

export const orderBlockRefs = {
  block: (blockId: string): DocumentReference => firestore().doc(paths.orderBlock(blockId)),
  newBlock: (): DocumentReference => firestore().collection(COLLECTIONS.orderBlocks).doc(),
};

/** A new id for a reservation (the Admin SDK's auto-id generator, without a write). */
export function newReservationId(): string {
  return firestore().collection(COLLECTIONS.orderBlocks).doc().id;
}

export function orderBlockToStored(b: Partial<OrderBlock>): DocumentData {
  return toStored(b) as DocumentData;
}

export function orderBlockFromSnapshot(snap: DocumentSnapshot): OrderBlock | null {
  return snap.exists ? fromStored<OrderBlock>(snap.data()) : null;
}
