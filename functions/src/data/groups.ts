/**
 * Credit groups (creditGroups/{groupId}): refs, the stored form, and the claim update every
 * use-case that moves a member's committed exposure above its claim (or a release step below it)
 * writes in its own transaction. The group head's audit chain head rides in the document
 * (`auditHead`, chain group_{groupId}).
 */
import {
  Timestamp,
  type DocumentData,
  type DocumentReference,
  type DocumentSnapshot,
  type Transaction,
} from "firebase-admin/firestore";
import type { CreditGroup, GroupClaim } from "../domain/groups.js";
import { fromStored, toStored } from "./convert.js";
import { firestore } from "./firebase.js";
import { paths } from "./paths.js";

const OPAQUE = new Set(["auditHead"]);

export const groupRefs = {
  group: (groupId: string): DocumentReference => firestore().doc(paths.creditGroup(groupId)),
};

export function groupFromSnapshot(snap: DocumentSnapshot): CreditGroup | null {
  return snap.exists ? fromStored<CreditGroup>(snap.data(), OPAQUE) : null;
}

export function groupToStored(g: Partial<CreditGroup> & { auditHead?: unknown }): DocumentData {
  return toStored(g, OPAQUE) as DocumentData;
}

/**
 * Write one member's claim and the head's running figures (no read here: the caller read the
 * head in its transaction and computed the totals from it).
 */
export function writeClaim(
  tx: Transaction,
  groupId: string,
  memberId: string,
  claim: GroupClaim,
  totals: Pick<CreditGroup, "exposure" | "availableCredit" | "exposureInBase">,
  now: number,
): void {
  tx.update(groupRefs.group(groupId), {
    [`claims.${memberId}`]: toStored(claim),
    ...totals,
    updatedAt: Timestamp.fromMillis(now),
  });
}
