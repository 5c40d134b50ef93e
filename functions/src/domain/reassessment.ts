/**
 * Re-scoring an existing customer from its file: profile, latest statement, aggregates, dispute
 * record; the class in force (penalties, a manager's override); and what a reassessment does to
 * the limit (limitFollowUp).
 */
import type { CreditPolicy, Grade, Tier } from "../schemas/policy.js";
import { behaviourFrom, tradingFrom, type ClassOverride, type CustomerFile } from "./customer.js";
import { disputeHistory } from "./disputes.js";
import { checkStatement, type FinancialStatement } from "./financials.js";
import { recommendLimit, type LimitRecommendation } from "./limits.js";
import { annualisedVolume, assess, lowerTier, type Assessment } from "./scoring.js";

export interface CustomerAssessment {
  assessment: Assessment;
  limit: LimitRecommendation;
}

function scoreCustomer(customer: CustomerFile, statement: FinancialStatement | null | undefined, asOf: number, policy: CreditPolicy): Assessment {
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
export function assessCustomer(customer: CustomerFile, statement: FinancialStatement | null, asOf: number, policy: CreditPolicy): CustomerAssessment {
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
  return { tier, source: "computed", classReasons: tier !== computed && !classReasons.includes("PENALTY_IN_FORCE") ? [...classReasons, "PENALTY_IN_FORCE"] : [...classReasons] };
}

// ---------------------------------------------------------------------------------------
// Limits follow the judgement

const GRADE_RANK: Record<Grade, number> = { A: 4, B: 3, C: 2, D: 1, E: 0 };

export type LimitFollowUp =
  | { action: "none" }
  | { action: "cut" | "propose_cut" | "propose_increase"; currentLimit: number; newLimit: number; reasonCodes: string[] };

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
    const reasonCodes = [gradeFell ? `GRADE_LOWERED_${input.previousGrade}_TO_${input.grade}` : "RECOMMENDED_BELOW_LIMIT", bound];
    const auto = current - recommended <= current * r.autoCutMaxShare;
    return { action: auto ? "cut" : "propose_cut", currentLimit: current, newLimit: recommended, reasonCodes };
  }
  if (recommended > current * (1 + r.increaseMargin) && !input.noLimitIncrease && !input.fraudHold && input.status === "active") {
    return { action: "propose_increase", currentLimit: current, newLimit: recommended, reasonCodes: ["RECOMMENDED_ABOVE_LIMIT", bound] };
  }
  return { action: "none" };
}
