/**
 * Poison records never loop: every failure of a record's apply path is a rejection with a
 * reason on the record and a ledger_rejected alert; the trigger retries only transient
 * errors. Records are bounded by the policy (amount, how far ahead or back they are dated),
 * and a record that would make the customer's summary fail later (a time bomb) is refused now.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { getFirestore, Timestamp } from "firebase-admin/firestore";
import * as fns from "../../functions/src/index.js";
import { isTransient } from "../../functions/src/domain/failures.js";
import { LedgerError } from "../../functions/src/domain/ledger.js";
import { CreditDeskError } from "../../functions/src/domain/errors.js";
import { DEFAULT_POLICY } from "../../functions/src/domain/policy.js";
import { monitorCustomer } from "../../functions/src/services/monitoring.js";
import { clearPolicyCache } from "../../functions/src/services/policy.js";
import { approvedCustomer } from "../support/workflow.js";
import { call, callError, databaseSnapshot, fft, firestoreServer, users } from "../support/callables.js";
import { creditFile, updateCreditFile } from "../support/credit-file.js";
import { statement } from "../support/fixtures.js";

const db = () => getFirestore();
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();
const alertOf = async (id: string) => (await db().doc(`alerts/customer_${id}_ledger_rejected`).get()).data();

beforeEach(async () => {
  await firestoreServer().clear();
  clearPolicyCache();
});

describe("regression: the time bomb (first-wave review)", () => {
  it("an invoice of 1e12 due 1970 and an unreferenced payment of the same amount: each rejected with its reason, never internal", async () => {
    const id = await approvedCustomer();
    const r = await call(
      fns.recordTransactions,
      {
        customerId: id,
        transactions: [
          {
            externalId: "BOMB-INV",
            type: "invoice",
            amount: 1_000_000_000_000,
            issuedAt: "1970-01-01",
            dueAt: "1970-01-01",
          },
          { externalId: "BOMB-PAY", type: "payment", amount: 1_000_000_000_000, issuedAt: iso(Date.now() + 30 * DAY) },
        ],
      },
      users.integration,
    );
    expect(r.recorded).toBe(0);
    expect(r.rejected.map((x: { code: string }) => x.code)).toEqual(["amount_above_policy", "amount_above_policy"]);
    expect(await alertOf(id)).toMatchObject({ status: "open", code: "AMOUNT_ABOVE_POLICY" });
    // Within the amount bound, the dates are refused: next month's payment, and a due date half a century back.
    const dated = await call(
      fns.recordTransactions,
      {
        customerId: id,
        transactions: [
          { externalId: "OLD-INV", type: "invoice", amount: 1_000_00, issuedAt: "1970-01-01", dueAt: "1970-01-01" },
          { externalId: "NEXT-PAY", type: "payment", amount: 1_000_00, issuedAt: iso(Date.now() + 30 * DAY) },
        ],
      },
      users.integration,
    );
    expect(dated.rejected.map((x: { code: string; field: string }) => `${x.code}:${x.field}`)).toEqual([
      "dated_too_long_ago:issuedAt",
      "dated_in_future:issuedAt",
    ]);
    // Monitoring a year on runs cleanly: nothing of the bomb is in the ledger.
    const m = await monitorCustomer(id, Date.now() + 365 * DAY, DEFAULT_POLICY);
    expect(m.outcome).toBe("monitored");
  });

  it("a payment dated 2199 does not settle a 150-days-overdue invoice today", async () => {
    const id = await approvedCustomer();
    const now = Date.now();
    await call(
      fns.recordTransactions,
      {
        customerId: id,
        transactions: [
          {
            externalId: "INV-1",
            type: "invoice",
            amount: 5_000_00,
            issuedAt: iso(now - 180 * DAY),
            dueAt: iso(now - 150 * DAY),
          },
        ],
      },
      users.integration,
    );
    const r = await call(
      fns.recordTransactions,
      {
        customerId: id,
        transactions: [
          {
            externalId: "PAY-2199",
            type: "payment",
            amount: 5_000_00,
            issuedAt: "2199-01-01",
            invoiceExternalId: "INV-1",
          },
        ],
      },
      users.integration,
    );
    expect(r.rejected[0]).toMatchObject({ code: "dated_in_future", field: "issuedAt" });
    expect((await creditFile(id)).oldestDaysPastDue).toBe(150);
  });

  it("a statement ending in 2199 is refused (it would stay 'latest' forever), naming the field", async () => {
    const id = await approvedCustomer();
    const before = databaseSnapshot();
    const err = await callError(
      fns.updateFinancials,
      { customerId: id, statement: { ...statement, periodEnd: "2199-12-31" } },
      users.analyst,
    );
    expect(err.code).toBe("invalid-argument");
    expect(err.message.startsWith("statement.periodEnd")).toBe(true);
    expect(databaseSnapshot()).toBe(before);
  });
});

describe("the trigger path: one attempt, one mark, one alert", () => {
  const wrapped = () => fft.wrap(fns.onTransactionWritten);
  const rfc3339 = (t: Timestamp) =>
    `${new Date(t.seconds * 1000).toISOString().slice(0, 19)}.${String(t.nanoseconds).padStart(9, "0")}Z`;
  /** The event of the version stored now (as written by the test just before): `after` and its exact update time. */
  async function deliver(
    customerId: string,
    externalId: string,
    after: Record<string, unknown>,
    eventId: string,
  ): Promise<void> {
    const path = `customers/${customerId}/transactions/${externalId}`;
    const at = Date.now();
    const stored = await db().doc(path).get();
    const version = stored.updateTime ? rfc3339(stored.updateTime) : iso(at);
    const change = fft.makeChange(
      fft.firestore.makeDocumentSnapshot({}, path),
      fft.firestore.makeDocumentSnapshot(after, path, { updateTime: version, createTime: version } as never),
    );
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    await (wrapped() as any)({ data: change, params: { customerId, externalId }, id: eventId, time: iso(at) });
  }

  it("an overflowing record (the ERP writing with the Admin SDK) is rejected once and marked, not retried", async () => {
    // A policy that lets the amount and the date through: only the summary can catch it.
    await db()
      .doc("config/creditPolicy")
      .set({ ledger: { maxAmount: 1_000_000_000_000, maxPastDays: 36_500 } });
    clearPolicyCache();
    const id = await approvedCustomer();
    // An invoice due in 1971 (applies: open items are not weighted by days), then a payment today that
    // settles it 60 years late: the payment behaviour's weighted days would pass safe integers.
    const invoice = {
      type: "invoice",
      amount: 1_000_000_000_000,
      issuedAt: Timestamp.fromMillis(Date.UTC(1971, 0, 1)),
      dueAt: Timestamp.fromMillis(Date.UTC(1971, 0, 1)),
    };
    await db().doc(`customers/${id}/transactions/ERP-INV`).set(invoice);
    await deliver(id, "ERP-INV", invoice, "ev-inv");
    const exposure = (await creditFile(id)).exposure;
    const doc = { type: "payment", amount: 1_000_000_000_000, issuedAt: Timestamp.fromMillis(Date.now()) };
    await db().doc(`customers/${id}/transactions/ERP-BOMB`).set(doc);
    let attempts = 0;
    try {
      attempts++;
      await deliver(id, "ERP-BOMB", doc, "ev-bomb");
    } catch {
      attempts++; // a throw is what makes the platform retry
    }
    expect(attempts).toBe(1);
    const stored = (await db().doc(`customers/${id}/transactions/ERP-BOMB`).get()).data()!;
    expect(stored.ledger).toMatchObject({ state: "rejected", code: "overflow" });
    expect(await alertOf(id)).toMatchObject({ status: "open", occurrences: 1 });
    expect((await creditFile(id)).exposure).toBe(exposure);
    // Delivered again (at-least-once): still rejected, still one open alert, still no throw.
    await deliver(id, "ERP-BOMB", doc, "ev-bomb");
    expect(await alertOf(id)).toMatchObject({ status: "open", occurrences: 1 });
    // The customer is untouched: monitoring a year on runs.
    expect((await monitorCustomer(id, Date.now() + 365 * DAY, DEFAULT_POLICY)).outcome).toBe("monitored");
  });

  it("a record the ledger cannot apply for another reason (a corrupt ledger state) is marked and alerted, not retried", async () => {
    const id = await approvedCustomer();
    await updateCreditFile(id, { ledger: { v: 99 } });
    const doc = {
      type: "invoice",
      amount: 1_000_00,
      issuedAt: Timestamp.fromMillis(Date.now() - DAY),
      dueAt: Timestamp.fromMillis(Date.now() + 29 * DAY),
    };
    await db().doc(`customers/${id}/transactions/INV-X`).set(doc);
    await expect(deliver(id, "INV-X", doc, "ev-x")).resolves.toBeUndefined();
    expect((await db().doc(`customers/${id}/transactions/INV-X`).get()).data()!.ledger).toMatchObject({
      state: "rejected",
      code: "unprocessable",
    });
    expect(await alertOf(id)).toMatchObject({ status: "open", code: "UNPROCESSABLE" });
  });
});

describe("failures are transient or permanent", () => {
  it("contention and unavailable backends are transient; everything the record itself causes is permanent", () => {
    for (const code of [10, 14, 4, 13, "aborted", "unavailable", "deadline-exceeded", "ECONNRESET"])
      expect(isTransient({ code }), String(code)).toBe(true);
    for (const err of [
      new LedgerError("overflow", "amount", "x"),
      new CreditDeskError("invalid-argument", "x"),
      new TypeError("x"),
      { code: 3 },
      { code: 9 },
      null,
    ]) {
      expect(isTransient(err)).toBe(false);
    }
  });
});
