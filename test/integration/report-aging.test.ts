/**
 * The portfolio report stays current while time passes: a portfolio is aged through the daily
 * monitoring (its shard tasks, the due-date work queue: a customer is visited only when
 * something can change) for ten weeks, and after each day's run the report's aging, open balance
 * and exposure equal a from-scratch sum over every customer's records at that instant
 * (domain/ledger/oracle.ts) — no invoice stays "not yet due" in the report once it is not.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { recomputeFromHistory, type LedgerRecord } from "../../functions/src/domain/ledger.js";
import { DEFAULT_POLICY } from "../../functions/src/domain/policy.js";
import { recordTransactionsInput } from "../../functions/src/schemas/callables.js";
import { runDailyMonitoring } from "../../functions/src/local/jobs.js";
import { clearPolicyCache } from "../../functions/src/services/policy.js";
import { portfolioReport } from "../../functions/src/services/portfolio.js";
import { recordFromInput, recordTransactions } from "../../functions/src/services/transactions.js";
import { firestoreServer, users } from "../support/callables.js";
import { approvedCustomer } from "../support/workflow.js";

const P = DEFAULT_POLICY;
const DAY = 86_400_000;
const HOUR = 3_600_000;
const T0 = Math.floor(Date.now() / DAY) * DAY + HOUR; // 01:00 UTC today: the daily run's time
const integration = { uid: users.integration.uid, role: "integration" as const };
const iso = (ms: number) => new Date(ms).toISOString();

beforeEach(async () => {
  await firestoreServer().clear();
  clearPolicyCache();
});

describe("the report follows the calendar", () => {
  it("after each daily run for ten weeks, the report's aging equals a from-scratch sum at that run", async () => {
    const books = new Map<string, LedgerRecord[]>();
    const plans: Array<Array<{ type: string; amount: number; issued: number; due?: number; ref?: string }>> = [
      [
        { type: "invoice", amount: 4_000_00, issued: -40, due: -10 },
        { type: "invoice", amount: 6_000_00, issued: -5, due: 25 },
        { type: "payment", amount: 1_500_00, issued: -2, ref: "I0" },
      ],
      [
        { type: "invoice", amount: 9_000_00, issued: -70, due: -40 },
        { type: "invoice", amount: 2_500_00, issued: -1, due: 45 },
        { type: "order", amount: 3_000_00, issued: -1 },
      ],
      [
        { type: "invoice", amount: 12_000_00, issued: -3, due: 12 },
        { type: "invoice", amount: 700_00, issued: -3, due: 33 },
      ],
      [], // nothing open: never in the aging
    ];
    for (let c = 0; c < plans.length; c++) {
      const id = await approvedCustomer(200_000_00, { ownerUid: null, registrationNo: `AGE-${c}` });
      const txs = plans[c]!.map((r, i) => ({
        externalId: `${id}-${r.type === "invoice" ? "I" : r.type === "payment" ? "P" : "O"}${i}`,
        type: r.type,
        amount: r.amount,
        issuedAt: iso(T0 + r.issued * DAY),
        ...(r.due !== undefined ? { dueAt: iso(T0 - HOUR + r.due * DAY) } : {}),
        ...(r.ref !== undefined ? { invoiceExternalId: `${id}-I${r.ref.slice(1)}` } : {}),
      }));
      books.set(id, []);
      if (txs.length === 0) continue;
      const input = recordTransactionsInput.parse({ customerId: id, transactions: txs });
      await recordTransactions(input, integration, T0 - 2 * HOUR, P);
      books.set(id, input.transactions.map(recordFromInput));
    }
    let checked = 0;
    for (let day = 0; day <= 70; day++) {
      const asOf = T0 + day * DAY;
      await runDailyMonitoring(asOf, P);
      if (day % 3 !== 0 && ![10, 11, 25, 26, 31, 41, 45, 46, 51].includes(day)) continue;
      const expected = { current: 0, d1_30: 0, d31_60: 0, d61_90: 0, d90plus: 0, disputed: 0 };
      let open = 0;
      let exposure = 0;
      for (const records of books.values()) {
        const a = recomputeFromHistory(records, asOf);
        for (const k of Object.keys(expected) as Array<keyof typeof expected>) expected[k] += a.aging[k];
        open += a.openInvoiceBalance;
        exposure += a.exposure;
      }
      const report = await portfolioReport({}, asOf, P);
      expect(report.aging, `day ${day}`).toEqual(expected);
      expect(report.totals.exposure, `day ${day}`).toBe(exposure);
      expect(open).toBeGreaterThan(0);
      checked++;
    }
    expect(checked).toBeGreaterThan(25);
  }, 240_000);
});
