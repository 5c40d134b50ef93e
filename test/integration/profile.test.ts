/**
 * updateCustomerProfile: base data kept current — who changes what, bad input named and
 * nothing written, audited with before and after (bank details masked), the identity index
 * follows registration and bank changes, and a bank change opens the fraud window for large
 * orders (ORDER_AFTER_BANK_CHANGE), which could never fire before.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { getFirestore } from "firebase-admin/firestore";
import * as fns from "../../functions/src/index.js";
import { identityKey } from "../../functions/src/data/identities.js";
import { clearPolicyCache } from "../../functions/src/services/policy.js";
import { approvedCustomer } from "../support/workflow.js";
import { call, callError, databaseSnapshot, firestoreServer, users } from "../support/callables.js";
import { creditFile } from "../support/credit-file.js";
import { application } from "../support/fixtures.js";

const db = () => getFirestore();
const iso = (ms: number) => new Date(ms).toISOString();
const lastEntry = async (id: string) =>
  (await db().collection(`audit/customer_${id}/entries`).orderBy("seq", "desc").limit(1).get()).docs[0]!.data();
const owners = async (kind: "registration" | "bank_account", value: string) =>
  ((
    await db()
      .doc(`identities/${identityKey(kind, value).key}`)
      .get()
  ).data()?.owners as string[] | undefined) ?? [];

beforeEach(async () => {
  await firestoreServer().clear();
  clearPolicyCache();
});

describe("updateCustomerProfile", () => {
  it("an analyst corrects name, address and industry; audited with before and after; a retry writes nothing more", async () => {
    const id = await approvedCustomer();
    const input = {
      customerId: id,
      changes: { name: "Acme Trading Group Ltd", address: "2 Market Street, Springfield", industry: "retail" },
      reason: "Companies House record",
      requestId: "p-1",
    };
    const r = await call(fns.updateCustomerProfile, input, users.analyst);
    expect(r).toEqual({ changed: ["name", "address", "industry"], fraudSignals: [], status: "active" });
    const c = await creditFile(id);
    expect(c).toMatchObject({
      name: "Acme Trading Group Ltd",
      address: "2 Market Street, Springfield",
      industry: "G47",
    });
    const entry = await lastEntry(id);
    expect(entry).toMatchObject({
      action: "customer.profile",
      actor: { uid: users.analyst.uid, role: "analyst" },
      before: { name: "Acme Trading Ltd", address: "1 Market Street, Springfield", industry: "G46" },
      after: { name: "Acme Trading Group Ltd", address: "2 Market Street, Springfield", industry: "G47" },
      reason: "Companies House record",
    });
    const before = databaseSnapshot();
    expect(await call(fns.updateCustomerProfile, input, users.analyst)).toEqual(r);
    expect(databaseSnapshot()).toBe(before);
    // the same values again change nothing and write no audit entry
    expect(await call(fns.updateCustomerProfile, { ...input, requestId: undefined }, users.manager)).toMatchObject({
      changed: [],
    });
    expect((await lastEntry(id)).seq).toBe(entry.seq);
  });

  it("who changes what: the owner only by a manager, the ERP feed bank details only, sales and auditors nothing", async () => {
    const id = await approvedCustomer();
    const before = databaseSnapshot();
    const deny = async (changes: Record<string, unknown>, who: (typeof users)[keyof typeof users]) => {
      const e = await callError(fns.updateCustomerProfile, { customerId: id, changes, reason: "x" }, who);
      expect(e.code).toBe("permission-denied");
      return e.message;
    };
    expect(await deny({ ownerUid: users.sales2.uid }, users.analyst)).toContain("changes.ownerUid");
    expect(await deny({ name: "ERP Name" }, users.integration)).toContain("changes.name");
    expect(await deny({ bankAccount: "DE89370400440532013000", address: "x street" }, users.integration)).toContain(
      "changes.address",
    );
    for (const who of [users.sales, users.auditor, users.admin, users.applicant]) await deny({ name: "Other" }, who);
    expect(databaseSnapshot()).toBe(before);

    const moved = await call(
      fns.updateCustomerProfile,
      { customerId: id, changes: { ownerUid: users.sales2.uid }, reason: "territory change" },
      users.manager,
    );
    expect(moved.changed).toEqual(["ownerUid"]);
    expect((await creditFile(id)).ownerUid).toBe(users.sales2.uid);
    // the new owner acts on the customer, the old one no longer does
    expect((await call(fns.checkOrder, { customerId: id, orderAmount: 1_00 }, users.sales2)).decision).toBe("approve");
    expect((await callError(fns.checkOrder, { customerId: id, orderAmount: 1_00 }, users.sales)).code).toBe(
      "permission-denied",
    );
    const unowned = await call(
      fns.updateCustomerProfile,
      { customerId: id, changes: { ownerUid: null }, reason: "no rep" },
      users.manager,
    );
    expect(unowned.changed).toEqual(["ownerUid"]);
    expect((await creditFile(id)).ownerUid).toBeNull();
  });

  it("bad input is refused naming the field, nothing written", async () => {
    const id = await approvedCustomer();
    const before = databaseSnapshot();
    const bad = async (data: Record<string, unknown>, field: string) => {
      const e = await callError(fns.updateCustomerProfile, { customerId: id, reason: "x", ...data }, users.manager);
      expect(e.code).toBe("invalid-argument");
      expect(e.message).toContain(field);
    };
    await bad({ changes: { industry: "Health care" } }, "changes.industry");
    await bad({ changes: { industry: "G48" } }, "changes.industry");
    await bad({ changes: { country: "Germany" } }, "changes.country");
    await bad({ changes: { name: "" } }, "changes.name");
    await bad({ changes: { bankAccount: "12" } }, "changes.bankAccount");
    await bad({ changes: { score: 99 } }, "score");
    await bad({ changes: {} }, "changes");
    await bad({ changes: { name: "X" }, reason: "" }, "reason");
    expect(
      (
        await callError(
          fns.updateCustomerProfile,
          { customerId: "nope", changes: { name: "X" }, reason: "x" },
          users.manager,
        )
      ).code,
    ).toBe("not-found");
    expect(databaseSnapshot()).toBe(before);
  });

  it("a bank change from the ERP sets bankAccountChangedAt, masked in the audit; a large order inside the window is a fraud signal", async () => {
    const id = await approvedCustomer(40_000_00, { registrationNo: "REG-BANK" });
    // an order before any bank change raises nothing (the first wave could never fire this signal)
    const r = await call(
      fns.updateCustomerProfile,
      { customerId: id, changes: { bankAccount: "DE89 3704 0044 0532 0130 00" }, reason: "ERP bank master" },
      users.integration,
    );
    expect(r).toEqual({ changed: ["bankAccount"], fraudSignals: [], status: "active" });
    const c = await creditFile(id);
    expect(c.bankAccount).toBe("DE89 3704 0044 0532 0130 00");
    expect(c.bankAccountChangedAt.toMillis()).toBeGreaterThan(Date.now() - 60_000);
    const entry = await lastEntry(id);
    expect(entry.after).toEqual({ bankAccount: "****3000" });
    // The account number in none of its forms (hashes are hex: match a run of its digits, not 4 of them).
    expect(JSON.stringify(entry)).not.toMatch(/DE89|05320130|0532 0130/);
    expect(await owners("bank_account", "DE89370400440532013000")).toEqual([`customer:${id}`]);

    // 25,000 on a 40,000 limit: above half the limit, inside 30 days of the change → held for a person
    await call(
      fns.recordTransactions,
      {
        customerId: id,
        transactions: [{ externalId: "O-1", type: "order", amount: 25_000_00, issuedAt: iso(Date.now()) }],
      },
      users.integration,
    );
    const after = await creditFile(id);
    expect(after).toMatchObject({ status: "on_hold", statusReason: "FRAUD_SIGNALS" });
    const assessment = (await db().doc(`customers/${id}/private/assessment`).get()).data()!;
    expect(assessment.fraudSignals.map((s: { code: string }) => s.code)).toContain("ORDER_AFTER_BANK_CHANGE");
  });

  it("the identity index follows a registration change; details another file uses are a fraud signal and hold the file", async () => {
    const a = await approvedCustomer(40_000_00, { registrationNo: "REG-A" });
    const b = await approvedCustomer(40_000_00, { registrationNo: "REG-B" });
    const appA = (await creditFile(a)).applicationId;
    expect(await owners("registration", "US:REG-A")).toEqual([`application:${appA}`]);
    await call(
      fns.updateCustomerProfile,
      { customerId: a, changes: { registrationNo: "REG-A2" }, reason: "typo in the number" },
      users.analyst,
    );
    expect(await owners("registration", "US:REG-A")).toEqual([]);
    expect(await owners("registration", "US:REG-A2")).toEqual([`customer:${a}`]);
    // a new applicant with A's old number no longer collides with A; one with the new number does
    const { applicationId } = await call(
      fns.submitCreditApplication,
      application({ company: { ...application().company, registrationNo: "REG-A2" } }),
      users.applicant2,
    );
    const collisions = (await db().doc(`applications/${applicationId}/private/assessment`).get()).data()!
      .identityCollisions as Array<{ kind: string }>;
    expect(collisions.filter((c) => c.kind === "registration")).toEqual([
      { kind: "registration", other: `customer:${a}` },
    ]);

    // B takes A's bank account: a collision of weight 60 holds B for a person
    await call(
      fns.updateCustomerProfile,
      { customerId: a, changes: { bankAccount: "NL91ABNA0417164300" }, reason: "ERP" },
      users.integration,
    );
    const held = await call(
      fns.updateCustomerProfile,
      { customerId: b, changes: { bankAccount: "nl91 abna 0417 1643 00" }, reason: "ERP" },
      users.integration,
    );
    expect(held).toEqual({
      changed: ["bankAccount"],
      fraudSignals: ["IDENTITY_COLLISION_BANK_ACCOUNT"],
      status: "on_hold",
    });
    expect(await creditFile(b)).toMatchObject({
      status: "on_hold",
      statusKind: "manual",
      statusReason: "FRAUD_SIGNALS",
      flags: { fraudHold: true },
      openAlerts: { fraud_signal: true },
    });
    expect((await db().doc(`alerts/customer_${b}_fraud_signal`).get()).data()).toMatchObject({
      status: "open",
      code: "IDENTITY_COLLISION_BANK_ACCOUNT",
    });
    expect(await owners("bank_account", "NL91ABNA0417164300")).toEqual([`customer:${a}`, `customer:${b}`]);
    expect((await lastEntry(b)).after).toMatchObject({
      bankAccount: "****4300",
      fraudSignals: ["IDENTITY_COLLISION_BANK_ACCOUNT"],
      status: "on_hold",
    });
  });

  it("an open blocked order follows a new owner", async () => {
    const id = await approvedCustomer(10_000_00);
    const blocked = await call(
      fns.checkOrder,
      { customerId: id, orderAmount: 20_000_00, reserve: true, orderRef: "PO-9" },
      users.sales,
    );
    await call(
      fns.updateCustomerProfile,
      { customerId: id, changes: { ownerUid: users.sales2.uid }, reason: "territory" },
      users.manager,
    );
    expect((await db().doc(`orderBlocks/${blocked.blockId}`).get()).data()!.ownerUid).toBe(users.sales2.uid);
  });
});
