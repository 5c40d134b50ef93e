import type { DocumentData } from "firebase-admin/firestore";
import { firestore } from "./firebase.js";
import { paths } from "./paths.js";

export const LAST_GOOD_POLICY_PATH = "config/creditPolicyLastGood";

export interface StoredPolicy {
  /** The admin's override document, as stored (may be invalid). */
  override: DocumentData | undefined;
  /** When it was last written (to tell edits apart). */
  updateTime: number | null;
}

export async function readPolicyDocument(): Promise<StoredPolicy> {
  const snap = await firestore().doc(paths.policy()).get();
  return { override: snap.data(), updateTime: snap.updateTime ? snap.updateTime.toMillis() : null };
}

export async function readLastGoodPolicy(): Promise<DocumentData | undefined> {
  return (await firestore().doc(LAST_GOOD_POLICY_PATH).get()).data()?.override;
}
