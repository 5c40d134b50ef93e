/**
 * The limit enforced at the order: reservations at the order check, their conversion when the
 * order is recorded (counted once), cancellation and lapse, the blocked-order release queue,
 * and breaches made visible (over limit, orders while suspended).
 */
import { beforeEach, describe, expect, it } from "vitest";
import { getFirestore, Timestamp } from "firebase-admin/firestore";
import * as fns from "../../functions/src/index.js";
import { DEFAULT_POLICY } from "../../functions/src/domain/policy.js";
import { clearPolicyCache } from "../../functions/src/services/policy.js";
import { checkOrder } from "../../functions/src/services/orders.js";
import { monitorCustomer } from "../../functions/src/services/monitoring.js";
import { applyTransactionEvent } from "../../functions/src/services/transactions.js";
import { approvedCustomer } from "../support/workflow.js";
import { call, callError, databaseSnapshot, firestoreServer, users } from "../support/callables.js";
import { creditFile } from "../support/credit-file.js";

const db = () => getFirestore();
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();
const customer = creditFile;
const block = async (id: string) => (await db().doc(`orderBlocks/${id}`).get()).data()!;
const alert = async (id: string, type: string) => (await db().doc(`alerts/customer_${id}_${type}`).get()).data();
const actions = async (id: string) =>
  (await db().collection(`audit/customer_${id}/entries`).orderBy("seq").get()).docs.map(
    (d) => d.data().action as string,
  );

beforeEach(async () => {
  await firestoreServer().clear();
  clearPolicyCache();
});

const order = (externalId: string, amount: number, extra: Record<string, unknown> = {}) => ({
  externalId,
  type: "order",
  amount,
  issuedAt: iso(Date.now()),
  ...extra,
});

describe("regression: the limit is enforced, not advisory (first-wave review)", () => {
  it("two 30,000 orders on a 40,000 limit: the first is reserved, the second blocked; recording the first counts it once", async () => {
    const id = await approvedCustomer(40_000_00);
    const a = await call(
      fns.checkOrder,
      { customerId: id, orderAmount: 30_000_00, reserve: true, orderRef: "PO-1" },
      users.sales,
    );
    expect(a).toMatchObject({ decision: "approve", availableCredit: 10_000_00 });
    expect(a.reservationId).toEqual(expect.any(String));
    expect(Date.parse(a.expiresAt) - Date.now()).toBeGreaterThan(71 * HOUR);
    const b = await call(
      fns.checkOrder,
      { customerId: id, orderAmount: 30_000_00, reserve: true, orderRef: "PO-2" },
      users.sales,
    );
    expect(b).toMatchObject({ decision: "review", reasons: ["EXCEEDS_AVAILABLE_CREDIT"], availableCredit: 10_000_00 });
    expect(b.blockId).toEqual(expect.any(String));
    // Without reserve the answer counts the reservation too (and writes nothing).
    const before = databaseSnapshot();
    expect(await call(fns.checkOrder, { customerId: id, orderAmount: 10_000_00 }, users.sales)).toMatchObject({
      decision: "approve",
      availableCredit: 10_000_00,
    });
    expect(databaseSnapshot()).toBe(before);

    const r = await call(
      fns.recordTransactions,
      { customerId: id, transactions: [order("PO-1", 30_000_00)] },
      users.integration,
    );
    expect(r).toMatchObject({ recorded: 1, exposure: 30_000_00, availableCredit: 10_000_00 });
    const c = await customer(id);
    expect(c.reservations).toEqual({});
    expect(c.reserved).toBe(0);
    expect(c.availableCredit).toBe(10_000_00);
    expect(await actions(id)).toEqual(expect.arrayContaining(["order.reserve", "order.block", "transactions.record"]));
  });
});

describe("reservations", () => {
  it("a re-check of the same order keeps its reservation (no double hold); another amount re-sizes it", async () => {
    const id = await approvedCustomer(40_000_00);
    const first = await call(
      fns.checkOrder,
      { customerId: id, orderAmount: 30_000_00, reserve: true, orderRef: "PO-1" },
      users.integration,
    );
    const before = databaseSnapshot();
    const again = await call(
      fns.checkOrder,
      { customerId: id, orderAmount: 30_000_00, reserve: true, orderRef: "PO-1" },
      users.integration,
    );
    expect(again).toEqual(first);
    expect(databaseSnapshot()).toBe(before);
    const resized = await call(
      fns.checkOrder,
      { customerId: id, orderAmount: 35_000_00, reserve: true, orderRef: "PO-1" },
      users.integration,
    );
    expect(resized).toMatchObject({
      decision: "approve",
      reservationId: first.reservationId,
      availableCredit: 5_000_00,
    });
  });

  it("an order recorded through the trigger path (ERP direct write) converts its reservation by orderRef", async () => {
    const id = await approvedCustomer(40_000_00);
    await call(
      fns.checkOrder,
      { customerId: id, orderAmount: 20_000_00, reserve: true, orderRef: "SO-77" },
      users.integration,
    );
    const now = Date.now();
    const doc = { type: "order", amount: 20_000_00, issuedAt: Timestamp.fromMillis(now), orderRef: "SO-77" };
    await db().doc(`customers/${id}/transactions/ERP-ORDER-1`).set(doc);
    // Marked pending, then drained (inline here: no task queue under firebase-functions-test).
    expect(
      await applyTransactionEvent(
        { customerId: id, externalId: "ERP-ORDER-1", after: doc, sourceUpdateTime: now },
        now,
        DEFAULT_POLICY,
      ),
    ).toBe("pending");
    const c = await customer(id);
    expect(c.exposure).toBe(20_000_00);
    expect(c.reservations).toEqual({});
    expect(c.availableCredit).toBe(20_000_00);
  });

  it("cancelReservation releases the credit; sales only for their own customers", async () => {
    const id = await approvedCustomer(40_000_00);
    await call(
      fns.checkOrder,
      { customerId: id, orderAmount: 30_000_00, reserve: true, orderRef: "PO-1" },
      users.sales,
    );
    expect((await callError(fns.cancelReservation, { customerId: id, orderRef: "PO-1" }, users.sales2)).code).toBe(
      "permission-denied",
    );
    expect(await call(fns.cancelReservation, { customerId: id, orderRef: "PO-1" }, users.sales)).toEqual({
      released: true,
      blockCancelled: false,
    });
    expect((await customer(id)).availableCredit).toBe(40_000_00);
    const before = databaseSnapshot();
    expect(await call(fns.cancelReservation, { customerId: id, orderRef: "PO-1" }, users.sales)).toEqual({
      released: false,
      blockCancelled: false,
    });
    expect(databaseSnapshot()).toBe(before);
    expect(await actions(id)).toContain("order.cancel");
  });

  it("a reservation stops counting when its time is up, whether or not a job ran; monitoring tidies it away", async () => {
    const id = await approvedCustomer(40_000_00);
    const t0 = Date.now();
    await checkOrder(
      { customerId: id, orderAmount: 30_000_00, reserve: true, orderRef: "PO-1" },
      users.sales as never,
      t0,
      DEFAULT_POLICY,
    );
    expect(
      (
        await checkOrder(
          { customerId: id, orderAmount: 20_000_00 },
          users.sales as never,
          t0 + 71 * HOUR,
          DEFAULT_POLICY,
        )
      ).decision,
    ).toBe("review");
    const later = await checkOrder(
      { customerId: id, orderAmount: 20_000_00 },
      users.sales as never,
      t0 + 73 * HOUR,
      DEFAULT_POLICY,
    );
    expect(later).toMatchObject({ decision: "approve", availableCredit: 40_000_00 });
    await monitorCustomer(id, t0 + 2 * DAY + 73 * HOUR, DEFAULT_POLICY);
    expect((await customer(id)).reservations).toEqual({});
  });

  it("live reservations are bounded by the policy: past the cap the order is blocked for a person", async () => {
    const id = await approvedCustomer(400_000_00);
    await db()
      .doc("config/creditPolicy")
      .set({ orderCheck: { maxOpenOrders: 3 } });
    clearPolicyCache();
    for (const ref of ["A", "B", "C"])
      expect(
        (
          await call(
            fns.checkOrder,
            { customerId: id, orderAmount: 1_00, reserve: true, orderRef: ref },
            users.integration,
          )
        ).decision,
      ).toBe("approve");
    const d = await call(
      fns.checkOrder,
      { customerId: id, orderAmount: 1_00, reserve: true, orderRef: "D" },
      users.integration,
    );
    expect(d).toMatchObject({ decision: "review", reasons: ["TOO_MANY_OPEN_RESERVATIONS"] });
    expect(Object.keys((await customer(id)).reservations)).toHaveLength(3);
  });

  it("reserve needs an orderRef; bad input names the field and writes nothing", async () => {
    const id = await approvedCustomer();
    const before = databaseSnapshot();
    expect(
      (await callError(fns.checkOrder, { customerId: id, orderAmount: 1_00, reserve: true }, users.sales)).message,
    ).toContain("orderRef");
    expect(
      (
        await callError(
          fns.checkOrder,
          { customerId: id, orderAmount: 1_00, reserve: true, orderRef: "a/b" },
          users.sales,
        )
      ).message,
    ).toContain("orderRef");
    expect(databaseSnapshot()).toBe(before);
  });
});

describe("the blocked-order release queue", () => {
  async function blocked(limit = 40_000_00, amount = 50_000_00) {
    const id = await approvedCustomer(limit);
    const r = await call(
      fns.checkOrder,
      { customerId: id, orderAmount: amount, reserve: true, orderRef: "PO-9" },
      users.sales,
    );
    expect(r.decision).toBe("review");
    return { id, blockId: r.blockId as string };
  }

  it("an analyst within authority releases (never the requester); the order is reserved; over limit raises its alert", async () => {
    const { id, blockId } = await blocked();
    expect(await block(blockId)).toMatchObject({
      customerId: id,
      ownerUid: users.sales.uid,
      orderRef: "PO-9",
      amount: 50_000_00,
      status: "open",
      requestedBy: users.sales.uid,
    });
    expect((await customer(id)).openBlocks).toMatchObject({ "PO-9": { blockId } });
    expect(
      (await callError(fns.releaseOrderBlock, { blockId, decision: "release", note: "ok" }, users.sales)).code,
    ).toBe("permission-denied");
    const r = await call(
      fns.releaseOrderBlock,
      { blockId, decision: "release", note: "customer paid by wire today" },
      users.analyst,
    );
    expect(r).toMatchObject({ status: "released", blockId, reservationId: expect.any(String) });
    expect(await block(blockId)).toMatchObject({
      status: "released",
      decidedBy: users.analyst.uid,
      note: "customer paid by wire today",
      reservationId: r.reservationId,
    });
    const c = await customer(id);
    expect(c.openBlocks).toEqual({});
    expect(c.availableCredit).toBe(-10_000_00);
    expect(await alert(id, "over_limit")).toMatchObject({ status: "open", code: "OVER_LIMIT_BY_RELEASE" });
    expect(
      (await callError(fns.releaseOrderBlock, { blockId, decision: "reject", note: "again" }, users.manager)).code,
    ).toBe("failed-precondition");
    // Recording the released order converts its reservation: counted once.
    await call(fns.recordTransactions, { customerId: id, transactions: [order("PO-9", 50_000_00)] }, users.integration);
    expect((await customer(id)).availableCredit).toBe(-10_000_00);
    expect(await actions(id)).toEqual(expect.arrayContaining(["order.block", "order.block_release", "alert.raise"]));
  });

  it("four eyes: whoever ran the check cannot decide the block; authority by amount", async () => {
    const id = await approvedCustomer(40_000_00);
    const r = await call(
      fns.checkOrder,
      { customerId: id, orderAmount: 60_000_00, reserve: true, orderRef: "PO-1" },
      users.analyst,
    );
    expect(
      (await callError(fns.releaseOrderBlock, { blockId: r.blockId, decision: "release", note: "mine" }, users.analyst))
        .message,
    ).toContain("four-eyes");
    expect(
      (
        await callError(
          fns.releaseOrderBlock,
          { blockId: r.blockId, decision: "release", note: "too big" },
          users.analyst2,
        )
      ).code,
    ).toBe("permission-denied");
    expect(
      (await call(fns.releaseOrderBlock, { blockId: r.blockId, decision: "reject", note: "not now" }, users.analyst2))
        .status,
    ).toBe("rejected");
    expect(await block(r.blockId)).toMatchObject({ status: "rejected", note: "not now" });
  });

  it("an order the check rejected (suspended file) is released only by a manager or an admin", async () => {
    const id = await approvedCustomer(40_000_00);
    await call(fns.setCreditStatus, { customerId: id, status: "suspended", reason: "fraud check" }, users.manager);
    const r = await call(
      fns.checkOrder,
      { customerId: id, orderAmount: 1_000_00, reserve: true, orderRef: "PO-1" },
      users.sales,
    );
    expect(r).toMatchObject({ decision: "reject", reasons: ["CREDIT_SUSPENDED"] });
    expect(
      (await callError(fns.releaseOrderBlock, { blockId: r.blockId, decision: "release", note: "ok" }, users.analyst))
        .code,
    ).toBe("permission-denied");
    expect(
      (
        await call(
          fns.releaseOrderBlock,
          { blockId: r.blockId, decision: "release", note: "cleared by phone" },
          users.manager,
        )
      ).status,
    ).toBe("released");
  });

  it("an order recorded while its block is open bypasses the block (on the record); cancelling closes a block", async () => {
    const { id, blockId } = await blocked();
    await call(fns.recordTransactions, { customerId: id, transactions: [order("PO-9", 50_000_00)] }, users.integration);
    expect(await block(blockId)).toMatchObject({ status: "bypassed", note: "ORDER_RECORDED_WHILE_BLOCKED" });
    expect((await customer(id)).openBlocks).toEqual({});
    expect(await alert(id, "over_limit")).toMatchObject({ status: "open" });
    const b2 = await call(
      fns.checkOrder,
      { customerId: id, orderAmount: 1_00, reserve: true, orderRef: "PO-10" },
      users.sales,
    );
    expect(await call(fns.cancelReservation, { customerId: id, orderRef: "PO-10" }, users.sales)).toEqual({
      released: false,
      blockCancelled: true,
    });
    expect(await block(b2.blockId)).toMatchObject({ status: "cancelled" });
  });
});

describe("breaches are visible", () => {
  it("an order recorded for a suspended customer is accepted and raises order_while_suspended, resolved when the suspension ends", async () => {
    const id = await approvedCustomer(40_000_00);
    await call(fns.setCreditStatus, { customerId: id, status: "suspended", reason: "review" }, users.manager);
    const r = await call(
      fns.recordTransactions,
      { customerId: id, transactions: [order("SO-1", 1_000_00)] },
      users.integration,
    );
    expect(r.recorded).toBe(1);
    expect(await alert(id, "order_while_suspended")).toMatchObject({ status: "open", severity: "critical" });
    await call(fns.setCreditStatus, { customerId: id, status: "active", reason: "cleared" }, users.manager);
    await monitorCustomer(id, Date.now() + DAY, DEFAULT_POLICY);
    expect(await alert(id, "order_while_suspended")).toMatchObject({ status: "resolved" });
  });

  it("exposure beyond the limit in force raises over_limit when recorded, resolved when back within it", async () => {
    const id = await approvedCustomer(40_000_00);
    const now = Date.now();
    await call(
      fns.recordTransactions,
      {
        customerId: id,
        transactions: [
          { externalId: "INV-1", type: "invoice", amount: 45_000_00, issuedAt: iso(now), dueAt: iso(now + 30 * DAY) },
        ],
      },
      users.integration,
    );
    expect(await alert(id, "over_limit")).toMatchObject({ status: "open", code: "OVER_LIMIT" });
    await call(
      fns.recordTransactions,
      {
        customerId: id,
        transactions: [
          { externalId: "PAY-1", type: "payment", amount: 10_000_00, issuedAt: iso(now), invoiceExternalId: "INV-1" },
        ],
      },
      users.integration,
    );
    expect(await alert(id, "over_limit")).toMatchObject({ status: "resolved" });
    expect((await customer(id)).openAlerts?.over_limit).toBeUndefined();
  });
});
