/** Re-scoring an existing customer from its file: profile, latest statement, aggregates. */
import type { CreditPolicy } from "../schemas/policy.js";
import { behaviourFrom, tradingFrom, type CustomerFile } from "./customer.js";
import { checkStatement, type FinancialStatement } from "./financials.js";
import { recommendLimit, type LimitRecommendation } from "./limits.js";
import { assess, type Assessment } from "./scoring.js";

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

/** Full reassessment with the latest statement (or none): score and a new recommended limit. */
export function assessCustomer(customer: CustomerFile, statement: FinancialStatement | null, asOf: number, policy: CreditPolicy): CustomerAssessment {
  const a = customer.aggregates;
  const assessment = scoreCustomer(customer, statement, asOf, policy);
  const usable = statement && checkStatement(statement, policy.balanceTolerance).balanced ? statement : null;
  const limit = recommendLimit(
    {
      grade: assessment.grade,
      statement: usable,
      paymentTermsDays: customer.paymentTermsDays,
      volume12m: a.volume12m,
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
  };
}
