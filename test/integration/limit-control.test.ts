/**
 * Limit control: every change that raises a limit needs an approver who is not the requester
 * and has the authority; decisions re-validate against the file at decision time. The named
 * regressions reproduce what review found on the first wave.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { getFirestore, Timestamp } from "firebase-admin/firestore";
import * as fns from "../../functions/src/index.js";
import { clearPolicyCache } from "../../functions/src/services/policy.js";
import { approvedCustomer } from "../support/workflow.js";
import { call, callError, databaseSnapshot, firestoreServer, users } from "../support/callables.js";
import { creditFile, updateCreditFile } from "../support/credit-file.js";

const db = () => getFirestore();
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();
const customer = creditFile;
const auditActions = async (id: string) =>
  (await db().collection(`audit/customer_${id}/entries`).orderBy("seq").get()).docs.map((d) => d.data());

beforeEach(async () => {
  await firestoreServer().clear();
  clearPolicyCache();
});

describe("regression: the limit ratchet (first-wave review)", () => {
  it("a permanent request equal to the limit in force is an increase that waits for an approver, five times over", async () => {
    const id = await approvedCustomer(40_000_00);
    const temp = await call(
      fns.requestLimitChange,
      { customerId: id, newLimit: 45_000_00, expiresAt: iso(Date.now() + 30 * DAY), reason: "peak" },
      users.sales,
    );
    expect(temp.status).toBe("pending");
    await call(
      fns.decideLimitChange,
      { limitRequestId: temp.limitRequestId, decision: "approve", note: "ok" },
      users.analyst,
    );
    expect((await customer(id)).creditLimit).toBe(40_000_00);

    for (let i = 0; i < 5; i++) {
      const c = await customer(id);
      const limitInForce = Math.max(c.creditLimit, c.temporaryLimit?.limit ?? 0);
      const r = await call(
        fns.requestLimitChange,
        { customerId: id, newLimit: limitInForce, reason: `again ${i}` },
        users.sales,
      );
      // First wave: auto-approved as policy:decrease and the limit climbed by 5,000 each time.
      expect(r.status).toBe("pending");
      expect((await customer(id)).creditLimit).toBe(40_000_00);
    }
    const entries = await auditActions(id);
    expect(entries.filter((e) => e.action === "limit.decrease")).toHaveLength(0);
    expect(entries.filter((e) => e.action === "limit.request")).toHaveLength(6);
  });

  it("extending a temporary limit's expiry is an increase: never auto-approved (not to 2199)", async () => {
    const id = await approvedCustomer(40_000_00);
    const t = await call(
      fns.requestLimitChange,
      { customerId: id, newLimit: 45_000_00, expiresAt: iso(Date.now() + 10 * DAY), reason: "peak" },
      users.sales,
    );
    await call(
      fns.decideLimitChange,
      { limitRequestId: t.limitRequestId, decision: "approve", note: "ok" },
      users.analyst,
    );
    const before = (await customer(id)).temporaryLimit;
    const ext = await call(
      fns.requestLimitChange,
      { customerId: id, newLimit: 45_000_00, expiresAt: "2199-12-31", reason: "forever" },
      users.sales,
    );
    expect(ext.status).toBe("pending");
    expect((await customer(id)).temporaryLimit).toEqual(before);
    // A lower temporary limit ending sooner raises nothing: it takes effect at once.
    const lower = await call(
      fns.requestLimitChange,
      { customerId: id, newLimit: 42_000_00, expiresAt: iso(Date.now() + 5 * DAY), reason: "less" },
      users.sales,
    );
    expect(lower.status).toBe("approved");
    expect((await customer(id)).temporaryLimit.limit).toBe(42_000_00);
  });

  it("approving a stale temporary request after a permanent raise is refused (no negative temporary amount)", async () => {
    const id = await approvedCustomer(40_000_00);
    const temp = await call(
      fns.requestLimitChange,
      { customerId: id, newLimit: 45_000_00, expiresAt: iso(Date.now() + 30 * DAY), reason: "peak" },
      users.sales,
    );
    const perm = await call(
      fns.requestLimitChange,
      { customerId: id, newLimit: 48_000_00, reason: "growth" },
      users.sales,
    );
    await call(
      fns.decideLimitChange,
      { limitRequestId: perm.limitRequestId, decision: "approve", note: "ok" },
      users.analyst,
    );
    const before = databaseSnapshot();
    const err = await callError(
      fns.decideLimitChange,
      { limitRequestId: temp.limitRequestId, decision: "approve", note: "ok" },
      users.analyst,
    );
    expect(err.code).toBe("failed-precondition");
    expect(err.message).toContain("reject it and request again");
    expect(databaseSnapshot()).toBe(before);
    const c = await customer(id);
    expect(c.creditLimit).toBe(48_000_00);
    expect(c.temporaryLimit).toBeNull();
    // The stale request can still be rejected, with a note.
    expect(
      (
        await call(
          fns.decideLimitChange,
          { limitRequestId: temp.limitRequestId, decision: "reject", note: "superseded" },
          users.analyst,
        )
      ).status,
    ).toBe("rejected");
  });
});

describe("limit requests and decisions", () => {
  it("a request whose basis changed (a cut meanwhile) cannot be approved", async () => {
    const id = await approvedCustomer(40_000_00);
    const up = await call(
      fns.requestLimitChange,
      { customerId: id, newLimit: 45_000_00, reason: "growth" },
      users.sales,
    );
    await call(fns.requestLimitChange, { customerId: id, newLimit: 30_000_00, reason: "risk" }, users.analyst);
    expect(
      (
        await callError(
          fns.decideLimitChange,
          { limitRequestId: up.limitRequestId, decision: "approve", note: "ok" },
          users.manager,
        )
      ).code,
    ).toBe("failed-precondition");
    expect((await customer(id)).creditLimit).toBe(30_000_00);
  });

  it("noLimitIncrease stops permanent raises, higher temporary limits and extensions, at request and at decision", async () => {
    const id = await approvedCustomer(40_000_00);
    const pending = await call(
      fns.requestLimitChange,
      { customerId: id, newLimit: 45_000_00, reason: "growth" },
      users.sales,
    );
    await updateCreditFile(id, { "flags.noLimitIncrease": true });
    for (const input of [
      { customerId: id, newLimit: 41_000_00, reason: "x" },
      { customerId: id, newLimit: 41_000_00, expiresAt: iso(Date.now() + DAY), reason: "x" },
    ]) {
      expect((await callError(fns.requestLimitChange, input, users.sales)).code).toBe("failed-precondition");
    }
    expect(
      (
        await callError(
          fns.decideLimitChange,
          { limitRequestId: pending.limitRequestId, decision: "approve", note: "ok" },
          users.manager,
        )
      ).message,
    ).toContain("blocked by policy");
    // A decrease is still possible.
    expect(
      (await call(fns.requestLimitChange, { customerId: id, newLimit: 39_000_00, reason: "risk" }, users.sales)).status,
    ).toBe("approved");
  });

  it("authority is for the resulting limit; the requester never decides", async () => {
    const id = await approvedCustomer(40_000_00);
    const t = await call(
      fns.requestLimitChange,
      { customerId: id, newLimit: 60_000_00, expiresAt: iso(Date.now() + 5 * DAY), reason: "peak" },
      users.analyst,
    );
    expect(
      (
        await callError(
          fns.decideLimitChange,
          { limitRequestId: t.limitRequestId, decision: "approve", note: "ok" },
          users.analyst,
        )
      ).message,
    ).toContain("four-eyes");
    expect(
      (
        await callError(
          fns.decideLimitChange,
          { limitRequestId: t.limitRequestId, decision: "approve", note: "ok" },
          users.analyst2,
        )
      ).code,
    ).toBe("permission-denied");
    const ok = await call(
      fns.decideLimitChange,
      { limitRequestId: t.limitRequestId, decision: "approve", note: "ok" },
      users.manager,
    );
    expect(ok.temporaryLimit).toMatchObject({ limit: 60_000_00, amount: 20_000_00 });
    const entries = await auditActions(id);
    const approve = entries.find((e) => e.action === "limit.approve")!;
    expect(approve.actor.uid).toBe(users.manager.uid);
    expect(approve.after).toMatchObject({
      limitInForce: 60_000_00,
      creditLimit: 40_000_00,
      requestedBy: users.analyst.uid,
    });
  });

  it("the old name of the limit request's id (requestId) works for one release, and limitRequestId frees requestId for idempotency", async () => {
    const id = await approvedCustomer(40_000_00);
    const r = await call(
      fns.requestLimitChange,
      { customerId: id, newLimit: 45_000_00, reason: "growth" },
      users.sales,
    );
    expect(r.requestId).toBe(r.limitRequestId);
    expect(
      (
        await call(
          fns.decideLimitChange,
          { requestId: r.limitRequestId, decision: "approve", note: "legacy" },
          users.manager,
        )
      ).status,
    ).toBe("approved");
    const r2 = await call(
      fns.requestLimitChange,
      { customerId: id, newLimit: 46_000_00, reason: "growth" },
      users.sales,
    );
    const first = await call(
      fns.decideLimitChange,
      { limitRequestId: r2.limitRequestId, decision: "approve", note: "ok", requestId: "dec-1" },
      users.manager,
    );
    const before = databaseSnapshot();
    expect(
      await call(
        fns.decideLimitChange,
        { limitRequestId: r2.limitRequestId, decision: "approve", note: "ok", requestId: "dec-1" },
        users.manager,
      ),
    ).toEqual(first);
    expect(databaseSnapshot()).toBe(before);
    expect(
      (await callError(fns.decideLimitChange, { decision: "approve", note: "ok" }, users.manager)).message,
    ).toContain("limitRequestId");
  });

  it("reads a temporary limit stored the first wave's way ({amount} on top) as the total it meant", async () => {
    const id = await approvedCustomer(40_000_00);
    await updateCreditFile(id, {
      temporaryLimit: { amount: 10_000_00, expiresAt: Timestamp.fromMillis(Date.now() + 5 * DAY) },
    });
    expect((await call(fns.checkOrder, { customerId: id, orderAmount: 1_00 }, users.analyst)).availableCredit).toBe(
      50_000_00,
    );
  });
});
