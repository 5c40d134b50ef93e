import { beforeEach, describe, expect, it } from "vitest";
import { getFirestore } from "firebase-admin/firestore";
import * as fns from "../../functions/src/index.js";
import { clearPolicyCache } from "../../functions/src/services/policy.js";
import { approvedCustomer } from "../support/workflow.js";
import { call, callError, databaseSnapshot, firestoreServer, users } from "../support/callables.js";
import { creditFile, updateCreditFile } from "../support/credit-file.js";

const db = () => getFirestore();
const DAY = 86_400_000;

const newCustomer = approvedCustomer;
const customer = creditFile;

beforeEach(async () => {
  await firestoreServer().clear();
  clearPolicyCache();
});

describe("requestLimitChange / decideLimitChange", () => {
  it("an increase waits for an approver, who cannot be the requester, within authority", async () => {
    const id = await newCustomer(40_000_00);
    const req = await call(
      fns.requestLimitChange,
      { customerId: id, newLimit: 60_000_00, reason: "seasonal growth" },
      users.sales,
    );
    expect(req).toMatchObject({ status: "pending", creditLimit: 40_000_00 });
    expect((await customer(id)).creditLimit).toBe(40_000_00);
    // four eyes
    const own = await call(
      fns.requestLimitChange,
      { customerId: id, newLimit: 45_000_00, reason: "mine" },
      users.analyst,
    );
    expect(
      (
        await callError(
          fns.decideLimitChange,
          { requestId: own.requestId, decision: "approve", note: "x" },
          users.analyst,
        )
      ).code,
    ).toBe("failed-precondition");
    // authority: 60,000 is above an analyst's 50,000
    const before = databaseSnapshot();
    expect(
      (
        await callError(
          fns.decideLimitChange,
          { requestId: req.requestId, decision: "approve", note: "x" },
          users.analyst,
        )
      ).code,
    ).toBe("permission-denied");
    expect(databaseSnapshot()).toBe(before);
    const ok = await call(
      fns.decideLimitChange,
      { requestId: req.requestId, decision: "approve", note: "fine" },
      users.manager,
    );
    expect(ok).toMatchObject({ status: "approved", creditLimit: 60_000_00 });
    const c = await customer(id);
    expect(c.creditLimit).toBe(60_000_00);
    expect(c.availableCredit).toBe(60_000_00);
    // retried decision returns the same answer; a different decision is refused
    expect(
      (
        await call(
          fns.decideLimitChange,
          { requestId: req.requestId, decision: "approve", note: "fine" },
          users.manager,
        )
      ).status,
    ).toBe("approved");
    expect(
      (
        await callError(
          fns.decideLimitChange,
          { requestId: req.requestId, decision: "reject", note: "no" },
          users.manager,
        )
      ).code,
    ).toBe("failed-precondition");
    const actions = (await db().collection(`audit/customer_${id}/entries`).orderBy("seq").get()).docs.map(
      (d) => d.data().action,
    );
    expect(actions).toEqual(expect.arrayContaining(["limit.request", "limit.approve"]));
  });

  it("a decrease takes effect at once", async () => {
    const id = await newCustomer(40_000_00);
    const r = await call(
      fns.requestLimitChange,
      { customerId: id, newLimit: 10_000_00, reason: "risk" },
      users.analyst,
    );
    expect(r).toMatchObject({ status: "approved", creditLimit: 10_000_00 });
    expect((await customer(id)).availableCredit).toBe(10_000_00);
  });

  it("a temporary limit adds on top until it expires by itself", async () => {
    const id = await newCustomer(40_000_00);
    const expires = Date.now() + 10 * DAY;
    const r = await call(
      fns.requestLimitChange,
      { customerId: id, newLimit: 45_000_00, expiresAt: new Date(expires).toISOString(), reason: "peak" },
      users.sales,
    );
    const d = await call(
      fns.decideLimitChange,
      { requestId: r.requestId, decision: "approve", note: "ok" },
      users.analyst,
    );
    expect(d.temporaryLimit.amount).toBe(5_000_00);
    expect((await customer(id)).availableCredit).toBe(45_000_00);
    // the order check honours the temporary limit before expiry and ignores it after
    expect(
      (await call(fns.checkOrder, { customerId: id, orderAmount: 44_000_00 }, users.analyst)).availableCredit,
    ).toBe(45_000_00);
    await updateCreditFile(id, { "temporaryLimit.expiresAt": new Date(Date.now() - 1000) });
    expect((await call(fns.checkOrder, { customerId: id, orderAmount: 1_00 }, users.analyst)).availableCredit).toBe(
      40_000_00,
    );
  });

  it("bad input names the field; sales only for their own customers; blocked increases", async () => {
    const id = await newCustomer();
    expect(
      (await callError(fns.requestLimitChange, { customerId: id, newLimit: 1.5, reason: "x" }, users.sales)).message,
    ).toContain("newLimit");
    expect(
      (
        await callError(
          fns.requestLimitChange,
          { customerId: id, newLimit: 50_000_00, expiresAt: "2000-01-01", reason: "x" },
          users.sales,
        )
      ).message,
    ).toContain("expiresAt");
    expect(
      (await callError(fns.requestLimitChange, { customerId: id, newLimit: 50_000_00, reason: "x" }, users.sales2))
        .code,
    ).toBe("permission-denied");
    expect(
      (await callError(fns.requestLimitChange, { customerId: id, newLimit: 50_000_00, reason: "x" }, users.auditor))
        .code,
    ).toBe("permission-denied");
    await updateCreditFile(id, { "flags.noLimitIncrease": true });
    expect(
      (await callError(fns.requestLimitChange, { customerId: id, newLimit: 50_000_00, reason: "x" }, users.sales)).code,
    ).toBe("failed-precondition");
    expect(
      (await callError(fns.decideLimitChange, { requestId: "nope", decision: "approve", note: "x" }, users.manager))
        .code,
    ).toBe("not-found");
  });
});

describe("setCreditStatus", () => {
  it("a manager holds and releases; the hold is manual; checkOrder follows", async () => {
    const id = await newCustomer();
    expect(
      await call(fns.setCreditStatus, { customerId: id, status: "on_hold", reason: "dispute" }, users.manager),
    ).toMatchObject({ status: "on_hold", statusKind: "manual" });
    expect((await call(fns.checkOrder, { customerId: id, orderAmount: 1_00 }, users.analyst)).decision).toBe("review");
    await call(fns.setCreditStatus, { customerId: id, status: "suspended", reason: "fraud" }, users.admin);
    expect((await call(fns.checkOrder, { customerId: id, orderAmount: 1_00 }, users.analyst)).decision).toBe("reject");
    await call(fns.setCreditStatus, { customerId: id, status: "active", reason: "settled" }, users.manager);
    expect((await customer(id)).statusKind).toBeNull();
    for (const who of [users.analyst, users.sales, users.auditor]) {
      expect((await callError(fns.setCreditStatus, { customerId: id, status: "active", reason: "x" }, who)).code).toBe(
        "permission-denied",
      );
    }
  });
});

describe("resolveAlert", () => {
  it("closes an open alert once, keeping the credit file's open-alert map in step", async () => {
    const id = await newCustomer();
    await call(
      fns.recordTransactions,
      {
        customerId: id,
        transactions: [
          {
            externalId: "BAD",
            type: "invoice",
            amount: 5_00,
            currency: "EUR",
            issuedAt: "2026-11-01",
            dueAt: "2026-12-01",
          },
        ],
      },
      users.integration,
    );
    const alertId = `customer_${id}_ledger_rejected`;
    await updateCreditFile(id, { openAlerts: { ledger_rejected: true } });
    const r = await call(fns.resolveAlert, { alertId, resolution: "action_taken", note: "ERP fixed" }, users.analyst);
    expect(r).toEqual({ status: "resolved", alertId });
    expect((await db().doc(`alerts/${alertId}`).get()).data()).toMatchObject({
      status: "resolved",
      resolution: "action_taken",
      resolvedBy: users.analyst.uid,
    });
    expect((await customer(id)).openAlerts).toEqual({});
    expect(
      (await callError(fns.resolveAlert, { alertId, resolution: "cured", note: "again" }, users.manager)).code,
    ).toBe("failed-precondition");
    expect(
      (await callError(fns.resolveAlert, { alertId: "nope", resolution: "cured", note: "x" }, users.manager)).code,
    ).toBe("not-found");
    expect(
      (await callError(fns.resolveAlert, { alertId, resolution: "whatever", note: "x" }, users.manager)).message,
    ).toContain("resolution");
    expect((await callError(fns.resolveAlert, { alertId, resolution: "cured", note: "x" }, users.sales)).code).toBe(
      "permission-denied",
    );
  });
});
