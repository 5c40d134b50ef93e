/**
 * The portfolio report's figures, in the credit department's words, and how each is computed
 * (README, "The portfolio report"). Pure: amounts in integer minor units, times in epoch
 * milliseconds, the clock passed in.
 *
 *   DSO                       receivables ÷ (12-month sales ÷ 365)
 *   best possible DSO         receivables not yet due ÷ (12-month sales ÷ 365)
 *   average days delinquent   DSO − best possible DSO
 *   CEI                       (B + S − E) ÷ (B + S − C) × 100 over a period: B receivables at its
 *                             start, E at its end, C not yet due at its end, S credit sales in it
 *                             (the 12-month volume at its end × days ÷ 365: the aggregates keep a
 *                             12-month volume, not each month's)
 *   turnaround                decidedAt − createdAt (blocked orders) or − submittedAt
 *                             (applications), averaged over the decisions of a month
 *   class migration           customers reviewed in a month, by their class at the review before
 *                             (from) and the class this review gave (to)
 */
import type { Tier } from "../schemas/policy.js";
import { DAY_MS } from "./time.js";

export const CLASSES: readonly Tier[] = ["premium", "standard", "risky"];

/** Customers reviewed in a month, by class before (rows) and after (columns). */
export type MigrationMatrix = Record<Tier, Record<Tier, number>>;

export function emptyMatrix(): MigrationMatrix {
  const row = () => ({ premium: 0, standard: 0, risky: 0 });
  return { premium: row(), standard: row(), risky: row() };
}

export function matrixTotal(m: MigrationMatrix): number {
  return CLASSES.reduce((s, f) => s + CLASSES.reduce((t, to) => t + m[f][to], 0), 0);
}

/** Customers that moved down (premium → standard or risky, standard → risky) and up. */
export function matrixMoves(m: MigrationMatrix): { down: number; up: number; same: number } {
  const rank = (t: Tier) => CLASSES.indexOf(t);
  let down = 0;
  let up = 0;
  let same = 0;
  for (const f of CLASSES) {
    for (const to of CLASSES) {
      if (rank(to) > rank(f)) down += m[f][to];
      else if (rank(to) < rank(f)) up += m[f][to];
      else same += m[f][to];
    }
  }
  return { down, up, same };
}

/**
 * What a monthly review leaves on the customer's head for the class migration (counted with
 * aggregation queries: a head field per part): the review's month, the class at the review
 * before (or at approval), and the class this review gave.
 */
export function reviewClassFields(
  period: string,
  from: Tier,
  to: Tier,
): { reviewPeriod: string; reviewedFromTier: Tier; reviewedTier: Tier } {
  return { reviewPeriod: period, reviewedFromTier: from, reviewedTier: to };
}

// ---------------------------------------------------------------------------------------
// Months

/** "YYYY-MM" (UTC) of a moment. */
export function monthOf(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, "0")}`;
}

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

export function isMonth(s: string): boolean {
  return MONTH.test(s);
}

/** The first moment of a month ("YYYY-MM"), UTC. */
export function monthStart(month: string): number {
  const m = MONTH.exec(month);
  if (!m) throw new RangeError(`not a month: ${month}`);
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, 1);
}

/** The month `n` months after `month` (before, for negative n). */
export function addMonths(month: string, n: number): string {
  const start = new Date(monthStart(month));
  return monthOf(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + n, 1));
}

/** The month a monthly run at `asOf` closes: the one before asOf's month. */
export function closedMonth(asOf: number): string {
  return addMonths(monthOf(asOf), -1);
}

// ---------------------------------------------------------------------------------------
// Turnaround of decisions

/**
 * What a decided document keeps for the report's turnaround figures (aggregation queries sum
 * a numeric field over the decisions of a month): the month of the decision and the seconds
 * from the request (the block, the application's submission) to it.
 */
export function decisionTiming(
  requestedAt: number,
  decidedAt: number,
): { decidedMonth: string; turnaroundSeconds: number } {
  return {
    decidedMonth: monthOf(decidedAt),
    turnaroundSeconds: Math.max(0, Math.round((decidedAt - requestedAt) / 1000)),
  };
}

/** sum ÷ count in the unit asked (seconds → hours or days), to one decimal; null without decisions. */
export function averageTurnaround(sumSeconds: number, count: number, unit: "hours" | "days"): number | null {
  if (count <= 0) return null;
  const per = unit === "hours" ? 3600 : 86_400;
  return Math.round((sumSeconds / count / per) * 10) / 10;
}

// ---------------------------------------------------------------------------------------
// Collection figures

const oneDecimal = (x: number) => Math.round(x * 10) / 10;

/** Days sales outstanding: receivables ÷ average daily sales of the last 12 months; null without sales. */
export function dso(receivables: number, volume12m: number): number | null {
  if (volume12m <= 0) return null;
  return oneDecimal(receivables / (volume12m / 365));
}

/** Best possible DSO: the receivables not yet due ÷ average daily sales (what DSO would be if every customer paid on the due date). */
export function bestPossibleDso(notYetDue: number, volume12m: number): number | null {
  return dso(notYetDue, volume12m);
}

/** Average days delinquent: DSO − best possible DSO (how many days of sales are late). */
export function averageDaysDelinquent(dsoValue: number | null, best: number | null): number | null {
  if (dsoValue === null || best === null) return null;
  return oneDecimal(dsoValue - best);
}

/** Credit sales over `days`, estimated from a 12-month volume (minor units, rounded). */
export function salesOver(volume12m: number, days: number): number {
  return Math.round((volume12m * Math.max(0, days)) / 365);
}

export interface CeiInput {
  /** Receivables at the start of the period. */
  beginning: number;
  /** Credit sales in the period. */
  sales: number;
  /** Receivables at its end. */
  ending: number;
  /** Receivables not yet due at its end. */
  endingCurrent: number;
}

/**
 * Collection effectiveness index: what was collected of what could be collected in the period,
 * in percent: (B + S − E) ÷ (B + S − C) × 100; null when nothing was collectable.
 */
export function collectionEffectiveness(x: CeiInput): number | null {
  const collectable = x.beginning + x.sales - x.endingCurrent;
  if (collectable <= 0) return null;
  return oneDecimal(Math.min(100, Math.max(0, ((x.beginning + x.sales - x.ending) / collectable) * 100)));
}

/** Days between two moments, to one decimal. */
export function daysBetween(from: number, to: number): number {
  return oneDecimal((to - from) / DAY_MS);
}
