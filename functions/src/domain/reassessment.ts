/**
 * Re-scoring an existing customer from its file: profile, latest statement, aggregates, dispute
 * record; the class in force (penalties, a manager's override); what a reassessment does to
 * the limit (limitFollowUp); and the monthly review's rules (reviewDecision) and the fields it
 * leaves on the file (reviewedFields). services/reassessment.ts only reads and writes.
 */
import type { CreditPolicy, Grade, Tier } from "../schemas/policy.js";
import {
  behaviourFrom,
  nextMonth,
  tradingFrom,
  type ClassOverride,
  type CustomerAggregates,
  type CustomerFile,
} from "./customer.js";
import { disputeHistory } from "./disputes.js";
import { checkStatement, type FinancialStatement } from "./financials.js";
import { recommendLimit, type LimitRecommendation } from "./limits.js";
import { monthIndexOfMs, monthKeyOfIndex } from "./ledger/model.js";
import {
  alertTransitions,
  penaltyCap,
  penaltyLevel,
  type AlertCondition,
  type AlertToRaise,
  type AlertToResolve,
  type MonitoredCustomer,
  type OpenAlerts,
} from "./monitoring.js";
import { reviewClassFields } from "./reports.js";
import { annualisedVolume, assess, isDowngrade, lowerTier, type Assessment } from "./scoring.js";

export interface CustomerAssessment {
  assessment: Assessment;
  limit: LimitRecommendation;
}

function scoreCustomer(
  customer: CustomerFile,
  statement: FinancialStatement | null | undefined,
  asOf: number,
  policy: CreditPolicy,
): Assessment {
  const a = customer.aggregates;
  return assess(
    {
      asOf,
      profile: { industry: customer.industry, country: customer.country, foundedYear: customer.foundedYear },
      statement: statement ?? null,
      financialScores: statement === undefined ? customer.financialScores : null,
      behaviour: behaviourFrom(a),
      trading: tradingFrom(a, customer.creditLimit),
      disputes: customer.disputes ? disputeHistory(customer.disputes, asOf) : null,
      overrides: { fraudHold: customer.flags.fraudHold },
    },
    policy,
  );
}

/**
 * Rescore from the credit file alone: aggregates plus the cached financial factor scores.
 * This is what every applied transaction does (no read of the confidential statement).
 */
export function rescoreFromFile(customer: CustomerFile, asOf: number, policy: CreditPolicy): Assessment {
  return scoreCustomer(customer, undefined, asOf, policy);
}

/**
 * Full reassessment with the latest statement (or none): score and a new recommended limit. A
 * customer younger than a year has its volume annualised over the months it has traded.
 */
export function assessCustomer(
  customer: CustomerFile,
  statement: FinancialStatement | null,
  asOf: number,
  policy: CreditPolicy,
): CustomerAssessment {
  const a = customer.aggregates;
  const assessment = scoreCustomer(customer, statement, asOf, policy);
  const usable = statement && checkStatement(statement, policy.balanceTolerance).balanced ? statement : null;
  const limit = recommendLimit(
    {
      grade: assessment.grade,
      statement: usable,
      paymentTermsDays: customer.paymentTermsDays,
      volume12m: annualisedVolume(a.volume12m, a.firstActivityAt, asOf),
      isNew: a.firstActivityAt === null,
      requestedLimit: a.firstActivityAt === null ? customer.creditLimit : null,
    },
    policy,
  );
  return { assessment, limit };
}

/** What a review answers a caller: the scores, the recommended limit and the reason codes. */
export function recommendationSummary(assessment: Assessment, limit: LimitRecommendation) {
  return {
    score: assessment.score,
    grade: assessment.grade,
    tier: assessment.tier,
    confidence: assessment.confidence,
    recommendedLimit: limit.recommendedLimit,
    reasons: assessment.reasons.map((r) => r.code),
    classReasons: assessment.classReasons,
  };
}

/** A class override is in force until it expires. */
export function overrideInForce(o: ClassOverride | null | undefined, asOf: number): ClassOverride | null {
  return o && o.expiresAt > asOf ? o : null;
}

/**
 * The class in force: a manager's unexpired override, whatever the computation; otherwise the
 * computed class after the penalty's cap (`penaltyCap`: the lowest tier the penalty allows).
 */
export function classInForce(
  computed: Tier,
  penaltyCap: Tier,
  override: ClassOverride | null | undefined,
  classReasons: readonly string[],
  asOf: number,
): { tier: Tier; source: "computed" | "override"; classReasons: string[] } {
  const o = overrideInForce(override, asOf);
  if (o) return { tier: o.tier, source: "override", classReasons: [`CLASS_OVERRIDDEN_TO_${o.tier.toUpperCase()}`] };
  const tier = lowerTier(computed, penaltyCap);
  return {
    tier,
    source: "computed",
    classReasons:
      tier !== computed && !classReasons.includes("PENALTY_IN_FORCE")
        ? [...classReasons, "PENALTY_IN_FORCE"]
        : [...classReasons],
  };
}

// ---------------------------------------------------------------------------------------
// Limits follow the judgement

const GRADE_RANK: Record<Grade, number> = { A: 4, B: 3, C: 2, D: 1, E: 0 };

export type LimitFollowUp =
  | { action: "none" }
  | {
      action: "cut" | "propose_cut" | "propose_increase";
      currentLimit: number;
      newLimit: number;
      reasonCodes: string[];
    };

export interface LimitFollowUpInput {
  creditLimit: number;
  /** The grade of the last review (null: none). */
  previousGrade: Grade | null;
  grade: Grade;
  recommendation: LimitRecommendation;
  noLimitIncrease: boolean;
  fraudHold: boolean;
  status: CustomerFile["status"];
}

const BOUND_CODE: Record<LimitRecommendation["bindingBound"], string> = {
  tradingNeed: "LIMIT_BOUND_TRADING_NEED",
  financialCapacity: "LIMIT_BOUND_FINANCIAL_CAPACITY",
  gradeCap: "LIMIT_BOUND_GRADE_CAP",
  requested: "LIMIT_BOUND_REQUESTED",
  starterCap: "LIMIT_BOUND_STARTER_CAP",
};

/**
 * What a reassessment does to the approved limit (policy limitReview):
 *  - a lower grade than at the last review, or a recommended limit more than `cutMargin` below
 *    the approved one, cuts the limit to the recommendation: at once when the cut is at most
 *    `autoCutMaxShare` of the limit, otherwise as a proposal for a person with authority;
 *  - a recommended limit more than `increaseMargin` above it is proposed as an increase (never
 *    applied by itself), unless increases are blocked (penalty, fraud hold, not active).
 */
export function limitFollowUp(input: LimitFollowUpInput, policy: CreditPolicy): LimitFollowUp {
  const r = policy.limitReview;
  const current = input.creditLimit;
  const recommended = input.recommendation.recommendedLimit;
  const bound = BOUND_CODE[input.recommendation.bindingBound];
  const gradeFell = input.previousGrade !== null && GRADE_RANK[input.grade] < GRADE_RANK[input.previousGrade];
  if (recommended < current && (gradeFell || current - recommended > current * r.cutMargin)) {
    const reasonCodes = [
      gradeFell ? `GRADE_LOWERED_${input.previousGrade}_TO_${input.grade}` : "RECOMMENDED_BELOW_LIMIT",
      bound,
    ];
    const auto = current - recommended <= current * r.autoCutMaxShare;
    return { action: auto ? "cut" : "propose_cut", currentLimit: current, newLimit: recommended, reasonCodes };
  }
  if (
    recommended > current * (1 + r.increaseMargin) &&
    !input.noLimitIncrease &&
    !input.fraudHold &&
    input.status === "active"
  ) {
    return {
      action: "propose_increase",
      currentLimit: current,
      newLimit: recommended,
      reasonCodes: ["RECOMMENDED_ABOVE_LIMIT", bound],
    };
  }
  return { action: "none" };
}

// ---------------------------------------------------------------------------------------
// The monthly review

export interface ReviewDecision {
  assessment: Assessment;
  limit: LimitRecommendation;
  /** The tier in force: an override, or the computed tier after the penalty's cap. */
  tier: Tier;
  classReasons: string[];
  /** What the review does to the approved limit (cut, or a proposal). */
  limitAction: LimitFollowUp;
  previous: { score: number; tier: Tier };
  alertsToRaise: AlertToRaise[];
  alertsToResolve: AlertToResolve[];
  openAlerts: OpenAlerts;
}

/** "YYYY-MM" of asOf (UTC): the monthly review's document id. */
export function reviewPeriod(asOf: number): string {
  return monthKeyOfIndex(monthIndexOfMs(asOf));
}

/**
 * What a customer's file and statement call for, shared by the monthly review and an on-demand
 * reassessment: the assessment and recommended limit, the class in force (penalty cap and a
 * documented override applied) and the limit's follow-up (cut, proposal or nothing).
 */
export function judgeCustomer(
  customer: CustomerFile,
  statement: FinancialStatement | null,
  asOf: number,
  policy: CreditPolicy,
) {
  const { assessment, limit } = assessCustomer(customer, statement, asOf, policy);
  const level = penaltyLevel(customer.aggregates, policy.penalties, customer.monitor?.penaltyLevel ?? 0, asOf);
  const cls = classInForce(assessment.tier, penaltyCap(level), customer.classOverride, assessment.classReasons, asOf);
  const limitAction = limitFollowUp(
    {
      creditLimit: customer.creditLimit,
      previousGrade: customer.lastReviewGrade ?? customer.grade ?? null,
      grade: assessment.grade,
      recommendation: limit,
      noLimitIncrease: customer.flags.noLimitIncrease || level >= 1,
      fraudHold: customer.flags.fraudHold,
      status: customer.status,
    },
    policy,
  );
  return { assessment, limit, cls, limitAction };
}

/**
 * Full reassessment with the latest statement: score, recommended limit, tier (with the
 * penalty overrides), and the score_drop / tier_downgrade alerts against the last review.
 */
export function reviewDecision(
  customer: MonitoredCustomer,
  aggregates: CustomerAggregates,
  statement: FinancialStatement | null,
  asOf: number,
  policy: CreditPolicy,
): ReviewDecision {
  const { assessment, limit, cls, limitAction } = judgeCustomer(
    { ...customer, aggregates, exposure: aggregates.exposure },
    statement,
    asOf,
    policy,
  );
  const tier = cls.tier;
  const previous = {
    score: customer.lastReviewScore ?? customer.score,
    tier: customer.lastReviewTier ?? customer.tier,
  };
  const drop = previous.score - assessment.score;
  const conditions: AlertCondition[] = [
    drop >= policy.monitoring.scoreDropAlert
      ? { type: "score_drop", state: "on", code: "SCORE_DROP", details: { from: previous.score, to: assessment.score } }
      : { type: "score_drop", state: "off", reason: "NO_SCORE_DROP_AT_REVIEW" },
    isDowngrade(previous.tier, tier)
      ? { type: "tier_downgrade", state: "on", code: "TIER_DOWNGRADE", details: { from: previous.tier, to: tier } }
      : { type: "tier_downgrade", state: "off", reason: "NO_TIER_DOWNGRADE_AT_REVIEW" },
  ];
  const { raise, resolve, openAlerts } = alertTransitions(customer.openAlerts, conditions);
  return {
    assessment,
    limit,
    tier,
    classReasons: cls.classReasons,
    limitAction,
    previous,
    alertsToRaise: raise,
    alertsToResolve: resolve,
    openAlerts,
  };
}

/** What a monthly review leaves on record besides the limit's follow-up (services/reassessment.ts writes it). */
export interface ReviewedFields {
  /** The scores before and after the review (the audit entry's before / after). */
  previous: { score: number; grade: Grade; tier: Tier; confidence: number };
  after: { score: number; grade: Grade; tier: Tier; confidence: number };
  /** private/assessment: the assessment behind the review (and, with the period, the review's document). */
  assessmentDoc: Record<string, unknown>;
  /** The credit file's fields after the review, before the limit follow-up and available credit. */
  patch: Record<string, unknown>;
}

/**
 * The credit file after a monthly review at `asOf` (`now`: the write's clock): scores, class and
 * its reasons, aggregates, the review's memory (last score, grade and tier, the class migration's
 * head fields), the next review a month on, the alerts map, the statement the review read.
 */
export function reviewedFields(
  customer: MonitoredCustomer,
  d: ReviewDecision,
  aggregates: CustomerAggregates,
  statement: FinancialStatement | null,
  asOf: number,
  now: number,
): ReviewedFields {
  const { assessment, limit } = d;
  const previous = {
    score: customer.score,
    grade: customer.grade,
    tier: customer.tier,
    confidence: customer.confidence,
  };
  const after = { score: assessment.score, grade: assessment.grade, tier: d.tier, confidence: assessment.confidence };
  const assessmentDoc = {
    score: assessment.score,
    confidence: assessment.confidence,
    grade: assessment.grade,
    tier: d.tier,
    scoredTier: assessment.tier,
    classReasons: d.classReasons,
    classOverride: customer.classOverride ?? null,
    factors: assessment.factors,
    reasons: assessment.reasons,
    flags: assessment.flags,
    ratios: assessment.ratios,
    recommendedLimit: limit.recommendedLimit,
    limitBounds: limit.bounds,
    bindingBound: limit.bindingBound,
    source: "monthly_reassessment",
    updatedAt: now,
  };
  const patch = {
    ...after,
    financialScores: assessment.financialScores,
    classReasons: d.classReasons,
    aggregates,
    assessedAt: asOf,
    lastReviewedAt: asOf,
    nextReviewAt: nextMonth(asOf),
    lastReviewScore: assessment.score,
    lastReviewTier: d.tier,
    lastReviewGrade: assessment.grade,
    // issue 14 hook: the class migration's head fields (domain/reports.ts).
    ...reviewClassFields(reviewPeriod(asOf), d.previous.tier, d.tier),
    latestStatementAt: statement?.periodEnd ?? null,
    openAlerts: d.openAlerts,
    updatedAt: now,
  };
  return { previous, after, assessmentDoc, patch };
}
