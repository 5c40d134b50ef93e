import { beforeEach, describe, expect, it } from "vitest";
import { getFirestore, Timestamp } from "firebase-admin/firestore";
import * as fns from "../../functions/src/index.js";
import { clearPolicyCache } from "../../functions/src/services/policy.js";
import { recomputeFromHistory, type LedgerRecord } from "../../functions/src/domain/ledger.js";
import { DEFAULT_POLICY } from "../../functions/src/domain/policy.js";
import {
  applyTransactionEvent,
  drainPendingRecords,
  recordFromDocument,
  recordFromInput,
  type DrainTask,
} from "../../functions/src/services/transactions.js";
import { transactionInput } from "../../functions/src/schemas/callables.js";
import { approvedCustomer } from "../support/workflow.js";
import { call, callError, databaseSnapshot, fft, firestoreServer, users } from "../support/callables.js";
import { creditFile } from "../support/credit-file.js";

const db = () => getFirestore();
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

const newCustomer = approvedCustomer;

const customer = creditFile;

beforeEach(async () => {
  await firestoreServer().clear();
  clearPolicyCache();
});

describe("recordTransactions", () => {
  it("keeps exposure, available credit, aging and tier current; checkOrder turns to review", async () => {
    const id = await newCustomer(40_000_00);
    const now = Date.now();
    const r1 = await call(
      fns.recordTransactions,
      {
        customerId: id,
        transactions: [
          {
            externalId: "INV-1",
            type: "invoice",
            amount: 10_000_00,
            issuedAt: iso(now - 40 * DAY),
            dueAt: iso(now - 10 * DAY),
          },
          {
            externalId: "INV-2",
            type: "invoice",
            amount: 20_000_00,
            issuedAt: iso(now - 5 * DAY),
            dueAt: iso(now + 25 * DAY),
          },
          { externalId: "ORD-1", type: "order", amount: 5_000_00, issuedAt: iso(now - 1 * DAY) },
        ],
      },
      users.integration,
    );
    expect(r1).toMatchObject({ recorded: 3, duplicates: 0, exposure: 35_000_00, availableCredit: 5_000_00 });
    let c = await customer(id);
    expect(c.aggregates.aging.d1_30).toBe(10_000_00);
    expect(c.aggregates.aging.current).toBe(20_000_00);
    expect(c.aggregates.oldestDaysPastDue).toBe(10);
    expect((await call(fns.checkOrder, { customerId: id, orderAmount: 6_000_00 }, users.sales)).decision).toBe(
      "review",
    );

    // A partial payment against INV-1, then the rest unreferenced (oldest first).
    const r2 = await call(
      fns.recordTransactions,
      {
        customerId: id,
        transactions: [
          { externalId: "PAY-1", type: "payment", amount: 4_000_00, issuedAt: iso(now), invoiceExternalId: "INV-1" },
          { externalId: "PAY-2", type: "payment", amount: 7_000_00, issuedAt: iso(now) },
        ],
      },
      users.integration,
    );
    expect(r2.exposure).toBe(24_000_00);
    c = await customer(id);
    expect(c.aggregates.aging.d1_30).toBe(0);
    expect(c.aggregates.aging.current).toBe(19_000_00);
    expect(c.aggregates.oldestDaysPastDue).toBe(0);
    expect(c.availableCredit).toBe(16_000_00);
    expect((await call(fns.checkOrder, { customerId: id, orderAmount: 6_000_00 }, users.sales)).decision).not.toBe(
      "reject",
    );
    // audit: one entry per batch in the customer's chain
    const entries = await db().collection(`audit/customer_${id}/entries`).orderBy("seq").get();
    expect(entries.docs.map((d) => d.data().action)).toEqual([
      "customer.create",
      "transactions.record",
      "transactions.record",
    ]);
  });

  it("is idempotent by externalId: re-sending records counts duplicates and changes nothing", async () => {
    const id = await newCustomer();
    const batch = {
      customerId: id,
      transactions: [
        { externalId: "INV-9", type: "invoice", amount: 1_000_00, issuedAt: "2026-11-01", dueAt: "2026-12-01" },
      ],
    };
    await call(fns.recordTransactions, batch, users.integration);
    const before = (await customer(id)).ledger;
    const again = await call(fns.recordTransactions, batch, users.integration);
    expect(again).toMatchObject({ recorded: 0, duplicates: 1, exposure: 1_000_00 });
    expect((await customer(id)).ledger).toEqual(before);
  });

  it("accepts 500 records in one call and rejects 501 without writing", async () => {
    const id = await newCustomer(100_000_00);
    const make = (n: number) =>
      Array.from({ length: n }, (_, i) => ({
        externalId: `INV-${i}`,
        type: "invoice",
        amount: 100,
        issuedAt: "2026-10-01",
        dueAt: "2026-12-31",
      }));
    const before = databaseSnapshot();
    const err = await callError(fns.recordTransactions, { customerId: id, transactions: make(501) }, users.integration);
    expect(err.code).toBe("invalid-argument");
    expect(err.message).toContain("transactions");
    expect(databaseSnapshot()).toBe(before);
    const ok = await call(fns.recordTransactions, { customerId: id, transactions: make(500) }, users.integration);
    expect(ok).toMatchObject({ recorded: 500, exposure: 500 * 100 });
    expect((await db().collection(`customers/${id}/transactions`).get()).size).toBe(500);
  });

  it("one malformed record fails the whole call, naming it, and writes nothing", async () => {
    const id = await newCustomer();
    const before = databaseSnapshot();
    const err = await callError(
      fns.recordTransactions,
      {
        customerId: id,
        transactions: [
          { externalId: "INV-1", type: "invoice", amount: 1_000_00, issuedAt: "2026-11-01", dueAt: "2026-12-01" },
          { externalId: "PAY-1", type: "payment", amount: -5, issuedAt: "2026-11-02" },
        ],
      },
      users.integration,
    );
    expect(err.code).toBe("invalid-argument");
    expect(err.message).toContain("transactions.1.amount");
    expect(databaseSnapshot()).toBe(before);
  });

  it("a record the ledger cannot apply is marked rejected with a reason and an alert, next to good ones", async () => {
    const id = await newCustomer();
    const r = await call(
      fns.recordTransactions,
      {
        customerId: id,
        transactions: [
          { externalId: "INV-1", type: "invoice", amount: 1_000_00, issuedAt: "2026-11-01", dueAt: "2026-12-01" },
          {
            externalId: "INV-EUR",
            type: "invoice",
            amount: 1_000_00,
            currency: "EUR",
            issuedAt: "2026-11-01",
            dueAt: "2026-12-01",
          },
          { externalId: "INV-NODUE", type: "invoice", amount: 1_000_00, issuedAt: "2026-11-01" },
        ],
      },
      users.integration,
    );
    expect(r.recorded).toBe(1);
    expect(r.rejected.map((x: { externalId: string }) => x.externalId).sort()).toEqual(["INV-EUR", "INV-NODUE"]);
    expect(r.exposure).toBe(1_000_00);
    const rejected = (await db().doc(`customers/${id}/transactions/INV-EUR`).get()).data()!;
    expect(rejected.ledger.state).toBe("rejected");
    expect(rejected.ledger.field).toBe("currency");
    const alert = (await db().doc(`alerts/customer_${id}_ledger_rejected`).get()).data()!;
    expect(alert.status).toBe("open");
  });

  it("roles: integration, analyst, manager only", async () => {
    const id = await newCustomer();
    const data = {
      customerId: id,
      transactions: [{ externalId: "X1", type: "order", amount: 100, issuedAt: "2026-11-01" }],
    };
    for (const who of [users.sales, users.auditor, users.applicant, users.admin]) {
      expect((await callError(fns.recordTransactions, data, who)).code).toBe("permission-denied");
    }
    expect((await callError(fns.recordTransactions, { ...data, customerId: "nope" }, users.integration)).code).toBe(
      "not-found",
    );
  });
});

describe("onTransactionWritten trigger (group commit)", () => {
  const wrapped = () => fft.wrap(fns.onTransactionWritten);
  const rfc3339 = (t: Timestamp) =>
    `${new Date(t.seconds * 1000).toISOString().slice(0, 19)}.${String(t.nanoseconds).padStart(9, "0")}Z`;
  const path = (customerId: string, externalId: string) => `customers/${customerId}/transactions/${externalId}`;

  /** The event Firestore delivers for the version now stored (its exact update time), or for a delete. */
  async function eventOf(customerId: string, externalId: string, eventId: string) {
    const snap = await db().doc(path(customerId, externalId)).get();
    const p = path(customerId, externalId);
    const after = snap.exists
      ? fft.firestore.makeDocumentSnapshot(snap.data()!, p, {
          updateTime: rfc3339(snap.updateTime!),
          createTime: rfc3339(snap.createTime!),
        } as never)
      : fft.firestore.makeDocumentSnapshot({}, p);
    const change = fft.makeChange(fft.firestore.makeDocumentSnapshot({}, p), after);
    return { data: change, params: { customerId, externalId }, id: eventId, time: new Date().toISOString() };
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const deliver = async (event: unknown) => (wrapped() as any)(event);

  const invoice = (amount: number) => ({
    type: "invoice",
    amount,
    issuedAt: Timestamp.fromMillis(Date.UTC(2026, 10, 1)),
    dueAt: Timestamp.fromMillis(Date.UTC(2026, 11, 1)),
  });

  it("applies a console write (marked pending, drained), and a redelivered event changes nothing", async () => {
    const id = await newCustomer();
    await db().doc(path(id, "INV-C")).set(invoice(2_000_00));
    const e1 = await eventOf(id, "INV-C", "e1");
    await deliver(e1);
    expect((await customer(id)).exposure).toBe(2_000_00);
    const stored = (await db().doc(path(id, "INV-C")).get()).data()!;
    expect(stored.ledger.state).toBe("applied");
    expect(stored.pendingAt).toBeUndefined();
    const ledgerBefore = (await customer(id)).ledger;
    const auditBefore = (await db().collection(`audit/customer_${id}/entries`).get()).size;
    await deliver(e1); // at-least-once: the same event again
    expect((await customer(id)).exposure).toBe(2_000_00);
    expect((await customer(id)).ledger).toEqual(ledgerBefore);
    expect((await db().collection(`audit/customer_${id}/entries`).get()).size).toBe(auditBefore);
  });

  it("out-of-order events: the stored version is what counts; a delete unapplies exactly; a late create does not bring it back", async () => {
    const id = await newCustomer();
    await db().doc(path(id, "INV-D")).set(invoice(3_000_00));
    const v1 = await eventOf(id, "INV-D", "e1");
    await db().doc(path(id, "INV-D")).set(invoice(5_000_00));
    const v2 = await eventOf(id, "INV-D", "e2");
    await deliver(v2);
    expect((await customer(id)).exposure).toBe(5_000_00);
    await deliver(v1); // stale: its version is no longer stored
    expect((await customer(id)).exposure).toBe(5_000_00);
    await db().doc(path(id, "INV-D")).delete();
    await deliver(await eventOf(id, "INV-D", "e3"));
    expect((await customer(id)).exposure).toBe(0);
    await deliver(v1); // a late create after the delete
    expect((await customer(id)).exposure).toBe(0);
    expect((await db().doc(path(id, "INV-D")).get()).exists).toBe(false);
  });

  it("skips documents already applied by the callable (no double counting, no read)", async () => {
    const id = await newCustomer();
    await call(
      fns.recordTransactions,
      {
        customerId: id,
        transactions: [
          { externalId: "INV-K", type: "invoice", amount: 7_00, issuedAt: "2026-11-01", dueAt: "2026-12-01" },
        ],
      },
      users.integration,
    );
    await deliver(await eventOf(id, "INV-K", "e-k"));
    expect((await customer(id)).exposure).toBe(7_00);
  });

  it("a bad console record is marked rejected once and does not throw (no endless retries)", async () => {
    const id = await newCustomer();
    const bad = { type: "invoice", amount: 10.5, issuedAt: Timestamp.fromMillis(Date.UTC(2026, 10, 1)) };
    await db().doc(path(id, "INV-BAD")).set(bad);
    await deliver(await eventOf(id, "INV-BAD", "e-bad"));
    const d = (await db().doc(path(id, "INV-BAD")).get()).data()!;
    expect(d.ledger.state).toBe("rejected");
    expect(d.pendingAt).toBeUndefined();
    expect((await customer(id)).exposure).toBe(0);
    // the marked document's own event is recognised and skipped
    await deliver(await eventOf(id, "INV-BAD", "e-bad-2"));
    expect((await db().doc(`alerts/customer_${id}_ledger_rejected`).get()).data()?.occurrences).toBe(1);
  });

  it("a burst for one customer is one transaction: 40 records, one write of the customer, the from-scratch result", async () => {
    const id = await newCustomer(400_000_00);
    const tasks = new Map<string, DrainTask>();
    const enqueue = async (t: DrainTask, opts?: { id?: string }) =>
      (tasks.has(opts!.id!) ? "exists" : (tasks.set(opts!.id!, t), "enqueued")) as "exists" | "enqueued";
    const now = Date.now();
    const records: LedgerRecord[] = [];
    for (let i = 0; i < 40; i++) {
      const r =
        i % 2 === 0
          ? {
              type: "invoice",
              amount: 1_000_00 + i,
              issuedAt: Timestamp.fromMillis(now - 20 * DAY),
              dueAt: Timestamp.fromMillis(now - (i % 7) * DAY),
            }
          : {
              type: "payment",
              amount: 500_00,
              issuedAt: Timestamp.fromMillis(now - DAY),
              invoiceExternalId: `B-${i - 1}`,
            };
      await db()
        .doc(path(id, `B-${i}`))
        .set(r);
      records.push(recordFromDocument(`B-${i}`, r));
      const ev = await eventOf(id, `B-${i}`, `b${i}`);
      const after = ev.data.after;
      expect(
        await applyTransactionEvent(
          {
            customerId: id,
            externalId: `B-${i}`,
            after: after.data()!,
            sourceUpdateTime: after.updateTime!.toMillis(),
            sourceVersion: after.updateTime!,
          },
          now,
          DEFAULT_POLICY,
          { enqueue },
        ),
      ).toBe("pending");
    }
    // One task name per customer and period: the 40 records asked for a handful of drains at most.
    expect(tasks.size).toBeLessThanOrEqual(Math.ceil((Date.now() - now) / 1000) + 1);
    const headBefore = (await db().doc(`customers/${id}`).get()).updateTime!;
    const run = await drainPendingRecords(id, Date.now(), DEFAULT_POLICY);
    expect(run).toMatchObject({ records: 40, applied: 40, rejected: 0, mode: "batch", more: false });
    expect((await db().doc(`customers/${id}`).get()).updateTime!.isEqual(headBefore)).toBe(false);
    const c = await customer(id);
    const oracle = recomputeFromHistory(records, c.updatedAt.toMillis());
    expect(c.aggregates.exposure).toBe(oracle.exposure);
    expect(c.aggregates.aging).toEqual(oracle.aging);
    expect(c.aggregates.unappliedCash).toBe(oracle.unappliedCash);
    // The customer was written once for the 40: one audit entry names them all.
    const entries = (
      await db().collection(`audit/customer_${id}/entries`).where("action", "==", "transactions.record").get()
    ).docs;
    expect(entries).toHaveLength(1);
    expect(entries[0]!.data().after.applied).toHaveLength(40);
    // Idempotent: the drain again finds nothing pending.
    expect(await drainPendingRecords(id, Date.now(), DEFAULT_POLICY)).toMatchObject({ records: 0, mode: "none" });
    for (const d of (await db().collection(`customers/${id}/transactions`).get()).docs)
      expect(d.data().ledger.state).toBe("applied");
  });

  it("more records than one drain takes: the drain takes the bound and says more; the next takes the rest", async () => {
    const id = await newCustomer(400_000_00);
    const policy = { ...DEFAULT_POLICY, ledger: { ...DEFAULT_POLICY.ledger, groupCommitMaxRecords: 10 } };
    const none = async () => "enqueued" as const;
    for (let i = 0; i < 25; i++) {
      await db()
        .doc(path(id, `M-${i}`))
        .set({ type: "order", amount: 100_00, issuedAt: Timestamp.fromMillis(Date.now() - DAY) });
      const after = (await eventOf(id, `M-${i}`, `m${i}`)).data.after;
      await applyTransactionEvent(
        {
          customerId: id,
          externalId: `M-${i}`,
          after: after.data()!,
          sourceUpdateTime: after.updateTime!.toMillis(),
          sourceVersion: after.updateTime!,
        },
        Date.now(),
        policy,
        { enqueue: none },
      );
    }
    expect(await drainPendingRecords(id, Date.now(), policy)).toMatchObject({ records: 10, applied: 10, more: true });
    expect(await drainPendingRecords(id, Date.now(), policy)).toMatchObject({ records: 10, more: true });
    expect(await drainPendingRecords(id, Date.now(), policy)).toMatchObject({ records: 5, more: false });
    expect((await customer(id)).exposure).toBe(25 * 100_00);
  });
});

describe("aggregates equal a from-scratch recomputation", () => {
  it("after a mixed history recorded in several calls", async () => {
    const id = await newCustomer(100_000_00);
    const base = Date.UTC(2026, 6, 1);
    const txs = [
      { externalId: "I1", type: "invoice", amount: 5_000_00, issuedAt: iso(base), dueAt: iso(base + 30 * DAY) },
      {
        externalId: "I2",
        type: "invoice",
        amount: 8_000_00,
        issuedAt: iso(base + 10 * DAY),
        dueAt: iso(base + 40 * DAY),
      },
      { externalId: "P1", type: "payment", amount: 6_000_00, issuedAt: iso(base + 35 * DAY) },
      {
        externalId: "C1",
        type: "credit_note",
        amount: 1_000_00,
        issuedAt: iso(base + 36 * DAY),
        invoiceExternalId: "I2",
      },
      { externalId: "P2", type: "payment", amount: 2_000_00, issuedAt: iso(base + 50 * DAY), invoiceExternalId: "I3" },
      {
        externalId: "I3",
        type: "invoice",
        amount: 1_500_00,
        issuedAt: iso(base + 45 * DAY),
        dueAt: iso(base + 75 * DAY),
      },
      { externalId: "O1", type: "order", amount: 3_000_00, issuedAt: iso(base + 60 * DAY) },
    ];
    await call(fns.recordTransactions, { customerId: id, transactions: txs.slice(4) }, users.integration);
    await call(fns.recordTransactions, { customerId: id, transactions: txs.slice(0, 4) }, users.integration);
    const c = await customer(id);
    const oracle = recomputeFromHistory(
      txs.map((t) => recordFromInput(transactionInput.parse(t))),
      c.updatedAt.toMillis(),
    );
    expect(c.aggregates.exposure).toBe(oracle.exposure);
    expect(c.aggregates.unappliedCash).toBe(oracle.unappliedCash);
    expect(c.aggregates.aging).toEqual(oracle.aging);
    expect(c.aggregates.onTimeRatio12m).toBe(oracle.onTimeRatio12m);
  });
});

describe("fraud signals on transactions", () => {
  it("a new customer's large first order holds the file for a person and raises a fraud alert", async () => {
    const id = await newCustomer(40_000_00);
    const r = await call(
      fns.recordTransactions,
      {
        customerId: id,
        transactions: [{ externalId: "ORD-BIG", type: "order", amount: 30_000_00, issuedAt: new Date().toISOString() }],
      },
      users.integration,
    );
    expect(r.recorded).toBe(1);
    const c = await customer(id);
    expect(c).toMatchObject({ status: "on_hold", statusKind: "manual", statusReason: "FRAUD_SIGNALS" });
    expect(c.flags.fraudHold).toBe(true);
    expect((await db().doc(`alerts/customer_${id}_fraud_signal`).get()).data()).toMatchObject({
      status: "open",
      code: "LARGE_FIRST_ORDER",
    });
    const assessment = (await db().doc(`customers/${id}/private/assessment`).get()).data()!;
    expect(assessment.fraudSignals[0]).toMatchObject({ code: "LARGE_FIRST_ORDER", weight: expect.any(Number) });
    expect((await call(fns.checkOrder, { customerId: id, orderAmount: 1_00 }, users.analyst)).decision).toBe("review");
  });

  it("a clean customer's ordinary orders raise none", async () => {
    const id = await newCustomer(40_000_00);
    await call(
      fns.recordTransactions,
      {
        customerId: id,
        transactions: [{ externalId: "ORD-1", type: "order", amount: 2_000_00, issuedAt: new Date().toISOString() }],
      },
      users.integration,
    );
    const c = await customer(id);
    expect(c.status).toBe("active");
    expect((await db().doc(`alerts/customer_${id}_fraud_signal`).get()).exists).toBe(false);
  });
});

describe("invoices belong to one customer", () => {
  it("a payment for another customer's invoice is rejected with a reason; an invoice id another customer uses is refused", async () => {
    const a = await newCustomer();
    const b = await newCustomer();
    await call(
      fns.recordTransactions,
      {
        customerId: a,
        transactions: [
          { externalId: "INV-A1", type: "invoice", amount: 1_000_00, issuedAt: "2026-11-01", dueAt: "2026-12-01" },
        ],
      },
      users.integration,
    );
    const r = await call(
      fns.recordTransactions,
      {
        customerId: b,
        transactions: [
          {
            externalId: "PAY-B1",
            type: "payment",
            amount: 1_000_00,
            issuedAt: "2026-11-05",
            invoiceExternalId: "INV-A1",
          },
          { externalId: "INV-A1", type: "invoice", amount: 5_00, issuedAt: "2026-11-01", dueAt: "2026-12-01" },
          { externalId: "INV-B1", type: "invoice", amount: 2_000_00, issuedAt: "2026-11-01", dueAt: "2026-12-01" },
        ],
      },
      users.integration,
    );
    expect(r.recorded).toBe(1);
    expect(
      Object.fromEntries(r.rejected.map((x: { externalId: string; code: string }) => [x.externalId, x.code])),
    ).toEqual({ "PAY-B1": "foreign_reference", "INV-A1": "foreign_external_id" });
    expect(r.exposure).toBe(2_000_00);
    expect((await customer(a)).exposure).toBe(1_000_00);
    // the rightful owner can still settle it
    const own = await call(
      fns.recordTransactions,
      {
        customerId: a,
        transactions: [
          {
            externalId: "PAY-A1",
            type: "payment",
            amount: 1_000_00,
            issuedAt: "2026-11-05",
            invoiceExternalId: "INV-A1",
          },
        ],
      },
      users.integration,
    );
    expect(own).toMatchObject({ recorded: 1, exposure: 0 });
  });
});
