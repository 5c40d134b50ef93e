import { describe, expect, it } from "vitest";
import { EMPTY_AGGREGATES, type CustomerAggregates } from "../../functions/src/domain/customer.js";
import { monthIndexOfMs, monthKeyOfIndex } from "../../functions/src/domain/ledger/model.js";
import type { MonthSettlement } from "../../functions/src/domain/ledger.js";
import {
  alertTransitions,
  cureFor,
  monitorDecision,
  monitoredFile,
  onTimeStreak,
  openAlertsAfterManualResolve,
  penaltyLevel,
  type MonitoredCustomer,
} from "../../functions/src/domain/monitoring.js";
import { DEFAULT_POLICY } from "../../functions/src/domain/policy.js";
import { reviewDecision, reviewedFields, reviewPeriod } from "../../functions/src/domain/reassessment.js";
import { statusPartsOf } from "../../functions/src/domain/status.js";

const P = DEFAULT_POLICY;
const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 15, 1); // 2026-06-15 01:00 UTC

function customerAt(over: Partial<MonitoredCustomer> = {}): MonitoredCustomer {
  return {
    name: "Acme",
    registrationNo: "R1",
    country: "US",
    industry: "wholesale",
    foundedYear: 2000,
    address: "1 Main St",
    currency: "USD",
    status: "active",
    statusReason: null,
    statusKind: null,
    ownerUid: null,
    score: 80,
    confidence: 0.9,
    financialScores: { currentRatio: 100, debtToEquity: 90, netMargin: 90, altmanZ: 95 },
    grade: "A",
    tier: "premium",
    creditLimit: 40_000_00,
    temporaryLimit: null,
    paymentTermsDays: 30,
    aggregates: EMPTY_AGGREGATES,
    exposure: 0,
    oldestDaysPastDue: 0,
    availableCredit: 40_000_00,
    applicationId: null,
    flags: { fraudHold: false, noLimitIncrease: false, extendedTermsEligible: false },
    createdAt: NOW - 400 * DAY,
    updatedAt: NOW - DAY,
    assessedAt: NOW - 20 * DAY,
    lastReviewedAt: NOW - 20 * DAY,
    nextReviewAt: Date.UTC(2026, 6, 1),
    nextAgingAt: Date.UTC(2026, 5, 15),
    ...over,
    // The status's parts, as a file written since they exist has them (derived from status and kind unless given).
    statusParts:
      over.statusParts ??
      statusPartsOf({
        status: over.status ?? "active",
        statusKind: over.statusKind ?? null,
        statusReason: over.statusReason ?? null,
      }),
  };
}

function agg(over: Partial<CustomerAggregates> = {}): CustomerAggregates {
  return {
    ...EMPTY_AGGREGATES,
    firstActivityAt: NOW - 400 * DAY,
    lastActivityAt: NOW - DAY,
    volume12m: 200_000_00,
    orderCount12m: 24,
    onTimeRatio12m: 1,
    avgDaysBeyondTerms12m: 0,
    payments12m: 12,
    invoiceCount12m: 12,
    ...over,
  };
}

/** Cash settled by month: `settled`, `onTime` of it on time, for the n months before NOW's month. */
function months(n: number, settled = 10_000_00, onTime = settled, asOf = NOW): Record<string, MonthSettlement> {
  const out: Record<string, MonthSettlement> = {};
  const cur = monthIndexOfMs(asOf);
  for (let m = cur - n; m < cur; m++) out[monthKeyOfIndex(m)] = { settled, onTime };
  return out;
}

const overdue = (dpd: number, exposure = 10_000_00) =>
  agg({ oldestDaysPastDue: dpd, exposure, openInvoiceBalance: exposure });

describe("penalties", () => {
  it("levels follow the policy thresholds (strictly more than)", () => {
    const p = P.penalties;
    expect(penaltyLevel({ oldestDaysPastDue: 30, dishonouredPayments: 0 }, p)).toBe(0);
    expect(penaltyLevel({ oldestDaysPastDue: 31, dishonouredPayments: 0 }, p)).toBe(1);
    expect(penaltyLevel({ oldestDaysPastDue: 60, dishonouredPayments: 0 }, p)).toBe(1);
    expect(penaltyLevel({ oldestDaysPastDue: 61, dishonouredPayments: 0 }, p)).toBe(2);
    expect(penaltyLevel({ oldestDaysPastDue: 91, dishonouredPayments: 0 }, p)).toBe(3);
    expect(penaltyLevel({ oldestDaysPastDue: 0, dishonouredPayments: 1 }, p)).toBe(3);
    // Without suspension on dishonour, a dishonour still blocks increases while it decays.
    expect(penaltyLevel({ oldestDaysPastDue: 0, dishonouredPayments: 1 }, { ...p, suspendOnDishonoured: false })).toBe(
      1,
    );
    expect(penaltyLevel({ oldestDaysPastDue: 0, dishonouredPayments: 0 }, { ...p, suspendOnDishonoured: false })).toBe(
      0,
    );
  });

  it("a dishonoured payment replaced by later cash decays per policy instead of suspending for 12 months", () => {
    const p = P.penalties;
    const bounced = {
      oldestDaysPastDue: 0,
      dishonouredPayments: 1,
      dishonouredUnreplaced: 5_000_00,
      lastDishonouredAt: NOW - 10 * DAY,
    };
    expect(penaltyLevel(bounced, p, 0, NOW)).toBe(3);
    const replaced = { ...bounced, dishonouredUnreplaced: 0 };
    expect(penaltyLevel(replaced, p, 3, NOW)).toBe(1); // cured: no suspension, no increase for a while
    expect(penaltyLevel({ ...replaced, lastDishonouredAt: NOW - (p.dishonouredDecayDays + 1) * DAY }, p, 1, NOW)).toBe(
      0,
    );
    expect(cureFor(bounced, p)).toEqual(["REPLACE_DISHONOURED_PAYMENT"]);
  });

  it("a hold or suspension stays until the cure the policy names, even below its threshold", () => {
    const p = P.penalties;
    expect(penaltyLevel({ oldestDaysPastDue: 45, dishonouredPayments: 0 }, p, 2, NOW)).toBe(2); // paid the oldest, still 45 days past due
    expect(penaltyLevel({ oldestDaysPastDue: 75, dishonouredPayments: 0 }, p, 3, NOW)).toBe(3);
    expect(penaltyLevel({ oldestDaysPastDue: p.cureDaysPastDue, dishonouredPayments: 0 }, p, 3, NOW)).toBe(0);
    expect(penaltyLevel({ oldestDaysPastDue: 45, dishonouredPayments: 0 }, p, 1, NOW)).toBe(1); // no hold before: thresholds as they are
    expect(cureFor({ oldestDaysPastDue: 45, dishonouredPayments: 0 }, p)).toEqual([
      `PAY_INVOICES_PAST_DUE_OVER_${p.cureDaysPastDue}_DAYS`,
    ]);
    const held = customerAt({
      status: "on_hold",
      statusKind: "automatic",
      statusReason: "OVERDUE_OVER_60_DAYS",
      monitor: { penaltyLevel: 2, penaltyProposedAt: NOW - 10 * DAY },
    });
    expect(monitorDecision(held, overdue(45), undefined, NOW, P).statusChange).toBeNull();
    expect(monitorDecision(held, overdue(20), undefined, NOW, P).statusChange).toMatchObject({
      status: "active",
      statusKind: "automatic",
      reason: "PENALTY_CURED",
    });
  });

  it("31 days: overdue_30, no limit increase, tier at most standard, still active", () => {
    const d = monitorDecision(customerAt(), overdue(31), months(6), NOW, P);
    expect(d.alertsToRaise.map((a) => a.type)).toEqual(["overdue_30"]);
    expect(d.alertsToRaise[0]!.code).toBe("OVERDUE_OVER_30_DAYS");
    expect(d.flags.noLimitIncrease).toBe(true);
    expect(d.tier).not.toBe("premium");
    expect(d.statusChange).toBeNull();
    expect(d.proposal).toBeNull();
    expect(d.openAlerts).toEqual({ overdue_30: true });
  });

  it("61 days: automatic hold and a pending limit cut proposal, once per episode", () => {
    const c = customerAt({ openAlerts: { overdue_30: true }, monitor: { penaltyLevel: 1 } });
    const d = monitorDecision(c, overdue(61), undefined, NOW, P);
    expect(d.alertsToRaise.map((a) => a.type)).toEqual(["overdue_60"]);
    expect(d.statusChange).toMatchObject({
      status: "on_hold",
      statusKind: "automatic",
      reason: "OVERDUE_OVER_60_DAYS",
    });
    expect(d.proposal).toMatchObject({
      source: "policy_penalty",
      currentLimit: 40_000_00,
      newLimit: 20_000_00,
      autoApprove: false,
    });
    expect(d.monitor).toMatchObject({ penaltyLevel: 2, penaltyProposedAt: NOW });
    // the next day: no second proposal, no status change
    const c2 = customerAt({
      status: "on_hold",
      statusKind: "automatic",
      statusReason: "OVERDUE_OVER_60_DAYS",
      statusParts: d.statusChange!.parts,
      openAlerts: d.openAlerts,
      monitor: d.monitor,
    });
    const d2 = monitorDecision(c2, overdue(62), undefined, NOW + DAY, P);
    expect(d2.proposal).toBeNull();
    expect(d2.statusChange).toBeNull();
    expect(d2.alertsToRaise).toEqual([]);
  });

  it("91 days: suspension, tier risky; a hold escalates", () => {
    const c = customerAt({
      status: "on_hold",
      statusKind: "automatic",
      monitor: { penaltyLevel: 2, penaltyProposedAt: NOW - 30 * DAY },
    });
    const d = monitorDecision(c, overdue(91), undefined, NOW, P);
    expect(d.statusChange).toMatchObject({ status: "suspended", statusKind: "automatic" });
    expect(d.tier).toBe("risky");
    expect(d.proposal).toBeNull();
  });

  it("a dishonoured payment not replaced suspends", () => {
    const d = monitorDecision(
      customerAt(),
      agg({ dishonouredPayments: 1, dishonouredUnreplaced: 5_000_00, lastDishonouredAt: NOW - DAY }),
      undefined,
      NOW,
      P,
    );
    expect(d.statusChange).toMatchObject({
      status: "suspended",
      statusKind: "automatic",
      reason: "PAYMENT_DISHONOURED",
    });
    const replaced = monitorDecision(
      customerAt(),
      agg({ dishonouredPayments: 1, dishonouredUnreplaced: 0, lastDishonouredAt: NOW - DAY }),
      undefined,
      NOW,
      P,
    );
    expect(replaced.statusChange).toBeNull();
    expect(replaced.flags.noLimitIncrease).toBe(true);
    expect(replaced.tier).not.toBe("premium");
  });

  it("cured: an automatic hold lifts, overdue alerts resolve with a reason, the episode ends", () => {
    const c = customerAt({
      status: "suspended",
      statusKind: "automatic",
      openAlerts: { overdue_30: true, overdue_60: true, overdue_90: true, fraud_signal: true },
      monitor: { penaltyLevel: 3, penaltyProposedAt: NOW - 40 * DAY },
    });
    const d = monitorDecision(c, agg(), undefined, NOW, P);
    expect(d.statusChange).toMatchObject({
      status: "active",
      statusKind: "automatic",
      reason: "PENALTY_CURED",
      parts: { manual: null, automatic: null },
    });
    expect(d.alertsToResolve).toEqual([
      { type: "overdue_30", reason: "OVERDUE_CURED" },
      { type: "overdue_60", reason: "OVERDUE_CURED" },
      { type: "overdue_90", reason: "OVERDUE_CURED" },
    ]);
    expect(d.openAlerts).toEqual({ fraud_signal: true });
    expect(d.flags.noLimitIncrease).toBe(false);
    expect(d.monitor.penaltyProposedAt).toBeNull();
  });

  it("a manual hold or suspension is never lifted by the monitor", () => {
    for (const status of ["on_hold", "suspended"] as const) {
      const d = monitorDecision(
        customerAt({ status, statusKind: "manual", statusReason: "MANUAL" }),
        agg(),
        undefined,
        NOW,
        P,
      );
      expect(d.statusChange).toBeNull();
    }
  });

  it("a manual hold does not stop escalation: the harsher status is in force, both reasons are kept", () => {
    const c = customerAt({
      status: "on_hold",
      statusKind: "manual",
      statusReason: "MANUAL",
      monitor: { penaltyLevel: 2 },
    });
    const d = monitorDecision(c, overdue(95), undefined, NOW, P);
    expect(d.statusChange).toEqual({
      status: "suspended",
      statusKind: "automatic",
      reason: "OVERDUE_OVER_90_DAYS",
      parts: {
        manual: { status: "on_hold", reason: "MANUAL" },
        automatic: { status: "suspended", reason: "OVERDUE_OVER_90_DAYS" },
      },
    });
    // Cured: the person's hold is what is left in force.
    const after = customerAt({
      status: "suspended",
      statusKind: "automatic",
      statusReason: "OVERDUE_OVER_90_DAYS",
      statusParts: d.statusChange!.parts,
      monitor: d.monitor,
    });
    expect(monitorDecision(after, agg(), undefined, NOW + DAY, P).statusChange).toMatchObject({
      status: "on_hold",
      statusKind: "manual",
      reason: "MANUAL",
    });
    // A manual suspension stays in force over an automatic hold; the hold is recorded beside it.
    const suspended = monitorDecision(
      customerAt({ status: "suspended", statusKind: "manual", statusReason: "MANUAL" }),
      overdue(70),
      undefined,
      NOW,
      P,
    );
    expect(suspended.statusChange).toMatchObject({
      status: "suspended",
      statusKind: "manual",
      parts: { automatic: { status: "on_hold" } },
    });
  });

  it("a reactivated file whose penalty is not cured is held again (releasing a penalty needs its cure)", () => {
    const c = customerAt({
      status: "active",
      statusKind: null,
      monitor: { penaltyLevel: 2, penaltyProposedAt: NOW - 5 * DAY },
    });
    expect(monitorDecision(c, overdue(70), undefined, NOW, P).statusChange).toMatchObject({
      status: "on_hold",
      statusKind: "automatic",
    });
    expect(monitorDecision(c, overdue(95), undefined, NOW, P).statusChange).toMatchObject({ status: "suspended" });
  });
});

describe("alerts", () => {
  it("utilization_high at the policy share; over_limit above the limit in force", () => {
    const d1 = monitorDecision(customerAt(), agg({ exposure: 36_000_00 }), undefined, NOW, P);
    expect(d1.alertsToRaise.map((a) => a.type)).toEqual(["utilization_high"]);
    expect(d1.alertsToRaise[0]!.details).toEqual({ utilizationPct: 90 });
    const d2 = monitorDecision(customerAt(), agg({ exposure: 41_000_00 }), undefined, NOW, P);
    expect(d2.alertsToRaise.map((a) => a.type)).toEqual(["utilization_high", "over_limit"]);
    const d3 = monitorDecision(
      customerAt({ openAlerts: d2.openAlerts }),
      agg({ exposure: 1_000_00 }),
      undefined,
      NOW,
      P,
    );
    expect(d3.alertsToResolve).toEqual([
      { type: "utilization_high", reason: "UTILIZATION_NORMAL" },
      { type: "over_limit", reason: "WITHIN_LIMIT" },
    ]);
  });

  it("temporary limit: expiring within the warning days, expired on its day (cleared), resolved by a new one", () => {
    const expiresAt = Date.UTC(2026, 5, 22); // 7 days after NOW's midnight
    const c = customerAt({ temporaryLimit: { limit: 50_000_00, expiresAt } });
    const early = monitorDecision(c, agg({ exposure: 45_000_00 }), undefined, NOW - DAY, P);
    expect(early.alertsToRaise.map((a) => a.type)).not.toContain("temporary_limit_expiring");
    const warn = monitorDecision(c, agg({ exposure: 45_000_00 }), undefined, NOW, P);
    expect(warn.alertsToRaise.map((a) => a.type)).toContain("temporary_limit_expiring");
    expect(warn.alertsToRaise.map((a) => a.type)).not.toContain("over_limit");
    const onDay = monitorDecision(
      { ...c, openAlerts: warn.openAlerts },
      agg({ exposure: 45_000_00 }),
      undefined,
      expiresAt + 3_600_000,
      P,
    );
    expect(onDay.clearTemporaryLimit).toBe(true);
    expect(onDay.alertsToRaise.map((a) => a.type)).toEqual(["over_limit", "temporary_limit_expired"]);
    expect(onDay.alertsToResolve).toEqual([{ type: "temporary_limit_expiring", reason: "TEMPORARY_LIMIT_EXPIRED" }]);
    // Nothing clears the expiry notice but a new temporary limit.
    const later = monitorDecision(
      { ...c, temporaryLimit: null, openAlerts: onDay.openAlerts },
      agg(),
      undefined,
      expiresAt + 5 * DAY,
      P,
    );
    expect(later.openAlerts.temporary_limit_expired).toBe(true);
    const renewed = monitorDecision(
      { ...c, temporaryLimit: { limit: 45_000_00, expiresAt: expiresAt + 60 * DAY }, openAlerts: later.openAlerts },
      agg(),
      undefined,
      expiresAt + 6 * DAY,
      P,
    );
    expect(renewed.alertsToResolve).toContainEqual({ type: "temporary_limit_expired", reason: "NEW_TEMPORARY_LIMIT" });
  });

  it("review_overdue after nextReviewAt + reviewOverdueDays; statements_stale after statementStaleMonths", () => {
    const c = customerAt({ nextReviewAt: NOW - 8 * DAY, latestStatementAt: Date.UTC(2025, 0, 31) });
    const d = monitorDecision(c, agg(), undefined, NOW, P);
    expect(d.alertsToRaise.map((a) => a.type)).toEqual(["review_overdue", "statements_stale"]);
    const fresh = monitorDecision(
      customerAt({ nextReviewAt: NOW - 6 * DAY, latestStatementAt: Date.UTC(2025, 3, 30) }),
      agg(),
      undefined,
      NOW,
      P,
    );
    expect(fresh.alertsToRaise).toEqual([]);
    // No known statement date: nothing to say.
    expect(monitorDecision(customerAt({ latestStatementAt: null }), agg(), undefined, NOW, P).alertsToRaise).toEqual(
      [],
    );
  });

  it("an acknowledged alert (false) is not raised again while the condition holds, and forgotten when it clears", () => {
    const t = alertTransitions({ overdue_30: false }, [{ type: "overdue_30", state: "on", code: "X", details: {} }]);
    expect(t.raise).toEqual([]);
    expect(t.openAlerts).toEqual({ overdue_30: false });
    const cleared = alertTransitions(t.openAlerts, [{ type: "overdue_30", state: "off", reason: "OVERDUE_CURED" }]);
    expect(cleared.resolve).toEqual([]);
    expect(cleared.openAlerts).toEqual({});
    expect(openAlertsAfterManualResolve({ overdue_30: true, fraud_signal: true }, "overdue_30")).toEqual({
      overdue_30: false,
      fraud_signal: true,
    });
    expect(openAlertsAfterManualResolve({ overdue_30: true, fraud_signal: true }, "fraud_signal")).toEqual({
      overdue_30: true,
    });
  });
});

describe("incentives", () => {
  const busy = agg({ exposure: 30_000_00 }); // 75 % of 40,000

  it("six on-time months ending last month", () => {
    expect(onTimeStreak(months(6), NOW, 6)).toBe(true);
    expect(onTimeStreak(months(5), NOW, 6)).toBe(false);
    expect(onTimeStreak(months(6, 10_000_00, 9_999_99), NOW, 6)).toBe(false);
    const gap = months(6);
    delete gap[monthKeyOfIndex(monthIndexOfMs(NOW) - 3)];
    expect(onTimeStreak(gap, NOW, 6)).toBe(false);
    // The current (incomplete) month does not count.
    expect(onTimeStreak(months(6, 1, 1, NOW - 31 * DAY), NOW, 6)).toBe(false);
  });

  it("a small increase is auto-approved, a larger one is pending; premium gets extended terms", () => {
    const small = monitorDecision(customerAt(), busy, months(6), NOW, P);
    expect(small.proposal).toEqual({
      source: "policy_incentive",
      currentLimit: 40_000_00,
      newLimit: 48_000_00,
      autoApprove: true,
      reason: "ON_TIME_6_MONTHS",
    });
    expect(small.flags.extendedTermsEligible).toBe(true);
    expect(small.monitor.lastIncentiveAt).toBe(NOW);
    const big = monitorDecision(
      customerAt({ creditLimit: 100_000_00 }),
      agg({ exposure: 80_000_00 }),
      months(6),
      NOW,
      P,
    );
    expect(big.proposal).toMatchObject({ newLimit: 120_000_00, autoApprove: false });
  });

  it("no increase below the utilization, without the streak, under a penalty, or again within the streak length", () => {
    expect(monitorDecision(customerAt(), agg({ exposure: 20_000_00 }), months(6), NOW, P).proposal).toBeNull();
    expect(monitorDecision(customerAt(), busy, months(5), NOW, P).proposal).toBeNull();
    expect(monitorDecision(customerAt(), { ...busy, oldestDaysPastDue: 31 }, months(6), NOW, P).proposal).toBeNull();
    expect(
      monitorDecision(customerAt({ monitor: { lastIncentiveAt: NOW - 100 * DAY } }), busy, months(6), NOW, P).proposal,
    ).toBeNull();
    expect(
      monitorDecision(customerAt({ monitor: { lastIncentiveAt: NOW - 190 * DAY } }), busy, months(6), NOW, P).proposal,
    ).not.toBeNull();
    expect(
      monitorDecision(customerAt({ status: "on_hold", statusKind: "manual" }), busy, months(6), NOW, P).proposal,
    ).toBeNull();
  });
});

describe("monthly review decision", () => {
  it("score_drop when the score fell by scoreDropAlert since the last review; tier_downgrade; both resolve next time", () => {
    const c = customerAt({ lastReviewScore: 100, lastReviewTier: "premium" });
    const d = reviewDecision(c, agg({ oldestDaysPastDue: 45, exposure: 5_000_00 }), null, NOW, P);
    expect(d.previous).toEqual({ score: 100, tier: "premium" });
    expect(d.alertsToRaise.map((a) => a.type)).toEqual(["score_drop", "tier_downgrade"]);
    const next = reviewDecision(
      customerAt({ lastReviewScore: d.assessment.score, lastReviewTier: d.tier, openAlerts: d.openAlerts }),
      agg({ oldestDaysPastDue: 45 }),
      null,
      NOW + 30 * DAY,
      P,
    );
    expect(next.alertsToResolve.map((a) => a.type)).toEqual(["score_drop", "tier_downgrade"]);
    expect(reviewPeriod(NOW)).toBe("2026-06");
  });
});

describe("next states (what the services write)", () => {
  it("monitoredFile: an automatic hold is patched, kept in the next file and audited with its reason; a quiet day changes nothing in view", () => {
    const c = customerAt();
    const d = monitorDecision(c, overdue(61), undefined, NOW, P);
    const f = monitoredFile(c, d, NOW, false);
    expect(f.statusChanged).toBe(true);
    expect(f.next).toMatchObject({ status: "on_hold", statusKind: "automatic" });
    expect(f.patch).toMatchObject({
      status: "on_hold",
      statusKind: "automatic",
      statusParts: d.statusChange!.parts,
      openAlerts: d.openAlerts,
      monitor: d.monitor,
      updatedAt: NOW,
    });
    expect(f.change).toMatchObject({
      before: { status: "active" },
      after: { status: "on_hold" },
      reason: "OVERDUE_OVER_60_DAYS",
    });
    const quiet = monitoredFile(c, monitorDecision(c, agg(), undefined, NOW, P), NOW, false);
    expect(quiet.statusChanged).toBe(false);
    expect(quiet.change).toBeNull();
  });

  it("reviewedFields: the review's scores, class and memory, the next review a month on, the class migration's period", () => {
    const c = customerAt({ lastReviewScore: 100, lastReviewTier: "premium" });
    const aggregates = agg({ oldestDaysPastDue: 45, exposure: 5_000_00 });
    const d = reviewDecision(c, aggregates, null, NOW, P);
    const f = reviewedFields(c, d, aggregates, null, NOW, NOW + 5);
    expect(f.previous).toEqual({ score: c.score, grade: c.grade, tier: c.tier, confidence: c.confidence });
    expect(f.after).toEqual({
      score: d.assessment.score,
      grade: d.assessment.grade,
      tier: d.tier,
      confidence: d.assessment.confidence,
    });
    expect(f.patch).toMatchObject({
      aggregates,
      assessedAt: NOW,
      lastReviewedAt: NOW,
      nextReviewAt: Date.UTC(2026, 6, 1),
      lastReviewScore: d.assessment.score,
      lastReviewTier: d.tier,
      reviewPeriod: "2026-06",
      reviewedFromTier: "premium",
      reviewedTier: d.tier,
      latestStatementAt: null,
      openAlerts: d.openAlerts,
      updatedAt: NOW + 5,
    });
    expect(f.assessmentDoc).toMatchObject({
      recommendedLimit: d.limit.recommendedLimit,
      tier: d.tier,
      scoredTier: d.assessment.tier,
      source: "monthly_reassessment",
      updatedAt: NOW + 5,
    });
  });
});
