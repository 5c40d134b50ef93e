import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { EMPTY_AGGREGATES, type CreditStatus, type CustomerAggregates } from "../../functions/src/domain/customer.js";
import { monitorDecision, type MonitoredCustomer, type PenaltyLevel } from "../../functions/src/domain/monitoring.js";
import { DEFAULT_POLICY } from "../../functions/src/domain/policy.js";
import type { Tier } from "../../functions/src/schemas/policy.js";

const P = DEFAULT_POLICY;
const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 15, 1);
const SEVERITY: Record<CreditStatus, number> = { active: 0, on_hold: 1, suspended: 2 };
const TIER_RANK: Record<Tier, number> = { risky: 0, standard: 1, premium: 2 };

const stateArb = fc.record({
  status: fc.constantFrom<CreditStatus>("active", "on_hold", "suspended"),
  statusKind: fc.constantFrom<"manual" | "automatic" | null>("manual", "automatic", null),
  prevLevel: fc.constantFrom<PenaltyLevel>(0, 1, 2, 3),
  creditLimit: fc.integer({ min: 0, max: 2_000_000_00 }),
  exposure: fc.integer({ min: 0, max: 3_000_000_00 }),
  dishonoured: fc.integer({ min: 0, max: 3 }),
  onTimeRatio: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: null }),
  volume: fc.integer({ min: 0, max: 5_000_000_00 }),
  grade: fc.constantFrom("A", "B", "C", "D", "E" as const),
  score: fc.integer({ min: 0, max: 100 }),
  fraudHold: fc.boolean(),
});
type State = typeof stateArb extends fc.Arbitrary<infer T> ? T : never;

function customerOf(s: State): MonitoredCustomer {
  return {
    name: "Acme",
    registrationNo: "R1",
    country: "US",
    industry: "wholesale",
    foundedYear: 2000,
    address: "1 Main St",
    currency: "USD",
    status: s.status,
    statusReason: null,
    statusKind: s.statusKind,
    ownerUid: null,
    score: s.score,
    confidence: 0.9,
    financialScores: { currentRatio: 80, debtToEquity: 80 },
    grade: s.grade,
    tier: "standard",
    creditLimit: s.creditLimit,
    temporaryLimit: null,
    paymentTermsDays: 30,
    aggregates: EMPTY_AGGREGATES,
    exposure: s.exposure,
    oldestDaysPastDue: 0,
    availableCredit: s.creditLimit - s.exposure,
    applicationId: null,
    flags: { fraudHold: s.fraudHold, noLimitIncrease: false, extendedTermsEligible: false },
    createdAt: NOW - 400 * DAY,
    updatedAt: NOW,
    assessedAt: NOW,
    lastReviewedAt: NOW,
    nextReviewAt: NOW + 10 * DAY,
    nextAgingAt: NOW,
    monitor: { penaltyLevel: s.prevLevel, penaltyProposedAt: null, lastIncentiveAt: null },
  };
}

function aggOf(s: State, dpd: number): CustomerAggregates {
  return {
    ...EMPTY_AGGREGATES,
    exposure: s.exposure,
    openInvoiceBalance: s.exposure,
    oldestDaysPastDue: dpd,
    dishonouredPayments: s.dishonoured,
    onTimeRatio12m: s.onTimeRatio,
    avgDaysBeyondTerms12m: s.onTimeRatio === null ? null : 3,
    volume12m: s.volume,
    orderCount12m: 12,
    firstActivityAt: NOW - 400 * DAY,
    lastActivityAt: NOW,
  };
}

const statusAfter = (c: MonitoredCustomer, d: ReturnType<typeof monitorDecision>) => d.statusChange?.status ?? c.status;

describe("monitoring properties", () => {
  it("monotone: more days past due never lifts a penalty (status, limit block, tier)", () => {
    fc.assert(
      fc.property(stateArb, fc.integer({ min: 0, max: 400 }), fc.integer({ min: 0, max: 400 }), (s, x, y) => {
        const [lo, hi] = x <= y ? [x, y] : [y, x];
        const c = customerOf(s);
        const a = monitorDecision(c, aggOf(s, lo), undefined, NOW, P);
        const b = monitorDecision(c, aggOf(s, hi), undefined, NOW, P);
        expect(SEVERITY[statusAfter(c, b)]).toBeGreaterThanOrEqual(SEVERITY[statusAfter(c, a)]);
        expect(b.penaltyLevel).toBeGreaterThanOrEqual(a.penaltyLevel);
        if (a.flags.noLimitIncrease) expect(b.flags.noLimitIncrease).toBe(true);
        expect(TIER_RANK[b.tier]).toBeLessThanOrEqual(TIER_RANK[a.tier]);
        if (a.proposal?.source === "policy_penalty" || a.statusChange?.status === "suspended")
          expect(b.proposal?.source).not.toBe("policy_incentive");
      }),
      { numRuns: 500 },
    );
  });

  it("a cured customer under an automatic hold or suspension always goes back to active", () => {
    fc.assert(
      fc.property(
        stateArb,
        fc.constantFrom<CreditStatus>("on_hold", "suspended"),
        fc.integer({ min: 0, max: P.penalties.noIncreaseAfterDays }),
        (s, status, dpd) => {
          const c = customerOf({ ...s, status, statusKind: "automatic" });
          const d = monitorDecision(c, aggOf({ ...s, dishonoured: 0 }, dpd), undefined, NOW, P);
          expect(d.statusChange).toMatchObject({ status: "active", statusKind: "automatic", reason: "PENALTY_CURED" });
          expect(d.flags.noLimitIncrease).toBe(false);
        },
      ),
    );
  });

  it("a manual hold or suspension is never lifted by the monitor; a penalty may only make it harsher, keeping the person's reason", () => {
    fc.assert(
      fc.property(
        stateArb,
        fc.constantFrom<CreditStatus>("on_hold", "suspended"),
        fc.integer({ min: 0, max: 400 }),
        (s, status, dpd) => {
          const c = customerOf({ ...s, status, statusKind: "manual" });
          const d = monitorDecision(c, aggOf(s, dpd), undefined, NOW, P);
          expect(SEVERITY[statusAfter(c, d)]).toBeGreaterThanOrEqual(SEVERITY[status]);
          if (d.statusChange) expect(d.statusChange.parts.manual).toEqual({ status, reason: "MANUAL" });
        },
      ),
    );
  });

  it("alerts: each monitor alert type is raised at most once and the map says what is open", () => {
    fc.assert(
      fc.property(stateArb, fc.integer({ min: 0, max: 400 }), fc.integer({ min: 0, max: 400 }), (s, d1, d2) => {
        const c = customerOf(s);
        const first = monitorDecision(c, aggOf(s, d1), undefined, NOW, P);
        const second = monitorDecision({ ...c, openAlerts: first.openAlerts }, aggOf(s, d2), undefined, NOW + DAY, P);
        for (const a of second.alertsToRaise) expect(first.openAlerts[a.type]).toBeUndefined();
        for (const r of second.alertsToResolve) expect(first.openAlerts[r.type]).toBe(true);
        const again = monitorDecision({ ...c, openAlerts: second.openAlerts }, aggOf(s, d2), undefined, NOW + DAY, P);
        expect(again.alertsToRaise).toEqual([]);
        expect(again.alertsToResolve).toEqual([]);
      }),
    );
  });
});
