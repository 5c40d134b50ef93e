import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  convertMinor,
  decimalOf,
  minorDigits,
  niceStep,
  policyInCurrency,
  type FxTable,
} from "../../functions/src/domain/money.js";
import { DEFAULT_FX_TABLE, isStale, resolveFxTable } from "../../functions/src/domain/fxTable.js";
import { DEFAULT_POLICY } from "../../functions/src/domain/policy.js";

const T: FxTable = {
  base: "USD",
  asOf: Date.UTC(2026, 10, 27),
  rates: { EUR: 0.8612, JPY: 156.12, KWD: 0.3071, GBP: 0.7541 },
};
const P = DEFAULT_POLICY;
const DAY = 86_400_000;

describe("money in several currencies (domain/money.ts)", () => {
  it("reads a rate as the decimal it is written as", () => {
    expect(decimalOf(0.8612)).toEqual({ n: 8612n, k: 4 });
    expect(decimalOf(156.12)).toEqual({ n: 15612n, k: 2 });
    expect(decimalOf(1e-7)).toEqual({ n: 1n, k: 7 });
    expect(decimalOf(2.5e21)).toEqual({ n: 2_500_000_000_000_000_000_000n, k: 0 });
    expect(decimalOf(0.1 + 0.2)).toEqual({ n: 30000000000000004n, k: 17 }); // what was written, nothing hidden
  });

  it("converts exactly, with the ISO 4217 exponent of each side, and rounds as asked", () => {
    expect(minorDigits("JPY")).toBe(0);
    expect(minorDigits("KWD")).toBe(3);
    expect(minorDigits("EUR")).toBe(2);
    // 50,000.00 USD = 43,060.00 EUR exactly; = 7,806,000 JPY; = 15,355.000 KWD
    expect(convertMinor(50_000_00, "USD", "EUR", T, "down")).toBe(43_060_00);
    expect(convertMinor(50_000_00, "USD", "JPY", T, "down")).toBe(7_806_000);
    expect(convertMinor(50_000_00, "USD", "KWD", T, "down")).toBe(15_355_000);
    // 1.00 EUR = 1.16117... USD: down 116, up 117, nearest 116
    expect(convertMinor(1_00, "EUR", "USD", T, "down")).toBe(116);
    expect(convertMinor(1_00, "EUR", "USD", T, "up")).toBe(117);
    expect(convertMinor(1_00, "EUR", "USD", T, "nearest")).toBe(116);
    // cross rate through the base: 100.00 EUR → GBP = 100 × 0.7541 / 0.8612 = 87.5638… GBP
    expect(convertMinor(100_00, "EUR", "GBP", T, "down")).toBe(87_56);
    expect(convertMinor(100_00, "EUR", "GBP", T, "nearest")).toBe(87_56);
    // halves away from zero, negative amounts floor toward −∞
    const half: FxTable = { base: "USD", asOf: 0, rates: { EUR: 0.5 } };
    expect(convertMinor(1, "USD", "EUR", half, "nearest")).toBe(1);
    expect(convertMinor(-1, "USD", "EUR", half, "nearest")).toBe(-1);
    expect(convertMinor(-1, "USD", "EUR", half, "down")).toBe(-1);
    expect(convertMinor(-1, "USD", "EUR", half, "up")).toBe(0);
    expect(() => convertMinor(1, "USD", "NZD", T, "down")).toThrow(/no exchange rate for NZD/);
  });

  it("a ceiling never grows in conversion: back in the base currency it is at most the original", () => {
    const cur = fc.constantFrom("EUR", "JPY", "KWD", "GBP");
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e13 }), cur, (x, c) => {
        const local = convertMinor(x, "USD", c, T, "down");
        expect(convertMinor(local, c, "USD", T, "up")).toBeLessThanOrEqual(x + 1); // one minor unit of the round trip's own rounding
        expect(convertMinor(convertMinor(x, "USD", c, T, "down"), c, "USD", T, "down")).toBeLessThanOrEqual(x);
      }),
      { numRuns: 500 },
    );
  });

  it("an amount is within a converted ceiling exactly when it is within the ceiling in the base currency (integers, ≤)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e12 }),
        fc.integer({ min: 0, max: 1e12 }),
        fc.constantFrom("EUR", "JPY", "KWD"),
        (ceiling, amount, c) => {
          const local = convertMinor(ceiling, "USD", c, T, "down");
          // exact comparison in rationals: amount / rate_c × 10^(2 - e_c) ≤ ceiling
          const r = decimalOf(T.rates[c]!);
          const lhs = BigInt(amount) * 10n ** BigInt(r.k) * 10n ** BigInt(2);
          const rhs = BigInt(ceiling) * r.n * 10n ** BigInt(minorDigits(c));
          expect(amount <= local).toBe(lhs <= rhs);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("the policy in a currency: every ceiling converted down, the rounding unit to a 1-2-5 step, the base currency unchanged", () => {
    expect(policyInCurrency(P, "USD", T)).toBe(P);
    const eur = policyInCurrency(P, "EUR", T);
    expect(eur.authority).toEqual({ analyst: 43_060_00, manager: 430_600_00 });
    expect(eur.limits.gradeCaps.A).toBe(861_200_00);
    expect(eur.limits.roundingUnit).toBe(1_000_00);
    expect(eur.incentives.autoApproveUpTo).toBe(8_612_00);
    expect(eur.fraud.youngBusinessLargeRequest).toBe(43_060_00);
    expect(eur.balanceTolerance.absolute).toBe(86_12);
    const jpy = policyInCurrency(P, "JPY", T);
    expect(jpy.authority.analyst).toBe(7_806_000);
    expect(jpy.limits.roundingUnit).toBe(200_000);
    expect(jpy.limits.starterCap).toBe(15_612_000);
    expect(niceStep(86_000)).toBe(100_000);
    expect(niceStep(0)).toBe(1);
  });

  it("the FX table: valid only whole (parses, not dated ahead, base rate 1, every accepted currency); stale after the policy's days", () => {
    const now = Date.UTC(2026, 10, 30);
    const doc = { base: "USD", asOf: "2026-11-27", rates: { ...DEFAULT_FX_TABLE.rates } };
    expect(resolveFxTable(doc, P, now)).toMatchObject({
      ok: true,
      table: { base: "USD", asOf: Date.UTC(2026, 10, 27) },
    });
    const bad = (d: unknown) => {
      const r = resolveFxTable(d, P, now);
      return r.ok ? [] : r.issues.map((i) => i.path);
    };
    expect(bad({ ...doc, rates: { ...doc.rates, EUR: -1 } })).toEqual(["rates.EUR"]);
    expect(bad({ ...doc, rates: { ...doc.rates, EUR: "0.9" } })).toEqual(["rates.EUR"]);
    expect(bad({ ...doc, rates: { ...doc.rates, euro: 0.9 } })).toEqual(["rates.euro"]);
    expect(bad({ ...doc, asOf: "2026-12-25" })).toEqual(["asOf"]);
    expect(bad({ ...doc, asOf: "last friday" })).toEqual(["asOf"]);
    expect(bad({ ...doc, rates: { ...doc.rates, USD: 1.1 } })).toEqual(["rates.USD"]);
    expect(bad({ ...doc, note: "x" })).toEqual(["note"]);
    const { JPY: _jpy, ...noYen } = doc.rates;
    const missing = resolveFxTable({ ...doc, rates: noYen }, P, now);
    expect(missing).toMatchObject({ ok: false, issues: [{ path: "rates.JPY" }], usable: { base: "USD" } });
    // a table in another base is fine when it has the policy's base currency
    const eurBase = {
      base: "EUR",
      asOf: "2026-11-27",
      rates: {
        USD: 1.1612,
        GBP: 0.8756,
        CHF: 0.9329,
        CAD: 1.624,
        AUD: 1.778,
        SGD: 1.5058,
        HKD: 9.0356,
        TWD: 36.48,
        CNY: 8.225,
        JPY: 181.28,
      },
    };
    expect(resolveFxTable(eurBase, P, now).ok).toBe(true);
    expect(isStale(DEFAULT_FX_TABLE, DEFAULT_FX_TABLE.asOf + 7 * DAY, P)).toBe(false);
    expect(isStale(DEFAULT_FX_TABLE, DEFAULT_FX_TABLE.asOf + 8 * DAY, P)).toBe(true);
  });
});
