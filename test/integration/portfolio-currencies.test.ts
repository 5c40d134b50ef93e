/**
 * The portfolio report in the base currency: each currency's sums converted at the FX table in
 * force and added, with a breakdown per currency in its own minor units; top exposures ranked
 * in the base currency; customers in a currency without a rate counted apart, never summed.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { getFirestore } from "firebase-admin/firestore";
import * as fns from "../../functions/src/index.js";
import { DEFAULT_POLICY } from "../../functions/src/domain/policy.js";
import { clearPolicyCache } from "../../functions/src/services/policy.js";
import { call, firestoreServer, users } from "../support/callables.js";
import { cloneCreditFile } from "../support/credit-file.js";
import { approvedCustomerIn } from "../support/workflow.js";

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

async function invoice(customerId: string, amount: number, dueInDays: number, id: string) {
  const now = Date.now();
  await call(
    fns.recordTransactions,
    {
      customerId,
      transactions: [
        { externalId: id, type: "invoice", amount, issuedAt: iso(now - 60 * DAY), dueAt: iso(now + dueInDays * DAY) },
      ],
    },
    users.integration,
  );
}

beforeEach(async () => {
  await firestoreServer().clear();
  clearPolicyCache();
});

describe("getPortfolioReport in the base currency", () => {
  it("totals in USD from USD, EUR and JPY files, with each currency's own figures beside them", async () => {
    const usd = await approvedCustomerIn("USD", 40_000_00, { ownerUid: null });
    const eur = await approvedCustomerIn("EUR", 20_000_00, { ownerUid: null });
    const jpy = await approvedCustomerIn("JPY", 5_000_000, { ownerUid: null });
    await invoice(usd, 9_000_00, 10, "U-1"); // 9,000.00 USD, not yet due
    await invoice(eur, 8_612_00, -10, "E-1"); // 8,612.00 EUR = 10,000.00 USD, 10 days past due
    await invoice(jpy, 1_873_440, -40, "J-1"); // 1,873,440 JPY = 12,000.00 USD, 40 days past due

    const r = await call(fns.getPortfolioReport, {}, users.manager);
    expect(r.baseCurrency).toBe("USD");
    expect(r.fx).toMatchObject({ base: "USD", asOf: "2026-11-27" });
    expect(r.totals).toMatchObject({ customers: 3, exposure: 31_000_00, openInvoiceBalance: 31_000_00 });
    // limits: 40,000 USD + 20,000 EUR (23,223.41 USD) + 5,000,000 JPY (32,026.65 USD)
    expect(r.totals.creditLimit).toBe(40_000_00 + 23_223_41 + 32_026_65);
    expect(r.aging).toEqual({
      current: 9_000_00,
      d1_30: 10_000_00,
      d31_60: 12_000_00,
      d61_90: 0,
      d90plus: 0,
      disputed: 0,
    });
    const tierSum = Object.values(r.byTier as Record<string, { exposure: number }>).reduce((s, x) => s + x.exposure, 0);
    expect(tierSum).toBe(r.totals.exposure);

    const by = Object.fromEntries((r.byCurrency as Array<{ currency: string }>).map((c) => [c.currency, c]));
    expect(Object.keys(by).sort()).toEqual(["EUR", "JPY", "USD"]);
    expect(by.EUR).toMatchObject({
      rate: 0.8612,
      customers: 1,
      exposure: 8_612_00,
      creditLimit: 20_000_00,
      inBase: { exposure: 10_000_00 },
    });
    expect(by.JPY).toMatchObject({
      rate: 156.12,
      customers: 1,
      exposure: 1_873_440,
      aging: { d31_60: 1_873_440 },
      inBase: { exposure: 12_000_00 },
    });
    expect(by.USD).toMatchObject({ rate: 1, exposure: 9_000_00, inBase: { exposure: 9_000_00 } });
    expect(r.unconvertedCustomers).toBe(0);

    // ranked in the base currency: 1,873,440 JPY > 8,612 EUR > 9,000 USD by value, not by digits
    expect(r.topExposures.map((t: { customerId: string }) => t.customerId)).toEqual([jpy, eur, usd]);
    expect(r.topExposures[0]).toMatchObject({ currency: "JPY", exposure: 1_873_440, exposureInBase: 12_000_00 });
  });

  it("a currency the table cannot convert is counted apart, never summed", async () => {
    const usd = await approvedCustomerIn("USD", 40_000_00, { ownerUid: null });
    await invoice(usd, 1_000_00, 10, "U-1");
    await getFirestore()
      .doc("config/creditPolicy")
      .set({ currencies: [...DEFAULT_POLICY.currencies, "NZD"] });
    clearPolicyCache();
    await cloneCreditFile(usd, [{ id: "nz-1", head: { currency: "NZD", exposure: 99_999_00 } }]);
    const r = await call(fns.getPortfolioReport, {}, users.auditor);
    expect(r.totals).toMatchObject({ customers: 1, exposure: 1_000_00 });
    expect(r.unconvertedCustomers).toBe(1);
    expect(r.byCurrency.find((c: { currency: string }) => c.currency === "NZD")).toMatchObject({
      rate: null,
      customers: 1,
      exposure: 99_999_00,
      inBase: null,
    });
  });
});
