import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { assess, curveScore, gradeFor, type AssessmentInput } from "../../functions/src/domain/scoring.js";
import { recommendLimit } from "../../functions/src/domain/limits.js";
import { DEFAULT_POLICY, resolvePolicy } from "../../functions/src/domain/policy.js";
import { statementInput } from "../../functions/src/schemas/callables.js";
import { checkStatement, computeRatios } from "../../functions/src/domain/financials.js";

const P = DEFAULT_POLICY;
const NOW = Date.UTC(2026, 10, 28);
const money = fc.integer({ min: -1_000_000_000_000_00, max: 1_000_000_000_000_00 });

const statementArb = fc.record({
  periodEnd: fc.integer({ min: Date.UTC(2000, 0, 1), max: NOW }),
  currency: fc.constant("USD"),
  totalAssets: money,
  currentAssets: money,
  totalLiabilities: money,
  currentLiabilities: money,
  equity: money,
  retainedEarnings: money,
  revenue: money,
  ebit: money,
  netIncome: money,
});

/** Statements that balance, so the financial group is used. */
const balancedStatementArb = fc
  .record({
    totalLiabilities: fc.integer({ min: 0, max: 1_000_000_000_00 }),
    equity: fc.integer({ min: -100_000_000_00, max: 1_000_000_000_00 }),
    currentShare: fc.double({ min: 0, max: 1, noNaN: true }),
    curLiabShare: fc.double({ min: 0, max: 1, noNaN: true }),
    revenue: fc.integer({ min: 0, max: 5_000_000_000_00 }),
    margin: fc.double({ min: -0.5, max: 0.5, noNaN: true }),
  })
  .map((r) => {
    const totalAssets = r.totalLiabilities + r.equity;
    return {
      periodEnd: NOW - 100 * 86_400_000,
      currency: "USD",
      totalAssets,
      currentAssets: Math.floor(Math.max(0, totalAssets) * r.currentShare),
      totalLiabilities: r.totalLiabilities,
      currentLiabilities: Math.floor(r.totalLiabilities * r.curLiabShare),
      equity: r.equity,
      retainedEarnings: Math.floor(r.equity / 2),
      revenue: r.revenue,
      ebit: Math.floor(r.revenue * r.margin * 1.3),
      netIncome: Math.floor(r.revenue * r.margin),
    };
  });

const behaviourArb = fc.record({
  onTimeRatio12m: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: null }),
  avgDaysBeyondTerms12m: fc.option(fc.double({ min: 0, max: 400, noNaN: true }), { nil: null }),
  oldestDaysPastDue: fc.integer({ min: 0, max: 2000 }),
  dishonouredPayments: fc.integer({ min: 0, max: 50 }),
});

const inputArb: fc.Arbitrary<AssessmentInput> = fc.record({
  asOf: fc.constant(NOW),
  profile: fc.record({
    industry: fc.oneof(fc.constantFrom(...Object.keys(P.industryScores)), fc.string({ maxLength: 60 })),
    country: fc.oneof(fc.constantFrom("US", "DE", "CN"), fc.stringMatching(/^[A-Z]{2}$/)),
    foundedYear: fc.integer({ min: 1800, max: 2026 }),
  }),
  statement: fc.option(fc.oneof(statementArb, balancedStatementArb), { nil: null }),
  behaviour: fc.option(behaviourArb, { nil: null }),
  trading: fc.option(
    fc.record({
      firstActivityAt: fc.option(fc.integer({ min: Date.UTC(2000, 0, 1), max: NOW }), { nil: null }),
      volume12m: fc.integer({ min: 0, max: 1_000_000_000_00 }),
      orderCount12m: fc.integer({ min: 0, max: 10_000 }),
      creditLimit: fc.integer({ min: 0, max: 1_000_000_000_00 }),
    }),
    { nil: null },
  ),
  overrides: fc.record({ fraudHold: fc.boolean() }),
});

describe("scoring invariants", () => {
  it("score is an integer 0..100, confidence 0..1, grade matches the bands, never throws", () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const a = assess(input, P);
        expect(Number.isInteger(a.score)).toBe(true);
        expect(a.score).toBeGreaterThanOrEqual(0);
        expect(a.score).toBeLessThanOrEqual(100);
        expect(a.confidence).toBeGreaterThanOrEqual(0);
        expect(a.confidence).toBeLessThanOrEqual(1);
        expect(a.grade).toBe(gradeFor(a.score, P.gradeBands));
        expect(a.reasons.length).toBeLessThanOrEqual(P.reasonCodes.max + 3);
        for (const f of a.factors) expect(Number.isFinite(f.score) && Number.isFinite(f.weight)).toBe(true);
        // weights of the factors used sum to 1 (re-weighting)
        const sum = a.factors.reduce((s, f) => s + f.weight, 0);
        expect(Math.abs(sum - 1)).toBeLessThan(0.01);
      }),
      { numRuns: 1000 },
    );
  });

  it("paying later never raises the score", () => {
    fc.assert(
      fc.property(
        inputArb,
        behaviourArb,
        fc.double({ min: 0, max: 200, noNaN: true }),
        fc.integer({ min: 0, max: 400 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (input, b, extraDays, extraDpd, lessOnTime) => {
          const early = { ...input, behaviour: b };
          const late = {
            ...input,
            behaviour: {
              ...b,
              avgDaysBeyondTerms12m: b.avgDaysBeyondTerms12m === null ? null : b.avgDaysBeyondTerms12m + extraDays,
              oldestDaysPastDue: b.oldestDaysPastDue + extraDpd,
              onTimeRatio12m: b.onTimeRatio12m === null ? null : b.onTimeRatio12m * lessOnTime,
            },
          };
          expect(assess(late, P).score).toBeLessThanOrEqual(assess(early, P).score);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("a thin-file prospect (no history, no statement) still gets a score, with low confidence and not premium", () => {
    const a = assess({ asOf: NOW, profile: { industry: "retail", country: "US", foundedYear: 2020 } }, P);
    expect(a.score).toBeGreaterThan(0);
    expect(a.confidence).toBeLessThan(P.minConfidenceForPremium);
    expect(a.tier).not.toBe("premium");
    expect(a.flags).toEqual(expect.arrayContaining(["NO_PAYMENT_HISTORY", "NO_STATEMENT", "NO_TRADING_HISTORY"]));
  });

  it("an unbalanced statement is flagged and not used", () => {
    const s = {
      periodEnd: NOW,
      currency: "USD",
      totalAssets: 1_000_000_00,
      currentAssets: 500_000_00,
      totalLiabilities: 100_00,
      currentLiabilities: 100_00,
      equity: 100_00,
      retainedEarnings: 0,
      revenue: 1,
      ebit: 1,
      netIncome: 1,
    };
    const a = assess({ asOf: NOW, profile: { industry: "retail", country: "US", foundedYear: 2000 }, statement: s }, P);
    expect(a.flags).toContain("STATEMENT_UNBALANCED");
    expect(a.factors.some((f) => f.group === "financial")).toBe(false);
    expect(a.ratios).toBeNull();
  });

  it("overdue past 30 days caps the tier at standard, past 90 makes it risky", () => {
    const sound = {
      periodEnd: NOW,
      currency: "USD",
      totalAssets: 10_000_00,
      currentAssets: 6_000_00,
      totalLiabilities: 3_000_00,
      currentLiabilities: 2_000_00,
      equity: 7_000_00,
      retainedEarnings: 5_000_00,
      revenue: 20_000_00,
      ebit: 3_000_00,
      netIncome: 2_500_00,
    };
    const strong = {
      asOf: NOW,
      profile: { industry: "healthcare", country: "CH", foundedYear: 1950 },
      statement: sound,
      behaviour: {
        onTimeRatio12m: 1,
        avgDaysBeyondTerms12m: 0,
        oldestDaysPastDue: 0,
        dishonouredPayments: 0,
        payments12m: 24,
      },
      trading: {
        firstActivityAt: NOW - 3 * 365 * 86_400_000,
        volume12m: 200_000_00,
        orderCount12m: 24,
        creditLimit: 50_000_00,
        invoiceCount12m: 24,
      },
    };
    expect(assess(strong, P).tier).toBe("premium");
    expect(assess({ ...strong, behaviour: { ...strong.behaviour, oldestDaysPastDue: 31 } }, P).tier).not.toBe(
      "premium",
    );
    expect(assess({ ...strong, behaviour: { ...strong.behaviour, oldestDaysPastDue: 91 } }, P).tier).toBe("risky");
    expect(assess({ ...strong, overrides: { fraudHold: true } }, P).tier).toBe("risky");
  });

  it("reason codes name the factors that cost the most points first", () => {
    const a = assess(
      {
        asOf: NOW,
        profile: { industry: "construction", country: "US", foundedYear: 2025 },
        behaviour: { onTimeRatio12m: 0.2, avgDaysBeyondTerms12m: 45, oldestDaysPastDue: 70, dishonouredPayments: 2 },
      },
      P,
    );
    const lost = a.reasons.filter((r) => r.factor !== "file").map((r) => r.pointsLost);
    expect(lost).toEqual([...lost].sort((x, y) => y - x));
    expect(a.reasons.map((r) => r.code)).toContain("PAYMENTS_LATE_SHARE_HIGH");
  });

  it("any statement the callable schema accepts scores without throwing", () => {
    fc.assert(
      fc.property(statementArb, (s) => {
        const parsed = statementInput.safeParse({ ...s, periodEnd: new Date(s.periodEnd).toISOString() });
        expect(parsed.success).toBe(true);
        if (!parsed.success) return;
        const a = assess(
          { asOf: NOW, profile: { industry: "retail", country: "US", foundedYear: 2000 }, statement: parsed.data },
          P,
        );
        expect(a.score).toBeGreaterThanOrEqual(0);
        checkStatement(parsed.data, P.balanceTolerance);
        const r = computeRatios(parsed.data);
        for (const v of [r.currentRatio, r.debtToEquity, r.netMargin, r.altmanZ])
          if (v !== null) expect(Number.isFinite(v)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("industry or country names like __proto__ are unknown names, not prototype lookups", () => {
    for (const industry of ["__proto__", "constructor", "toString"]) {
      const a = assess({ asOf: NOW, profile: { industry, country: "US", foundedYear: 2000 } }, P);
      expect(a.factors.find((f) => f.factor === "industry")?.score).toBe(P.defaultIndustryScore);
    }
  });

  it("curves interpolate and clamp", () => {
    const c = [
      [0, 0],
      [10, 100],
    ] as const;
    expect(curveScore(c, -5)).toBe(0);
    expect(curveScore(c, 5)).toBe(50);
    expect(curveScore(c, 50)).toBe(100);
    expect(curveScore(c, Number.NaN)).toBe(0);
  });
});

describe("limit recommendation", () => {
  const gradeArb = fc.constantFrom("A", "B", "C", "D", "E") as fc.Arbitrary<"A" | "B" | "C" | "D" | "E">;
  it("never exceeds trading need, financial capacity or the grade cap (nor request and starter cap when new); rounded down", () => {
    fc.assert(
      fc.property(
        gradeArb,
        fc.option(balancedStatementArb, { nil: null }),
        fc.integer({ min: 0, max: 365 }),
        fc.integer({ min: 0, max: 1_000_000_000_000 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 1_000_000_000_00 }),
        (grade, statement, terms, volume, isNew, requested) => {
          const r = recommendLimit(
            { grade, statement, paymentTermsDays: terms, volume12m: volume, isNew, requestedLimit: requested },
            P,
          );
          expect(Number.isSafeInteger(r.recommendedLimit)).toBe(true);
          expect(r.recommendedLimit).toBeGreaterThanOrEqual(0);
          expect(r.recommendedLimit % P.limits.roundingUnit).toBe(0);
          for (const b of r.bounds) expect(r.recommendedLimit).toBeLessThanOrEqual(b.amount);
          const names = r.bounds.map((b) => b.name);
          expect(names).toEqual(expect.arrayContaining(["tradingNeed", "financialCapacity", "gradeCap"]));
          if (isNew) {
            expect(names).toEqual(expect.arrayContaining(["requested", "starterCap"]));
            expect(r.recommendedLimit).toBeLessThanOrEqual(Math.min(requested, P.limits.starterCap));
          }
          expect(r.recommendedLimit).toBeLessThanOrEqual(P.limits.gradeCaps[grade]);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("grade E gets no credit by default", () => {
    expect(
      recommendLimit(
        {
          grade: "E",
          statement: null,
          paymentTermsDays: 30,
          volume12m: 10_000_000,
          isNew: false,
          requestedLimit: null,
        },
        P,
      ).recommendedLimit,
    ).toBe(0);
  });
});

describe("policy document", () => {
  it("a partial override is merged over the defaults", () => {
    const r = resolvePolicy({ authority: { analyst: 10_000_00 } });
    expect(r.ok && r.policy.authority).toEqual({ analyst: 10_000_00, manager: P.authority.manager });
  });
  it.each([
    ["gradeBands", { gradeBands: { A: 50, B: 60, C: 40, D: 30 } }],
    ["authority.analyst", { authority: { analyst: -1 } }],
    [
      "curves.onTimeRatio",
      {
        curves: {
          onTimeRatio: [
            [0, 100],
            [1, 0],
          ],
        },
      },
    ],
    ["limits.roundingUnit", { limits: { roundingUnit: 0.5 } }],
    ["unknownKey", { unknownKey: 1 }],
  ])("an invalid override (%s) is reported with its path, never used", (path, override) => {
    const r = resolvePolicy(override);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues.map((i) => i.path).join(" ")).toContain(path.split(".")[0]);
  });
  it("prototype keys in an override are ignored", () => {
    const r = resolvePolicy(JSON.parse('{"__proto__": {"polluted": 1}, "version": 2}'));
    expect(r.ok).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
