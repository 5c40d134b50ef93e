/**
 * Credit scoring: 0–100 from four weighted factor groups. Pure and deterministic.
 *
 * Each factor is mapped to 0–100 by a piecewise-linear curve from the policy (clamped
 * at both ends). A group's score is the weighted mean of its present factors; the total
 * is the weighted mean of the present groups. Missing factors and groups are re-weighted
 * away and lower `confidence` (the share of the full model's weight that had data).
 * A thin-file prospect (no history, no statement) is still scored, from its profile,
 * with low confidence. See docs/scoring.md for the default numbers.
 */
import type { CreditPolicy, Grade, Tier } from "../schemas/policy.js";
import { checkStatement, computeRatios, type FinancialRatios, type FinancialStatement } from "./financials.js";
import { industryRiskScore } from "./industry.js";

export type FactorGroup = "payment" | "financial" | "trading" | "profile";

export interface PaymentBehaviour {
  /** Share of settled amount paid on or before due, trailing 12 months (0..1), null when nothing settled. */
  onTimeRatio12m: number | null;
  /** Amount-weighted days paid beyond terms, trailing 12 months, null when nothing settled. */
  avgDaysBeyondTerms12m: number | null;
  /** Days past due of the oldest open invoice today (0 when none overdue). */
  oldestDaysPastDue: number;
  dishonouredPayments: number;
}

export interface TradingRelationship {
  firstActivityAt: number | null;
  volume12m: number;
  orderCount12m: number;
  creditLimit: number;
}

export interface AssessmentInput {
  asOf: number;
  profile: { industry: string; country: string; foundedYear: number };
  statement?: FinancialStatement | null;
  /**
   * Factor scores (0–100) of the last usable statement, kept on the customer document so
   * that rescoring on every transaction needs no read of the confidential statement.
   * Used only when `statement` is absent.
   */
  financialScores?: FinancialScores | null;
  behaviour?: PaymentBehaviour | null;
  trading?: TradingRelationship | null;
  /** Overrides on the tier, whatever the score. */
  overrides?: { fraudHold?: boolean };
}

export type FinancialScores = Partial<Record<"currentRatio" | "debtToEquity" | "netMargin" | "altmanZ", number>>;

export interface FactorResult {
  group: FactorGroup;
  factor: string;
  value: number | string;
  score: number;
  /** Share of the total score this factor carried, after re-weighting (0..1). */
  weight: number;
}

export interface ReasonCode {
  code: string;
  factor: string;
  /** Points of the 0–100 score lost on this factor. */
  pointsLost: number;
}

export interface Assessment {
  score: number;
  confidence: number;
  grade: Grade;
  tier: Tier;
  factors: FactorResult[];
  reasons: ReasonCode[];
  flags: string[];
  ratios: FinancialRatios | null;
  /** The financial factors' scores, to cache on the customer document (null: none usable). */
  financialScores: FinancialScores | null;
}

const MS_PER_DAY = 86_400_000;
const MS_PER_MONTH = 30.436875 * MS_PER_DAY;

/** Piecewise-linear interpolation, clamped to the end points. NaN input scores the worst end. */
export function curveScore(points: ReadonlyArray<readonly [number, number]>, x: number): number {
  const first = points[0]!;
  const last = points[points.length - 1]!;
  if (Number.isNaN(x)) return Math.min(first[1], last[1]);
  if (x <= first[0]) return first[1];
  if (x >= last[0]) return last[1];
  for (let i = 1; i < points.length; i++) {
    const p1 = points[i]!;
    const x1 = p1[0];
    if (x <= x1) {
      const p0 = points[i - 1]!;
      return p0[1] + ((p1[1] - p0[1]) * (x - p0[0])) / (x1 - p0[0]);
    }
  }
  return last[1];
}

export function gradeFor(score: number, bands: CreditPolicy["gradeBands"]): Grade {
  if (score >= bands.A) return "A";
  if (score >= bands.B) return "B";
  if (score >= bands.C) return "C";
  if (score >= bands.D) return "D";
  return "E";
}

const TIER_RANK: Record<Tier, number> = { risky: 0, standard: 1, premium: 2 };
export function lowerTier(a: Tier, b: Tier): Tier {
  return TIER_RANK[a] <= TIER_RANK[b] ? a : b;
}
export function isDowngrade(from: Tier, to: Tier): boolean {
  return TIER_RANK[to] < TIER_RANK[from];
}

export interface TierInput {
  grade: Grade;
  confidence: number;
  oldestDaysPastDue: number;
  fraudHold: boolean;
}

/** Tier from grade, then overrides: overdue past 30 days caps at standard, past 90 (or a fraud hold) is risky. */
export function tierFor(input: TierInput, policy: CreditPolicy): Tier {
  let tier = policy.tierByGrade[input.grade];
  if (input.confidence < policy.minConfidenceForPremium) tier = lowerTier(tier, "standard");
  if (input.oldestDaysPastDue > 30) tier = lowerTier(tier, "standard");
  if (input.oldestDaysPastDue > 90 || input.fraudHold) tier = "risky";
  return tier;
}

interface RawFactor {
  group: FactorGroup;
  /** Index of the group in GROUPS (arrays beat string-keyed lookups on the hot path). */
  g: number;
  factor: string;
  value: number | string;
  score: number;
  weight: number;
}

const GROUP_INDEX: Record<FactorGroup, number> = { payment: 0, financial: 1, trading: 2, profile: 3 };

/** Group weights and the full factor weight of each group, by group index, once per policy object. */
const weightCache = new WeakMap<CreditPolicy, { gw: number[]; full: number[] }>();
function weightsOf(policy: CreditPolicy): { gw: number[]; full: number[] } {
  let w = weightCache.get(policy);
  if (!w) {
    const sum = (o: Record<string, number>) => Object.values(o).reduce((s, x) => s + x, 0);
    const fw = policy.factorWeights;
    const g = policy.groupWeights;
    w = { gw: [g.payment, g.financial, g.trading, g.profile], full: [sum(fw.payment), sum(fw.financial), sum(fw.trading), sum(fw.profile)] };
    weightCache.set(policy, w);
  }
  return w;
}

const REASON_CODE: Record<string, string> = {
  onTimeRatio: "PAYMENTS_LATE_SHARE_HIGH",
  daysBeyondTerms: "PAYMENTS_DAYS_BEYOND_TERMS",
  oldestDaysPastDue: "INVOICES_PAST_DUE",
  dishonoured: "PAYMENTS_DISHONOURED",
  currentRatio: "LIQUIDITY_LOW",
  debtToEquity: "LEVERAGE_HIGH",
  netMargin: "PROFITABILITY_LOW",
  altmanZ: "DISTRESS_SCORE_LOW",
  tenureMonths: "RELATIONSHIP_SHORT",
  volumeToLimit: "TRADING_VOLUME_LOW",
  orderFrequency: "ORDERS_INFREQUENT",
  yearsInBusiness: "BUSINESS_YOUNG",
  industry: "INDUSTRY_RISK",
  country: "COUNTRY_RISK",
};

export function assess(input: AssessmentInput, policy: CreditPolicy): Assessment {
  const fw = policy.factorWeights;
  const c = policy.curves;
  const raw: RawFactor[] = [];
  const flags: string[] = [];
  const push = (group: FactorGroup, factor: string, value: number | string, score: number, weight: number) => {
    raw.push({ group, g: GROUP_INDEX[group], factor, value, score: Math.max(0, Math.min(100, score)), weight });
  };

  // Payment behaviour: needs a history of settlements; overdue and dishonoured count from day one.
  const b = input.behaviour;
  if (b) {
    if (b.onTimeRatio12m !== null) push("payment", "onTimeRatio", b.onTimeRatio12m, curveScore(c.onTimeRatio, b.onTimeRatio12m), fw.payment.onTimeRatio);
    if (b.avgDaysBeyondTerms12m !== null)
      push("payment", "daysBeyondTerms", b.avgDaysBeyondTerms12m, curveScore(c.daysBeyondTerms, b.avgDaysBeyondTerms12m), fw.payment.daysBeyondTerms);
    push("payment", "oldestDaysPastDue", b.oldestDaysPastDue, curveScore(c.oldestDaysPastDue, b.oldestDaysPastDue), fw.payment.oldestDaysPastDue);
    push("payment", "dishonoured", b.dishonouredPayments, curveScore(c.dishonoured, b.dishonouredPayments), fw.payment.dishonoured);
  } else {
    flags.push("NO_PAYMENT_HISTORY");
  }

  // Financial strength: only from a statement whose balance sheet balances.
  let ratios: FinancialRatios | null = null;
  if (input.statement) {
    const check = checkStatement(input.statement, policy.balanceTolerance);
    if (!check.balanced) {
      flags.push("STATEMENT_UNBALANCED");
    } else {
      ratios = computeRatios(input.statement);
      if (ratios.currentRatio !== null) push("financial", "currentRatio", ratios.currentRatio, curveScore(c.currentRatio, ratios.currentRatio), fw.financial.currentRatio);
      if (ratios.debtToEquity !== null) push("financial", "debtToEquity", ratios.debtToEquity, curveScore(c.debtToEquity, ratios.debtToEquity), fw.financial.debtToEquity);
      if (ratios.netMargin !== null) push("financial", "netMargin", ratios.netMargin, curveScore(c.netMargin, ratios.netMargin), fw.financial.netMargin);
      if (ratios.altmanZ !== null) push("financial", "altmanZ", ratios.altmanZ, curveScore(c.altmanZ, ratios.altmanZ), fw.financial.altmanZ);
    }
  } else if (input.financialScores && Object.keys(input.financialScores).length > 0) {
    for (const [factor, score] of Object.entries(input.financialScores)) {
      const w = fw.financial[factor as keyof typeof fw.financial];
      if (typeof score === "number" && Number.isFinite(score) && w !== undefined) push("financial", factor, "cached", score, w);
    }
  } else {
    flags.push("NO_STATEMENT");
  }

  // Trading relationship: only once the customer has traded.
  const t = input.trading;
  if (t && t.firstActivityAt !== null) {
    const tenure = Math.max(0, (input.asOf - t.firstActivityAt) / MS_PER_MONTH);
    push("trading", "tenureMonths", Math.floor(tenure), curveScore(c.tenureMonths, tenure), fw.trading.tenureMonths);
    if (t.creditLimit > 0) {
      const v = t.volume12m / t.creditLimit;
      push("trading", "volumeToLimit", v, curveScore(c.volumeToLimit, v), fw.trading.volumeToLimit);
    }
    push("trading", "orderFrequency", t.orderCount12m, curveScore(c.orderFrequency, t.orderCount12m), fw.trading.orderFrequency);
  } else {
    flags.push("NO_TRADING_HISTORY");
  }

  // Profile: always present.
  const years = Math.max(0, new Date(input.asOf).getUTCFullYear() - input.profile.foundedYear);
  push("profile", "yearsInBusiness", years, curveScore(c.yearsInBusiness, years), fw.profile.yearsInBusiness);
  push("profile", "industry", input.profile.industry, industryRiskScore(input.profile.industry, policy.industryScores, policy.defaultIndustryScore), fw.profile.industry);
  push("profile", "country", input.profile.country, lookup(policy.countryScores, input.profile.country) ?? policy.defaultCountryScore, fw.profile.country);

  // Re-weight: each factor's share = groupWeight × factorWeight / (present factor weight of its group),
  // over the weight of the groups present. One pass per list; no per-call maps (hot path: 200k/s).
  const { gw, full: fullWeights } = weightsOf(policy);
  const presentW = [0, 0, 0, 0];
  for (let i = 0; i < raw.length; i++) {
    const f = raw[i]!;
    if (f.weight > 0) presentW[f.g]! += f.weight;
  }
  let present = 0;
  let coverage = 0;
  for (let g = 0; g < 4; g++) {
    if (presentW[g] === 0 || gw[g] === 0) continue;
    present += gw[g]!;
    coverage += fullWeights[g]! > 0 ? gw[g]! * (presentW[g]! / fullWeights[g]!) : 0;
  }
  let total = 0;
  const factors: FactorResult[] = new Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const f = raw[i]!;
    const pw = presentW[f.g]!;
    const share = f.weight > 0 && pw > 0 && gw[f.g]! > 0 && present > 0 ? (gw[f.g]! * f.weight) / pw / present : 0;
    total += share * f.score;
    factors[i] = { group: f.group, factor: f.factor, value: typeof f.value === "number" ? round4(f.value) : f.value, score: round2(f.score), weight: round4(share) };
  }
  const fullModel = gw[0]! + gw[1]! + gw[2]! + gw[3]!;
  const score = Math.max(0, Math.min(100, Math.round(total)));
  const confidence = fullModel > 0 ? Math.max(0, Math.min(1, round2(coverage / fullModel))) : 0;
  const grade = gradeFor(score, policy.gradeBands);
  const tier = tierFor(
    { grade, confidence, oldestDaysPastDue: b?.oldestDaysPastDue ?? 0, fraudHold: input.overrides?.fraudHold ?? false },
    policy,
  );

  // Adverse-action style reasons: the factors that cost the most points, below the threshold.
  let reasons: ReasonCode[] = [];
  for (let i = 0; i < factors.length; i++) {
    const f = factors[i]!;
    if (f.score < policy.reasonCodes.belowFactorScore && f.weight > 0) {
      reasons.push({ code: (Object.hasOwn(REASON_CODE, f.factor) ? REASON_CODE[f.factor] : undefined) ?? f.factor.toUpperCase(), factor: f.factor, pointsLost: round2(f.weight * (100 - f.score)) });
    }
  }
  if (reasons.length > 1) reasons.sort((a, b2) => b2.pointsLost - a.pointsLost || (a.code < b2.code ? -1 : a.code > b2.code ? 1 : 0));
  if (reasons.length > policy.reasonCodes.max) reasons = reasons.slice(0, policy.reasonCodes.max);
  for (const flag of ["STATEMENT_UNBALANCED", "NO_STATEMENT", "NO_PAYMENT_HISTORY"]) {
    if (flags.includes(flag) && reasons.length < policy.reasonCodes.max + 2) reasons.push({ code: flag, factor: "file", pointsLost: 0 });
  }

  let financialScores: FinancialScores | null = null;
  for (let i = 0; i < factors.length; i++) {
    const f = factors[i]!;
    if (f.group === "financial") (financialScores ??= {})[f.factor as keyof FinancialScores] = f.score;
  }
  return { score, confidence, grade, tier, factors, reasons, flags, ratios, financialScores };
}

/** Own keys only: a name like "__proto__" or "constructor" is just an unknown name. */
function lookup(table: Record<string, number>, key: string): number | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
function round4(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
