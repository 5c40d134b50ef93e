/**
 * updateContacts: the contact persons of a credit file change through this callable only (the
 * rules let no client write them): validated like an application's contacts, audited with
 * before and after in the customer's chain, and entered in the identity index under the
 * customer, so a contact another customer or applicant uses is found as a collision.
 */
import { AuditAppender, chains, headOf } from "../data/audit.js";
import { customerRefs, readCustomerHead } from "../data/customers.js";
import { firestore } from "../data/firebase.js";
import {
  collisionsOf,
  contactIdentityKeys,
  readIdentityOwners,
  registerIdentities,
  uniqueKeys,
} from "../data/identities.js";
import { idempotencyKey, priorResult, recordResult } from "../data/requests.js";
import { notFound } from "../domain/errors.js";
import type { Caller } from "../domain/roles.js";
import type { UpdateContactsInput } from "../schemas/callables.js";
import { assertInScope } from "./customers.js";

export interface UpdateContactsResult {
  contacts: UpdateContactsInput["contacts"];
  /** Contacts' e-mails or phones another customer or applicant also uses (a fraud signal for an analyst). */
  identityCollisions: number;
}

export async function updateContacts(
  input: UpdateContactsInput,
  caller: Caller,
  now: number,
): Promise<UpdateContactsResult> {
  const db = firestore();
  const key = idempotencyKey("updateContacts", caller.uid, input);
  const ref = customerRefs.contacts(input.customerId);
  const keys = uniqueKeys(contactIdentityKeys(input.contacts));
  const self = `customer:${input.customerId}`;
  // The scope check reads the head outside the transaction: ownerUid only changes through a manager's profile update.
  const head = await readCustomerHead(input.customerId);
  if (!head) throw notFound("customer", input.customerId);
  assertInScope(head, caller, input.customerId);
  return db.runTransaction(async (tx) => {
    const [prior, headSnap, contactsSnap, owners] = await Promise.all([
      priorResult<UpdateContactsResult>(tx, key),
      tx.get(customerRefs.customer(input.customerId)),
      tx.get(ref),
      readIdentityOwners(tx, keys),
    ]);
    if (prior !== undefined) return prior;
    if (!headSnap.exists) throw notFound("customer", input.customerId);
    const collisions = collisionsOf(keys, owners, self);
    const before = (contactsSnap.data()?.contacts as UpdateContactsInput["contacts"] | undefined) ?? [];
    tx.set(ref, { contacts: input.contacts, updatedAt: new Date(now), updatedBy: caller.uid });
    registerIdentities(tx, keys, owners, self);
    new AuditAppender(tx, chains.customer(input.customerId), headOf(headSnap.data()), now).append({
      action: "customer.contacts_update",
      actor: caller,
      target: ref.path,
      before: { contacts: before },
      after: { contacts: input.contacts, identityCollisions: collisions.length },
      reason: null,
      requestId: input.requestId ?? null,
    });
    const out: UpdateContactsResult = { contacts: input.contacts, identityCollisions: collisions.length };
    recordResult(tx, key, out, now);
    return out;
  });
}
