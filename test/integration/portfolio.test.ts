import { beforeEach, describe, expect, it } from "vitest";
import * as fns from "../../functions/src/index.js";
import { clearPolicyCache } from "../../functions/src/services/policy.js";
import { dso } from "../../functions/src/services/portfolio.js";
import { call, callError, firestoreServer, users } from "../support/callables.js";
import { approvedCustomer } from "../support/workflow.js";

beforeEach(async () => {
  await firestoreServer().clear();
  clearPolicyCache();
});

describe("getPortfolioReport", () => {
  it("sums exposure by tier and grade, ages receivables, ranks top exposures and counts open alerts from the aggregates", async () => {
    const a = await approvedCustomer(40_000_00, { ownerUid: null, registrationNo: "R-A" });
    const b = await approvedCustomer(20_000_00, { ownerUid: null, registrationNo: "R-B" });
    const now = Date.now();
    const iso = (ms: number) => new Date(ms).toISOString();
    await call(
      fns.recordTransactions,
      {
        customerId: a,
        transactions: [
          {
            externalId: "I1",
            type: "invoice",
            amount: 9_000_00,
            issuedAt: iso(now - 50 * 86_400_000),
            dueAt: iso(now - 20 * 86_400_000),
          },
        ],
      },
      users.integration,
    );
    await call(
      fns.recordTransactions,
      {
        customerId: b,
        transactions: [
          {
            externalId: "I2",
            type: "invoice",
            amount: 3_000_00,
            issuedAt: iso(now - 5 * 86_400_000),
            dueAt: iso(now + 25 * 86_400_000),
          },
          { externalId: "X", type: "invoice", amount: 1, currency: "EUR", issuedAt: iso(now), dueAt: iso(now) },
        ],
      },
      users.integration,
    );
    const r = await call(fns.getPortfolioReport, {}, users.manager);
    expect(r.totals).toMatchObject({ customers: 2, exposure: 12_000_00, creditLimit: 60_000_00 });
    const tierSum = Object.values(r.byTier as Record<string, { exposure: number }>).reduce((s, x) => s + x.exposure, 0);
    const gradeSum = Object.values(r.byGrade as Record<string, { exposure: number }>).reduce(
      (s, x) => s + x.exposure,
      0,
    );
    expect(tierSum).toBe(12_000_00);
    expect(gradeSum).toBe(12_000_00);
    expect(r.aging).toEqual({ current: 3_000_00, d1_30: 9_000_00, d31_60: 0, d61_90: 0, d90plus: 0, disputed: 0 });
    expect(r.topExposures.map((t: { customerId: string }) => t.customerId)).toEqual([a, b]);
    expect(r.openAlerts).toEqual({ ledger_rejected: 1 });
    expect(r.dso).toBe(dso(12_000_00, 12_000_00));
    for (const who of [users.analyst, users.sales, users.integration, users.applicant]) {
      expect((await callError(fns.getPortfolioReport, {}, who)).code).toBe("permission-denied");
    }
    expect((await call(fns.getPortfolioReport, {}, users.auditor)).totals.customers).toBe(2);
  });

  it("DSO is receivables over average daily sales", () => {
    expect(dso(30_000, 365_000)).toBe(30);
    expect(dso(1, 0)).toBeNull();
  });
});
