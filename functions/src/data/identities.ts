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
  const digest = createHash("sha256")
    .update(`${kind}:${normaliseIdentity(kind, value)}`)
    .digest("hex")
    .slice(0, 40);
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
  for (const k of keys)
    for (const other of owners.get(k.key) ?? []) if (other !== self) out.push({ kind: k.kind, other });
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

/** The owner's standing behind an identity index entry ("customer:ID" / "application:ID"). */
export async function collisionStandings(
  tx: Transaction,
  collisions: IdentityCollision[],
): Promise<IdentityCollision[]> {
  const others = [...new Set(collisions.map((c) => c.other))];
  if (others.length === 0) return collisions;
  const refs = others.map((o) => {
    const [kind, id] = o.split(":") as [string, string];
    return firestore().doc(kind === "customer" ? paths.customer(id) : paths.application(id));
  });
  const snaps = await tx.getAll(...refs);
  const standing = new Map<string, IdentityCollision["standing"]>();
  others.forEach((o, i) => {
    const snap = snaps[i]!;
    if (!snap.exists) return standing.set(o, "gone");
    if (o.startsWith("customer:")) return standing.set(o, "customer");
    const status = snap.get("status") as string | undefined;
    standing.set(
      o,
      status === "approved"
        ? "customer"
        : status === "submitted" || status === "under_review"
          ? "application_pending"
          : "gone",
    );
  });
  return collisions.map((c) => ({ ...c, standing: standing.get(c.other) ?? "gone" }));
}

/**
 * Take an owner (or several) out of these identities: a rejected application leaves the index; a
 * credit file whose registration or bank details changed leaves its old ones (with its
 * application). Reads first: `owners`. A document left with no owner is deleted.
 */
export function unregisterIdentities(
  tx: Transaction,
  keys: IdentityKey[],
  owners: IdentityOwners,
  owner: string | readonly string[],
): void {
  const leaving: readonly string[] = typeof owner === "string" ? [owner] : owner;
  for (const k of keys) {
    const current = owners.get(k.key) ?? [];
    if (!current.some((o) => leaving.includes(o))) continue;
    const rest = current.filter((o) => !leaving.includes(o));
    const ref = firestore().doc(paths.identity(k.key));
    if (rest.length === 0) tx.delete(ref);
    else tx.set(ref, { kind: k.kind, owners: rest });
  }
}
