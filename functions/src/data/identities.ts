/**
 * Identity index for fraud checks: one document per normalised identity value
 * (registration number, e-mail, phone, bank account), keyed by a hash so ids carry no
 * personal data, listing the applications and customers that used it. Collisions are
 * found by reading a handful of documents, never by scanning.
 */
import { createHash } from "node:crypto";
import type { Transaction } from "firebase-admin/firestore";
import { normaliseIdentity, type IdentityCollision, type IdentityKind } from "../domain/fraud.js";
import { firestore } from "./firebase.js";
import { paths } from "./paths.js";

export interface IdentityKey {
  kind: IdentityKind;
  key: string;
}

export function identityKey(kind: IdentityKind, value: string): IdentityKey {
  const digest = createHash("sha256").update(`${kind}:${normaliseIdentity(kind, value)}`).digest("hex").slice(0, 40);
  return { kind, key: `${kind}_${digest}` };
}

/** The identities of contact persons: each one's e-mail and phone. */
export function contactIdentityKeys(contacts: ReadonlyArray<{ email: string; phone: string }>): IdentityKey[] {
  return contacts.flatMap((c) => [identityKey("email", c.email), identityKey("phone", c.phone)]);
}

export function uniqueKeys(keys: IdentityKey[]): IdentityKey[] {
  const seen = new Map<string, IdentityKey>();
  for (const k of keys) seen.set(k.key, k);
  return [...seen.values()];
}

/** Who already uses each identity (read in the transaction, before any write). */
export type IdentityOwners = Map<string, string[]>;

/** Bound on owners kept per identity: enough to name collisions, never an unbounded document. */
const MAX_OWNERS = 50;

export async function readIdentityOwners(tx: Transaction, keys: IdentityKey[]): Promise<IdentityOwners> {
  const snaps = await Promise.all(keys.map((k) => tx.get(firestore().doc(paths.identity(k.key)))));
  const owners: IdentityOwners = new Map();
  snaps.forEach((snap, i) => owners.set(keys[i]!.key, (snap.data()?.owners as string[] | undefined) ?? []));
  return owners;
}

export function collisionsOf(keys: IdentityKey[], owners: IdentityOwners, self: string): IdentityCollision[] {
  const out: IdentityCollision[] = [];
  for (const k of keys) for (const other of owners.get(k.key) ?? []) if (other !== self) out.push({ kind: k.kind, other });
  return out;
}

/** Record (in the transaction, after reads) that `owner` uses these identities. */
export function registerIdentities(tx: Transaction, keys: IdentityKey[], owners: IdentityOwners, owner: string): void {
  for (const k of keys) {
    const current = owners.get(k.key) ?? [];
    if (current.includes(owner)) continue;
    tx.set(firestore().doc(paths.identity(k.key)), { kind: k.kind, owners: [...current, owner].slice(-MAX_OWNERS) });
  }
}

/**
 * Take `remove` off these identities (in the transaction, after reads): the credit file no
 * longer uses them (its registration or bank details changed). A document left with no owner
 * is deleted.
 */
export function unregisterIdentities(tx: Transaction, keys: IdentityKey[], owners: IdentityOwners, remove: readonly string[]): void {
  for (const k of keys) {
    const current = owners.get(k.key) ?? [];
    const kept = current.filter((o) => !remove.includes(o));
    if (kept.length === current.length) continue;
    const ref = firestore().doc(paths.identity(k.key));
    if (kept.length === 0) tx.delete(ref);
    else tx.set(ref, { kind: k.kind, owners: kept });
  }
}
