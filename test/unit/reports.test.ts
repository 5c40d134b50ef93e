/** The report's formulas (domain/reports.ts) and the what-if tally (domain/simulation.ts). */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  addMonths,
  averageDaysDelinquent,
  averageTurnaround,
  bestPossibleDso,
  closedMonth,
  collectionEffectiveness,
  decisionTiming,
  dso,
  matrixMoves,
  monthOf,
  monthStart,
  salesOver,
} from "../../functions/src/domain/reports.js";
import {
  addToTally,
  changedPaths,
  emptyTally,
  mergeTallies,
  recentOrderDays,
  type UnderPolicy,
  type WhatIf,
} from "../../functions/src/domain/simulation.js";

describe("collection figures", () => {
  it("DSO, best possible DSO and days delinquent", () => {
    expect(dso(30_000, 365_000)).toBe(30);
    expect(bestPossibleDso(10_000, 365_000)).toBe(10);
    expect(averageDaysDelinquent(30, 10)).toBe(20);
    expect(dso(1, 0)).toBeNull();
    expect(averageDaysDelinquent(null, 10)).toBeNull();
  });

  it("CEI: everything collectable collected is 100, nothing collected is where the receivables grew by the sales", () => {
    // B 100, S 50, E 30 of which C 30 current: all that could be collected was
    expect(collectionEffectiveness({ beginning: 100, sales: 50, ending: 30, endingCurrent: 30 })).toBe(100);
    expect(collectionEffectiveness({ beginning: 100, sales: 50, ending: 150, endingCurrent: 30 })).toBe(0);
    expect(collectionEffectiveness({ beginning: 100, sales: 50, ending: 90, endingCurrent: 30 })).toBe(50);
    expect(collectionEffectiveness({ beginning: 0, sales: 0, ending: 0, endingCurrent: 0 })).toBeNull();
    expect(salesOver(365_00, 30)).toBe(30_00);
  });

  it("CEI stays within 0–100 whatever the figures (ending receivables at least the current ones)", () => {
    fc.assert(
      fc.property(fc.nat(1e12), fc.nat(1e12), fc.nat(1e12), fc.nat(1e12), (b, s, e, c) => {
        const v = collectionEffectiveness({
          beginning: b,
          sales: s,
          ending: Math.max(e, c),
          endingCurrent: Math.min(e, c),
        });
        return v === null || (v >= 0 && v <= 100);
      }),
    );
  });

  it("turnaround: the month of the decision and whole seconds since the request; means in hours or days", () => {
    const t0 = Date.UTC(2026, 10, 30, 23, 0);
    expect(decisionTiming(t0, t0 + 2 * 3_600_000 + 499)).toEqual({ decidedMonth: "2026-12", turnaroundSeconds: 7200 });
    expect(averageTurnaround(7200 + 3600, 2, "hours")).toBe(1.5);
    expect(averageTurnaround(86_400 * 3, 2, "days")).toBe(1.5);
    expect(averageTurnaround(0, 0, "days")).toBeNull();
  });

  it("months: closed month, month arithmetic across years", () => {
    expect(monthOf(Date.UTC(2026, 0, 1, 3))).toBe("2026-01");
    expect(closedMonth(Date.UTC(2026, 0, 1, 3))).toBe("2025-12");
    expect(addMonths("2026-01", -13)).toBe("2024-12");
    expect(monthStart("2026-02")).toBe(Date.UTC(2026, 1, 1));
    expect(() => monthStart("2026-13")).toThrow();
  });
});

const tier = fc.constantFrom("premium" as const, "standard" as const, "risky" as const);
const status = fc.constantFrom("active" as const, "on_hold" as const, "suspended" as const);
const under = fc.record({
  tier,
  grade: fc.constantFrom("A" as const, "B" as const, "C" as const, "D" as const, "E" as const),
  score: fc.integer({ min: 0, max: 100 }),
  recommendedLimit: fc.nat(1e9),
  limitAction: fc.constantFrom("none" as const, "cut" as const, "propose_cut" as const, "propose_increase" as const),
  limitAfter: fc.nat(1e9),
  penaltyLevel: fc.constantFrom(0 as const, 1 as const, 2 as const, 3 as const),
  status,
  overLimit: fc.boolean(),
  blocked: fc.record({ orders: fc.nat(10), amount: fc.nat(1e8) }),
}) as fc.Arbitrary<UnderPolicy>;
const whatIfs = fc.uniqueArray(
  fc.record({
    customerId: fc.stringMatching(/^[a-z]{1,8}$/),
    current: under,
    candidate: under,
    rate: fc.constantFrom(1, 0.5, 2),
  }),
  { selector: (w) => w.customerId, maxLength: 30 },
);
const asWhatIf = (w: { customerId: string; current: UnderPolicy; candidate: UnderPolicy; rate: number }): WhatIf => ({
  customerId: w.customerId,
  name: w.customerId.toUpperCase(),
  currency: "USD",
  toBase: (x) => Math.round(x * w.rate),
  current: w.current,
  candidate: w.candidate,
});

describe("the what-if tally", () => {
  it("a job's parts merged give the tally of all customers at once, however the portfolio is split", () => {
    fc.assert(
      fc.property(whatIfs, fc.nat(30), fc.integer({ min: 1, max: 10 }), (ws, cut, maxListed) => {
        const all = ws.map(asWhatIf).reduce((t, w) => addToTally(t, w, maxListed), emptyTally());
        const k = Math.min(cut, ws.length);
        const left = ws
          .slice(0, k)
          .map(asWhatIf)
          .reduce((t, w) => addToTally(t, w, maxListed), emptyTally());
        const right = ws
          .slice(k)
          .map(asWhatIf)
          .reduce((t, w) => addToTally(t, w, maxListed), emptyTally());
        expect(mergeTallies(left, right, maxListed)).toEqual(all);
        expect(all.evaluated).toBe(ws.length);
        expect(all.limits.rise.customers + all.limits.fall.customers + all.limits.unchanged).toBe(ws.length);
        expect(matrixMoves(all.migration).down + matrixMoves(all.migration).up + matrixMoves(all.migration).same).toBe(
          ws.length,
        );
        expect(all.customers.length).toBeLessThanOrEqual(maxListed);
      }),
    );
  });

  it("a customer both policies treat alike is not listed and moves nothing", () => {
    fc.assert(
      fc.property(under, (u) => {
        const t = addToTally(
          emptyTally(),
          { customerId: "x", name: "X", currency: "USD", toBase: (v) => v, current: u, candidate: u },
          10,
        );
        expect(t.customers).toEqual([]);
        expect(t.limits.unchanged).toBe(1);
        expect(t.overLimit.customers + t.onHold.customers + t.blockedOrders.orders + t.blockedOrders.released).toBe(0);
      }),
    );
  });

  it("the orders of the last 30 days from the credit state's daily amounts, oldest first", () => {
    const day = 20_000;
    const asOf = day * 86_400_000 + 5_000;
    expect(recentOrderDays({ [day]: 5, [day - 29]: 7, [day - 30]: 9, [day + 1]: 3, x: 4, [day - 3]: 0 }, asOf)).toEqual(
      [
        { day: day - 29, amount: 7 },
        { day, amount: 5 },
      ],
    );
  });

  it("changedPaths names the leaves a candidate changes (arrays whole)", () => {
    expect(changedPaths({ a: { b: 1, c: [1, 2] }, d: 2 }, { a: { b: 1, c: [1, 3] }, d: 3 })).toEqual(["a.c", "d"]);
    expect(changedPaths({ a: 1 }, { a: 1 })).toEqual([]);
  });
});
