/**
 * Classes calibrated to the users' template (seed 二): the reference customers of docs/scoring.md,
 * each with the class the template implies; the evidence rules; and the reproductions of issue 11
 * at the domain level (each a named regression).
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { checkOrderAgainstTerms, type CreditTerms } from "../../functions/src/domain/customer.js";
import {
  applyRecord,
  emptyLedger,
  settledByMonth,
  summarize,
  type LedgerRecord,
  type LedgerState,
} from "../../functions/src/domain/ledger.js";
import { onTimeStreak } from "../../functions/src/domain/monitoring.js";
import { DEFAULT_POLICY, resolvePolicy } from "../../functions/src/domain/policy.js";
import {
  assessCustomer,
  classInForce,
  limitFollowUp,
  rescoreFromFile,
} from "../../functions/src/domain/reassessment.js";
import { classify, tierFor } from "../../functions/src/domain/scoring.js";
import type { CreditPolicy } from "../../functions/src/schemas/policy.js";
import { fileOf, NOW, REFERENCE_CUSTOMERS, SOUND } from "../support/reference-customers.js";

const P = DEFAULT_POLICY;
const DAY = 86_400_000;

function policyWith(override: unknown): CreditPolicy {
  const r = resolvePolicy(override);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.policy;
}

describe("reference customers (docs/scoring.md): the class the template implies", () => {
  it("there are at least 15, each named once", () => {
    expect(REFERENCE_CUSTOMERS.length).toBeGreaterThanOrEqual(15);
    expect(new Set(REFERENCE_CUSTOMERS.map((r) => r.name)).size).toBe(REFERENCE_CUSTOMERS.length);
    for (const t of ["premium", "standard", "risky"])
      expect(
        REFERENCE_CUSTOMERS.some((r) => r.expected === t),
        t,
      ).toBe(true);
  });

  it("docs/scoring.md lists each of them with its class", () => {
    const doc = readFileSync(join(dirname(fileURLToPath(import.meta.url)), "../../docs/scoring.md"), "utf8");
    const rows = new Map(
      doc
        .split("\n")
        .filter((l) => l.startsWith("| "))
        .map((l) => l.split("|").map((c) => c.trim()))
        .map((c) => [c[1], c[2]] as const),
    );
    for (const r of REFERENCE_CUSTOMERS) expect(rows.get(r.name), r.name).toBe(r.expected);
  });

  it.each(REFERENCE_CUSTOMERS.map((r) => [r.name, r] as const))("%s", (_name, r) => {
    const { assessment } = assessCustomer(r.file, r.statement, NOW, P);
    expect(assessment.tier, r.why).toBe(r.expected);
    expect(assessment.classReasons).toEqual(expect.arrayContaining(r.reasons));
    if (r.expected === "premium") expect(assessment.classReasons).toEqual([]);
  });
});

describe("evidence: no full marks without it, premium needs it (policy)", () => {
  const unpaid = fileOf({ months: 0.03, volume12m: 10_000_00, invoices12m: 1, limit: 40_000_00 });

  it("nothing paid yet: every payment factor stands at the policy's unknown score, out of confidence and of the reasons", () => {
    const a = rescoreFromFile(
      { ...unpaid, financialScores: { currentRatio: 100, debtToEquity: 100, netMargin: 100, altmanZ: 100 } },
      NOW,
      P,
    );
    const payment = a.factors.filter((f) => f.group === "payment");
    expect(payment.length).toBe(5);
    for (const f of payment) expect(f.score, f.factor).toBe(P.unknownPaymentScore);
    expect(a.confidence).toBeLessThan(1 - 0.4 + 0.001);
    expect(a.flags).toContain("NO_PAYMENT_HISTORY");
    expect(a.reasons.map((r) => r.code)).not.toContain("PAYMENTS_LATE_SHARE_HIGH");
  });

  it("what went wrong before anything was paid is evidence, and never scores above the unknown", () => {
    const late = rescoreFromFile({ ...unpaid, aggregates: { ...unpaid.aggregates, oldestDaysPastDue: 40 } }, NOW, P);
    const f = late.factors.find((x) => x.factor === "oldestDaysPastDue")!;
    expect(f.value).toBe(40);
    expect(f.score).toBeLessThanOrEqual(P.unknownPaymentScore);
  });

  it("premium's evidence comes from the policy: lower the bar and the young customer is premium", () => {
    const young = REFERENCE_CUSTOMERS.find((r) => r.name.startsWith("Young customer"))!;
    expect(assessCustomer(young.file, young.statement, NOW, P).assessment.tier).toBe("standard");
    const lenient = policyWith({ classification: { premium: { minHistoryMonths: 1 } } });
    expect(assessCustomer(young.file, young.statement, NOW, lenient).assessment.tier).toBe("premium");
  });

  it("a manager's override is the class in force until it expires; a penalty caps the computed class", () => {
    const o = {
      overrideId: "o1",
      tier: "risky" as const,
      reason: "parent insolvent",
      expiresAt: NOW + DAY,
      decidedBy: "m",
      decidedByRole: "manager",
      decidedAt: NOW,
    };
    expect(classInForce("premium", "premium", o, [], NOW)).toEqual({
      tier: "risky",
      source: "override",
      classReasons: ["CLASS_OVERRIDDEN_TO_RISKY"],
    });
    expect(classInForce("premium", "standard", o, [], NOW + DAY)).toEqual({
      tier: "standard",
      source: "computed",
      classReasons: ["PENALTY_IN_FORCE"],
    });
  });
});

describe("issue 11 reproductions (regressions)", () => {
  it("one invoice recorded yesterday and nothing paid is not A/premium (payment factors no longer get full marks without evidence)", () => {
    const file = fileOf({ months: 1 / 30, volume12m: 10_000_00, invoices12m: 1, limit: 40_000_00 });
    const { assessment } = assessCustomer(file, SOUND, NOW, P);
    expect(assessment.tier).not.toBe("premium");
    expect(assessment.factors.filter((f) => f.group === "payment" && f.score === 100)).toEqual([]);
  });

  it("1.00 of volume and one order a year is not premium", () => {
    const file = fileOf({
      months: 48,
      volume12m: 1_00,
      invoices12m: 1,
      orders12m: 1,
      payments12m: 1,
      onTime: 1,
      avgLate: 0,
    });
    const { assessment } = assessCustomer(file, SOUND, NOW, P);
    expect(assessment.tier).toBe("standard");
    expect(assessment.classReasons).toEqual(
      expect.arrayContaining(["PREMIUM_NEEDS_VOLUME", "PREMIUM_NEEDS_REGULAR_TRADE"]),
    );
  });

  it("on average 20 days late with the oldest invoice 25 days past due is standard, as the template says, not A/premium", () => {
    const file = fileOf({
      months: 48,
      volume12m: 600_000_00,
      invoices12m: 24,
      orders12m: 24,
      payments12m: 24,
      onTime: 0.2,
      avgLate: 20,
      oldest: 25,
    });
    expect(assessCustomer(file, SOUND, NOW, P).assessment.tier).toBe("standard");
  });

  it("with the policy at 10 days, an order at 25 days past due goes to review and the class is at most standard (no literal 30/90)", () => {
    const p10 = policyWith({
      penalties: { noIncreaseAfterDays: 10, autoHoldAfterDays: 20, suspendAfterDays: 40, cureDaysPastDue: 10 },
    });
    const terms: CreditTerms = {
      status: "active",
      creditLimit: 100_000_00,
      temporaryLimit: null,
      tier: "standard",
      grade: "A",
      exposure: 10_000_00,
      oldestDaysPastDue: 25,
    };
    const check = checkOrderAgainstTerms(terms, 1_000_00, NOW, p10);
    expect(check.decision).toBe("review");
    expect(check.reasons).toContain("INVOICES_PAST_DUE");
    expect(checkOrderAgainstTerms({ ...terms, oldestDaysPastDue: 9 }, 1_000_00, NOW, p10).decision).toBe("approve");
    expect(tierFor({ grade: "A", confidence: 1, oldestDaysPastDue: 25, fraudHold: false }, p10)).toBe("standard");
    expect(tierFor({ grade: "A", confidence: 1, oldestDaysPastDue: 25, fraudHold: false }, P)).toBe("standard"); // default premium bar: 15 days
    expect(tierFor({ grade: "A", confidence: 1, oldestDaysPastDue: 41, fraudHold: false }, p10)).toBe("risky");
    expect(tierFor({ grade: "A", confidence: 1, oldestDaysPastDue: 41, fraudHold: false }, P)).toBe("standard");
  });

  it("the fraud flag makes the class risky only while it is held: a grade-A file without it is premium again", () => {
    const good = REFERENCE_CUSTOMERS.find((r) => r.name.startsWith("Large volume, always on time, sound"))!;
    const held = { ...good.file, flags: { ...good.file.flags, fraudHold: true } };
    expect(assessCustomer(held, SOUND, NOW, P).assessment.tier).toBe("risky");
    expect(assessCustomer(good.file, SOUND, NOW, P).assessment.tier).toBe("premium");
  });

  it("a customer younger than a year has its volume annualised over its months: 2 months at 20,000 a month is not recommended 5,000", () => {
    const young = fileOf({
      months: 2,
      volume12m: 40_000_00,
      invoices12m: 8,
      orders12m: 8,
      payments12m: 6,
      onTime: 1,
      avgLate: 0,
      limit: 50_000_00,
    });
    const { limit } = assessCustomer(young, SOUND, NOW, P);
    // 240,000 a year / 12 × (30 + 15) / 30 = 30,000 (a little less: a little more than 2 months)
    expect(limit.recommendedLimit).toBeGreaterThanOrEqual(29_000_00);
    expect(limit.recommendedLimit).toBeLessThanOrEqual(30_000_00);
  });

  it("a customer who falls to D or E has the limit cut (within the policy's bounds at once, else a proposal), with reason codes", () => {
    const rec = (amount: number) => ({ recommendedLimit: amount, bounds: [], bindingBound: "gradeCap" as const });
    const base = {
      creditLimit: 100_000_00,
      previousGrade: "B" as const,
      noLimitIncrease: false,
      fraudHold: false,
      status: "active" as const,
    };
    expect(limitFollowUp({ ...base, grade: "D", recommendation: rec(50_000_00) }, P)).toEqual({
      action: "cut",
      currentLimit: 100_000_00,
      newLimit: 50_000_00,
      reasonCodes: ["GRADE_LOWERED_B_TO_D", "LIMIT_BOUND_GRADE_CAP"],
    });
    expect(limitFollowUp({ ...base, grade: "E", recommendation: rec(0) }, P)).toMatchObject({
      action: "propose_cut",
      newLimit: 0,
    });
    // Same grade: a recommendation within the margin leaves the limit; below it, a cut.
    expect(limitFollowUp({ ...base, grade: "B", recommendation: rec(95_000_00) }, P)).toEqual({ action: "none" });
    expect(limitFollowUp({ ...base, grade: "B", recommendation: rec(80_000_00) }, P)).toMatchObject({
      action: "cut",
      reasonCodes: ["RECOMMENDED_BELOW_LIMIT", "LIMIT_BOUND_GRADE_CAP"],
    });
    // Increases are never applied, only proposed; not while increases are blocked.
    expect(limitFollowUp({ ...base, grade: "A", recommendation: rec(200_000_00) }, P)).toMatchObject({
      action: "propose_increase",
      newLimit: 200_000_00,
    });
    expect(limitFollowUp({ ...base, grade: "A", noLimitIncrease: true, recommendation: rec(200_000_00) }, P)).toEqual({
      action: "none",
    });
  });

  it("the on-time streak counts payments on account (matched oldest first), not only payments that name their invoice", () => {
    let state: LedgerState = emptyLedger();
    const records: LedgerRecord[] = [];
    for (let i = 1; i <= 6; i++) {
      const first = Date.UTC(2026, 5 - i, 1);
      records.push({
        externalId: `INV-${i}`,
        type: "invoice",
        amount: 10_000_00,
        issuedAt: first,
        dueAt: first + 25 * DAY,
      });
      records.push({ externalId: `PAY-${i}`, type: "payment", amount: 10_000_00, issuedAt: first + 20 * DAY }); // on account
    }
    const entries = new Map();
    for (const r of records) {
      const res = applyRecord(state, r, entries.get(r.externalId) ?? null, null);
      state = res.state;
      for (const w of res.writes) entries.set(w.id, w.entry);
    }
    expect(summarize(state, NOW).onTimeRatio12m).toBe(1);
    expect(onTimeStreak(settledByMonth(state, NOW, 7), NOW, 6)).toBe(true);
  });

  it("classification reads only policy thresholds: moving the risky bar moves the class", () => {
    const e = {
      grade: "A" as const,
      confidence: 1,
      oldestDaysPastDue: 0,
      fraudHold: false,
      tenureMonths: 48,
      payments12m: 24,
      invoices12m: 24,
      annualVolume: 1e9,
      creditLimit: 1,
      onTimeRatio12m: 0.5,
      avgDaysBeyondTerms12m: 35,
      dishonoured12m: 0,
      dishonouredUnreplaced: 0,
      disputesLost12m: 0,
      financialScore: 90,
    };
    expect(classify(e, P).tier).toBe("risky");
    expect(classify(e, policyWith({ classification: { risky: { avgDaysBeyondTermsOver: 40 } } })).tier).toBe(
      "standard",
    );
  });
});
