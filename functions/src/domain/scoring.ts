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
import { DAY_MS } from "./time.js";

export type FactorGroup = "payment" | "financial" | "trading" | "profile";

export interface PaymentBehaviour {
  /** Share of settled amount paid on or before due, trailing 12 months (0..1), null when nothing settled. */
  onTimeRatio12m: number | null;
  /** Amount-weighted days paid beyond terms, trailing 12 months, null when nothing settled. */
  avgDaysBeyondTerms12m: number | null;
  /** Days past due of the oldest open invoice today (0 when none overdue; disputed amounts do not count). */
  oldestDaysPastDue: number;
  dishonouredPayments: number;
  /** Payments received in 12 months (evidence of paying; absent: unknown, 0). */
  payments12m?: number;
  /** Dishonoured amounts not yet replaced by later cash (absent: 0). */
  dishonouredUnreplaced?: number;
}

export interface TradingRelationship {
  firstActivityAt: number | null;
  volume12m: number;
  orderCount12m: number;
  creditLimit: number;
  /** Invoices in 12 months (absent: unknown, 0). */
  invoiceCount12m?: number;
}

/** The customer's dispute record over the trailing 12 months (domain/disputes.ts). */
export interface DisputeRecord {
  /** Disputes resolved against the customer; a partial outcome counts half. */
  lost12m: number;
  /** Disputes opened in 12 months, and their amount. */
  opened12m: number;
  openedAmount12m: number;
  /** Open now. */
  open: number;
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
  /** Dispute history (absent or null: none recorded). */
  disputes?: DisputeRecord | null;
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
  /** Why the tier is below what the grade alone gives (classification rules, in policy order); [] when it is not. */
  classReasons: string[];
}

const MS_PER_MONTH = 30.436875 * DAY_MS;

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

/** What the class rules read besides the grade (see policy.classification and docs/scoring.md). */
export interface ClassEvidence extends TierInput {
  /** Months since the first recorded activity (null: none). */
  tenureMonths: number | null;
  payments12m: number;
  invoices12m: number;
  /** 12-month volume, annualised for a customer younger than a year. */
  annualVolume: number;
  creditLimit: number;
  onTimeRatio12m: number | null;
  avgDaysBeyondTerms12m: number | null;
  dishonoured12m: number;
  dishonouredUnreplaced: number;
  disputesLost12m: number;
  /** The financial strength group's score, null without a usable statement. */
  financialScore: number | null;
}

export interface Classification {
  tier: Tier;
  /** Why the tier is below the grade's (codes); [] when the grade decides. */
  reasons: string[];
}

/**
 * The class of the template (seed 二) from the grade and the evidence: the grade gives a tier
 * (policy tierByGrade); a premium without the evidence the policy asks for is standard; any
 * risky sign makes it risky. Every threshold is the policy's.
 */
export function classify(e: ClassEvidence, policy: CreditPolicy): Classification {
  const base = policy.tierByGrade[e.grade];
  const pr = policy.classification.premium;
  const rk = policy.classification.risky;
  const pen = policy.penalties;
  const risky: string[] = [];
  if (e.fraudHold) risky.push("FRAUD_HOLD");
  if (e.oldestDaysPastDue > rk.daysPastDueOver || e.oldestDaysPastDue > pen.suspendAfterDays)
    risky.push("SERIOUSLY_PAST_DUE");
  if (e.avgDaysBeyondTerms12m !== null && e.avgDaysBeyondTerms12m > rk.avgDaysBeyondTermsOver)
    risky.push("PAYS_SERIOUSLY_LATE");
  if (e.dishonouredUnreplaced > 0) risky.push("DISHONOURED_NOT_REPLACED");
  if (e.disputesLost12m >= rk.disputesLost12m) risky.push("DISPUTES_LOST_MANY");
  if (risky.length > 0) return { tier: "risky", reasons: base === "risky" ? [] : risky };
  if (base !== "premium") return { tier: base, reasons: [] };
  const gaps: string[] = [];
  if (e.confidence < policy.minConfidenceForPremium) gaps.push("PREMIUM_NEEDS_CONFIDENCE");
  if (e.tenureMonths === null || e.tenureMonths < pr.minHistoryMonths) gaps.push("PREMIUM_NEEDS_HISTORY");
  if (e.payments12m < pr.minPayments12m) gaps.push("PREMIUM_NEEDS_PAYMENTS");
  if (e.invoices12m < pr.minInvoices12m) gaps.push("PREMIUM_NEEDS_REGULAR_TRADE");
  if (e.annualVolume <= 0 || e.annualVolume < pr.minVolumeToLimit * e.creditLimit) gaps.push("PREMIUM_NEEDS_VOLUME");
  if (e.onTimeRatio12m !== null && e.onTimeRatio12m < pr.minOnTimeRatio) gaps.push("PAYS_LATE_SOMETIMES");
  if (e.avgDaysBeyondTerms12m !== null && e.avgDaysBeyondTerms12m > pr.maxAvgDaysBeyondTerms) gaps.push("PAYS_LATE");
  if (e.oldestDaysPastDue > pr.maxDaysPastDue || e.oldestDaysPastDue > pen.noIncreaseAfterDays) gaps.push("PAST_DUE");
  if (e.dishonoured12m > pr.maxDishonoured12m) gaps.push("DISHONOURED_RECENTLY");
  if (e.disputesLost12m > pr.maxDisputesLost12m) gaps.push("DISPUTES_LOST");
  if (e.financialScore !== null && e.financialScore < pr.minFinancialScore) gaps.push("FINANCIALS_WEAK");
  return gaps.length > 0 ? { tier: "standard", reasons: gaps } : { tier: "premium", reasons: [] };
}

/**
 * The tier from the grade and the payment signals alone (no evidence of history): what a file
 * with nothing else known gets. Thresholds from the policy.
 */
export function tierFor(input: TierInput, policy: CreditPolicy): Tier {
  return classify(
    {
      ...input,
      tenureMonths: Number.POSITIVE_INFINITY,
      payments12m: Number.POSITIVE_INFINITY,
      invoices12m: Number.POSITIVE_INFINITY,
      annualVolume: Number.POSITIVE_INFINITY,
      creditLimit: 0,
      onTimeRatio12m: null,
      avgDaysBeyondTerms12m: null,
      dishonoured12m: 0,
      dishonouredUnreplaced: 0,
      disputesLost12m: 0,
      financialScore: null,
    },
    policy,
  ).tier;
}

/** Volume over 12 months, annualised over the months actually traded when younger than a year (at least one month). */
export function annualisedVolume(volume12m: number, firstActivityAt: number | null, asOf: number): number {
  if (firstActivityAt === null) return volume12m;
  const months = Math.max(1, (asOf - firstActivityAt) / MS_PER_MONTH);
  return months >= 12 ? volume12m : Math.floor((volume12m * 12) / months);
}

interface RawFactor {
  group: FactorGroup;
  /** Index of the group in GROUPS (arrays beat string-keyed lookups on the hot path). */
  g: number;
  factor: string;
  value: number | string;
  score: number;
  weight: number;
  /** False for a payment factor standing at the policy's "unknown" score: weighs in the score, not in confidence or reasons. */
  evidence: boolean;
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
    w = {
      gw: [g.payment, g.financial, g.trading, g.profile],
      full: [sum(fw.payment), sum(fw.financial), sum(fw.trading), sum(fw.profile)],
    };
    weightCache.set(policy, w);
  }
  return w;
}

const REASON_CODE: Record<string, string> = {
  onTimeRatio: "PAYMENTS_LATE_SHARE_HIGH",
  daysBeyondTerms: "PAYMENTS_DAYS_BEYOND_TERMS",
  oldestDaysPastDue: "INVOICES_PAST_DUE",
  dishonoured: "PAYMENTS_DISHONOURED",
  disputes: "DISPUTES_LOST",
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
  const push = (
    group: FactorGroup,
    factor: string,
    value: number | string,
    score: number,
    weight: number,
    evidence = true,
  ) => {
    raw.push({
      group,
      g: GROUP_INDEX[group],
      factor,
      value,
      score: Math.max(0, Math.min(100, score)),
      weight,
      evidence,
    });
  };

  // Payment behaviour. Something paid in the last 12 months is evidence for every factor. A
  // customer that has traded but paid nothing yet has unknown behaviour: each factor stands at the
  // policy's `unknownPaymentScore` (never full marks; out of confidence and of the reasons), and
  // only what went wrong — an invoice past due, a dishonoured payment, a dispute lost — is
  // evidence, scored by its curve but never above the unknown score (later is never better).
  const b = input.behaviour;
  const lost = input.disputes?.lost12m ?? 0;
  const paid = b !== null && b !== undefined && b.onTimeRatio12m !== null;
  if (b && paid) {
    push(
      "payment",
      "onTimeRatio",
      b.onTimeRatio12m!,
      curveScore(c.onTimeRatio, b.onTimeRatio12m!),
      fw.payment.onTimeRatio,
    );
    if (b.avgDaysBeyondTerms12m !== null)
      push(
        "payment",
        "daysBeyondTerms",
        b.avgDaysBeyondTerms12m,
        curveScore(c.daysBeyondTerms, b.avgDaysBeyondTerms12m),
        fw.payment.daysBeyondTerms,
      );
    push(
      "payment",
      "oldestDaysPastDue",
      b.oldestDaysPastDue,
      curveScore(c.oldestDaysPastDue, b.oldestDaysPastDue),
      fw.payment.oldestDaysPastDue,
    );
    push(
      "payment",
      "dishonoured",
      b.dishonouredPayments,
      curveScore(c.dishonoured, b.dishonouredPayments),
      fw.payment.dishonoured,
    );
    push("payment", "disputes", lost, curveScore(c.disputesLost, lost), fw.payment.disputes);
  } else if (b) {
    const u = policy.unknownPaymentScore;
    const known = (factor: string, x: number, curveOf: ReadonlyArray<readonly [number, number]>, w: number) =>
      x > 0
        ? push("payment", factor, x, Math.min(u, curveScore(curveOf, x)), w)
        : push("payment", factor, "unknown", u, w, false);
    push("payment", "onTimeRatio", "unknown", u, fw.payment.onTimeRatio, false);
    push("payment", "daysBeyondTerms", "unknown", u, fw.payment.daysBeyondTerms, false);
    known("oldestDaysPastDue", b.oldestDaysPastDue, c.oldestDaysPastDue, fw.payment.oldestDaysPastDue);
    known("dishonoured", b.dishonouredPayments, c.dishonoured, fw.payment.dishonoured);
    known("disputes", lost, c.disputesLost, fw.payment.disputes);
  }
  if (!paid) flags.push("NO_PAYMENT_HISTORY");

  // Financial strength: only from a statement whose balance sheet balances.
  let ratios: FinancialRatios | null = null;
  if (input.statement) {
    const check = checkStatement(input.statement, policy.balanceTolerance);
    if (!check.balanced) {
      flags.push("STATEMENT_UNBALANCED");
    } else {
      ratios = computeRatios(input.statement);
      if (ratios.currentRatio !== null)
        push(
          "financial",
          "currentRatio",
          ratios.currentRatio,
          curveScore(c.currentRatio, ratios.currentRatio),
          fw.financial.currentRatio,
        );
      if (ratios.debtToEquity !== null)
        push(
          "financial",
          "debtToEquity",
          ratios.debtToEquity,
          curveScore(c.debtToEquity, ratios.debtToEquity),
          fw.financial.debtToEquity,
        );
      if (ratios.netMargin !== null)
        push(
          "financial",
          "netMargin",
          ratios.netMargin,
          curveScore(c.netMargin, ratios.netMargin),
          fw.financial.netMargin,
        );
      if (ratios.altmanZ !== null)
        push("financial", "altmanZ", ratios.altmanZ, curveScore(c.altmanZ, ratios.altmanZ), fw.financial.altmanZ);
    }
  } else if (input.financialScores && Object.keys(input.financialScores).length > 0) {
    for (const [factor, score] of Object.entries(input.financialScores)) {
      const w = fw.financial[factor as keyof typeof fw.financial];
      if (typeof score === "number" && Number.isFinite(score) && w !== undefined)
        push("financial", factor, "cached", score, w);
    }
  } else {
    flags.push("NO_STATEMENT");
  }

  // Trading relationship: only once the customer has traded.
  const t = input.trading;
  let tenureMonths: number | null = null;
  let annualVolume = 0;
  if (t && t.firstActivityAt !== null) {
    const tenure = Math.max(0, (input.asOf - t.firstActivityAt) / MS_PER_MONTH);
    tenureMonths = tenure;
    annualVolume = annualisedVolume(t.volume12m, t.firstActivityAt, input.asOf);
    push("trading", "tenureMonths", Math.floor(tenure), curveScore(c.tenureMonths, tenure), fw.trading.tenureMonths);
    if (t.creditLimit > 0) {
      const v = annualVolume / t.creditLimit;
      push("trading", "volumeToLimit", v, curveScore(c.volumeToLimit, v), fw.trading.volumeToLimit);
    }
    push(
      "trading",
      "orderFrequency",
      t.orderCount12m,
      curveScore(c.orderFrequency, t.orderCount12m),
      fw.trading.orderFrequency,
    );
  } else {
    flags.push("NO_TRADING_HISTORY");
  }

  // Profile: always present.
  const years = Math.max(0, new Date(input.asOf).getUTCFullYear() - input.profile.foundedYear);
  push("profile", "yearsInBusiness", years, curveScore(c.yearsInBusiness, years), fw.profile.yearsInBusiness);
  push(
    "profile",
    "industry",
    input.profile.industry,
    industryRiskScore(input.profile.industry, policy.industryScores, policy.defaultIndustryScore),
    fw.profile.industry,
  );
  push(
    "profile",
    "country",
    input.profile.country,
    lookup(policy.countryScores, input.profile.country) ?? policy.defaultCountryScore,
    fw.profile.country,
  );

  // Re-weight: each factor's share = groupWeight × factorWeight / (present factor weight of its group),
  // over the weight of the groups present. One pass per list; no per-call maps (hot path: 200k/s).
  const { gw, full: fullWeights } = weightsOf(policy);
  const presentW = [0, 0, 0, 0];
  const evidenceW = [0, 0, 0, 0];
  for (let i = 0; i < raw.length; i++) {
    const f = raw[i]!;
    if (f.weight > 0) {
      presentW[f.g]! += f.weight;
      if (f.evidence) evidenceW[f.g]! += f.weight;
    }
  }
  let present = 0;
  let coverage = 0;
  for (let g = 0; g < 4; g++) {
    if (presentW[g] === 0 || gw[g] === 0) continue;
    present += gw[g]!;
    coverage += fullWeights[g]! > 0 ? gw[g]! * (evidenceW[g]! / fullWeights[g]!) : 0;
  }
  let total = 0;
  const factors: FactorResult[] = new Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const f = raw[i]!;
    const pw = presentW[f.g]!;
    const share = f.weight > 0 && pw > 0 && gw[f.g]! > 0 && present > 0 ? (gw[f.g]! * f.weight) / pw / present : 0;
    total += share * f.score;
    factors[i] = {
      group: f.group,
      factor: f.factor,
      value: typeof f.value === "number" ? round4(f.value) : f.value,
      score: round2(f.score),
      weight: round4(share),
    };
  }
  const fullModel = gw[0]! + gw[1]! + gw[2]! + gw[3]!;
  const score = Math.max(0, Math.min(100, Math.round(total)));
  const confidence = fullModel > 0 ? Math.max(0, Math.min(1, round2(coverage / fullModel))) : 0;
  const grade = gradeFor(score, policy.gradeBands);
  let financialScore: number | null = null;
  if (presentW[1]! > 0) {
    let sum = 0;
    for (let i = 0; i < raw.length; i++) if (raw[i]!.g === 1) sum += raw[i]!.score * raw[i]!.weight;
    financialScore = sum / presentW[1]!;
  }
  const cls = classify(
    {
      grade,
      confidence,
      oldestDaysPastDue: b?.oldestDaysPastDue ?? 0,
      fraudHold: input.overrides?.fraudHold ?? false,
      tenureMonths,
      payments12m: b?.payments12m ?? 0,
      invoices12m: t?.invoiceCount12m ?? 0,
      annualVolume,
      creditLimit: t?.creditLimit ?? 0,
      onTimeRatio12m: b?.onTimeRatio12m ?? null,
      avgDaysBeyondTerms12m: b?.avgDaysBeyondTerms12m ?? null,
      dishonoured12m: b?.dishonouredPayments ?? 0,
      dishonouredUnreplaced: b?.dishonouredUnreplaced ?? 0,
      disputesLost12m: lost,
      financialScore,
    },
    policy,
  );
  const tier = cls.tier;

  // Adverse-action style reasons: the factors that cost the most points, below the threshold.
  let reasons: ReasonCode[] = [];
  for (let i = 0; i < factors.length; i++) {
    const f = factors[i]!;
    if (f.score < policy.reasonCodes.belowFactorScore && f.weight > 0 && raw[i]!.evidence) {
      reasons.push({
        code: (Object.hasOwn(REASON_CODE, f.factor) ? REASON_CODE[f.factor] : undefined) ?? f.factor.toUpperCase(),
        factor: f.factor,
        pointsLost: round2(f.weight * (100 - f.score)),
      });
    }
  }
  if (reasons.length > 1)
    reasons.sort((a, b2) => b2.pointsLost - a.pointsLost || (a.code < b2.code ? -1 : a.code > b2.code ? 1 : 0));
  if (reasons.length > policy.reasonCodes.max) reasons = reasons.slice(0, policy.reasonCodes.max);
  for (const flag of ["STATEMENT_UNBALANCED", "NO_STATEMENT", "NO_PAYMENT_HISTORY"]) {
    if (flags.includes(flag) && reasons.length < policy.reasonCodes.max + 2)
      reasons.push({ code: flag, factor: "file", pointsLost: 0 });
  }

  let financialScores: FinancialScores | null = null;
  for (let i = 0; i < factors.length; i++) {
    const f = factors[i]!;
    if (f.group === "financial") (financialScores ??= {})[f.factor as keyof FinancialScores] = f.score;
  }
  return {
    score,
    confidence,
    grade,
    tier,
    factors,
    reasons,
    flags,
    ratios,
    financialScores,
    classReasons: cls.reasons,
  };
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
