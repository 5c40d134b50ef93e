/**
 * Keeping a credit file's base data current: name, registration number, address, industry,
 * country, the owning sales rep and the bank account. One transaction: the credit file, the
 * identity index (the file's registration and bank identities move with it), fraud signals when
 * the new details are another file's, and the audit entry with before and after.
 *
 * Who changes what: analysts and managers the company data; only a manager the owning sales rep;
 * the ERP feed (integration) the bank details only. A bank-account change sets
 * `bankAccountChangedAt`, the start of the fraud window for large orders
 * (policy.velocity.bankChangeWindowDays). The score is not recomputed here: the next
 * transaction, reassessment or `reassessCustomer` scores the new profile.
 */
import { Timestamp } from "firebase-admin/firestore";
import { alertRefFor, writeRaisedAlert } from "../data/alerts.js";
import { AuditAppender, chains, headOf } from "../data/audit.js";
import { customerRefs, readCustomer, writeCustomer } from "../data/customers.js";
import { firestore } from "../data/firebase.js";
import {
  collisionsOf,
  collisionStandings,
  identityKey,
  readIdentityOwners,
  registerIdentities,
  uniqueKeys,
  unregisterIdentities,
  type IdentityKey,
} from "../data/identities.js";
import { orderBlockRefs, orderBlockToStored } from "../data/orders.js";
import { idempotencyKey, priorResult, recordResult } from "../data/requests.js";
import type { CreditStatus, CustomerFile } from "../domain/customer.js";
import { denied, notFound } from "../domain/errors.js";
import { collisionSignals, shouldHold } from "../domain/fraud.js";
import type { Caller } from "../domain/roles.js";
import { PROFILE_FIELDS, type ProfileField, type UpdateCustomerProfileInput } from "../schemas/callables.js";
import type { CreditPolicy } from "../schemas/policy.js";
import { logs } from "../logs.js";

export interface UpdateProfileResult {
  changed: ProfileField[];
  fraudSignals: string[];
  status: CreditStatus;
}

type Profile = Record<ProfileField, string | null>;

function profileOf(c: CustomerFile): Profile {
  return {
    name: c.name,
    registrationNo: c.registrationNo,
    address: c.address,
    industry: c.industry,
    country: c.country,
    ownerUid: c.ownerUid ?? null,
    bankAccount: c.bankAccount ?? null,
  };
}

/** Bank details in the audit trail: the last four characters only, never the account. */
export function maskBankAccount(v: string | null): string | null {
  if (v === null) return null;
  const plain = v.replace(/\s+/g, "");
  return `****${plain.slice(-4)}`;
}

const registrationKey = (p: Profile) => identityKey("registration", `${p.country}:${p.registrationNo}`);

/** Who may change which field (before any read: the input alone decides). */
function assertMayChange(caller: Caller, given: ProfileField[]): void {
  if (caller.role === "integration") {
    const other = given.find((f) => f !== "bankAccount");
    if (other) throw denied(`changes.${other}: the ERP feed (integration) changes bank details only`);
  }
  if (given.includes("ownerUid") && caller.role !== "manager")
    throw denied("changes.ownerUid: only a manager reassigns a customer's sales rep");
}

export async function updateCustomerProfile(
  input: UpdateCustomerProfileInput,
  caller: Caller,
  now: number,
  policy: CreditPolicy,
): Promise<UpdateProfileResult> {
  const changes = input.changes as Partial<Profile>;
  const given = PROFILE_FIELDS.filter((f) => changes[f] !== undefined);
  assertMayChange(caller, given);
  const db = firestore();
  const id = input.customerId;
  const key = idempotencyKey("updateCustomerProfile", caller.uid, input);
  const subject = { kind: "customer" as const, id };
  const result = await db.runTransaction(async (tx) => {
    const [prior, read] = await Promise.all([priorResult<UpdateProfileResult>(tx, key), readCustomer(tx, id)]);
    if (prior !== undefined) return prior;
    const customer = read.file;
    if (!customer) throw notFound("customer", id);
    const before = profileOf(customer);
    const changed = given.filter((f) => changes[f] !== before[f]);
    if (changed.length === 0) {
      const out: UpdateProfileResult = { changed: [], fraudSignals: [], status: customer.status };
      recordResult(tx, key, out, now);
      return out;
    }
    const after: Profile = { ...before };
    for (const f of changed) after[f] = changes[f]!;

    // The identity index follows the file: its old registration and bank identities are no
    // longer its own (nor its application's), the new ones are, and another file's use of them
    // is a fraud signal.
    const self = `customer:${id}`;
    const former = [self, ...(customer.applicationId ? [`application:${customer.applicationId}`] : [])];
    const oldKeys: IdentityKey[] = [];
    const newKeys: IdentityKey[] = [];
    if (changed.includes("registrationNo") || changed.includes("country")) {
      oldKeys.push(registrationKey(before));
      newKeys.push(registrationKey(after));
    }
    if (changed.includes("bankAccount") && after.bankAccount !== null) {
      if (before.bankAccount !== null) oldKeys.push(identityKey("bank_account", before.bankAccount));
      newKeys.push(identityKey("bank_account", after.bankAccount));
    }
    const leaving = oldKeys.filter((k) => !newKeys.some((n) => n.key === k.key));
    const owners = await readIdentityOwners(tx, uniqueKeys([...leaving, ...newKeys]));
    // Weighed by the other side's standing (a customer fully, a pending application a share, a rejected one not).
    const collisions = await collisionStandings(
      tx,
      collisionsOf(newKeys, owners, self).filter((c) => !former.includes(c.other)),
    );
    const signals = collisionSignals(collisions, policy.fraud);
    const hold = signals.length > 0 && shouldHold(signals, policy.fraud);
    const raise = hold && !customer.openAlerts?.fraud_signal;
    const alertSnap = raise ? await tx.get(alertRefFor(subject, "fraud_signal")) : null;

    // Writes.
    unregisterIdentities(tx, leaving, owners, former);
    registerIdentities(tx, newKeys, owners, self);
    const patch: Record<string, unknown> = { updatedAt: now };
    for (const f of changed) patch[f] = after[f];
    if (changed.includes("bankAccount")) patch.bankAccountChangedAt = now;
    let status = customer.status;
    if (hold) {
      status = customer.status === "suspended" ? "suspended" : "on_hold";
      Object.assign(patch, {
        status,
        statusKind: "manual",
        statusReason: "FRAUD_SIGNALS",
        flags: { ...customer.flags, fraudHold: true },
        openAlerts: { ...(customer.openAlerts ?? {}), fraud_signal: true },
      });
      tx.set(
        customerRefs.assessment(id),
        {
          fraudSignals: signals.map((s) => ({ ...s, at: Timestamp.fromMillis(now) })),
          fraudCheckedAt: Timestamp.fromMillis(now),
        },
        { merge: true },
      );
      if (raise)
        writeRaisedAlert(
          tx,
          alertSnap!.data(),
          {
            type: "fraud_signal",
            subject,
            code: signals[0]!.code,
            details: { signals: signals.map((s) => s.code).join(",") },
          },
          now,
        );
    }
    if (changed.includes("ownerUid")) {
      // Open blocked orders follow the new owner (the rules let the owning rep read them).
      for (const b of Object.values(customer.openBlocks ?? {}))
        tx.update(orderBlockRefs.block(b.blockId), orderBlockToStored({ ownerUid: after.ownerUid, updatedAt: now }));
    }
    const view = (p: Profile) =>
      Object.fromEntries(changed.map((f) => [f, f === "bankAccount" ? maskBankAccount(p[f]) : p[f]]));
    const audit = new AuditAppender(tx, chains.customer(id), headOf(read.head.data()), now, { deferHead: true });
    audit.append({
      action: "customer.profile",
      actor: caller,
      target: customerRefs.customer(id).path,
      before: view(before),
      after: { ...view(after), ...(signals.length ? { fraudSignals: signals.map((s) => s.code), status } : {}) },
      reason: input.reason,
      requestId: input.requestId ?? null,
    });
    writeCustomer(tx, id, { ...patch, ...audit.headFields }, read);
    const out: UpdateProfileResult = { changed, fraudSignals: signals.map((s) => s.code), status };
    recordResult(tx, key, out, now);
    return out;
  });
  logs.customerProfileUpdated(id, result.changed, result.fraudSignals);
  return result;
}
