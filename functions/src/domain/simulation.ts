/**
 * The policy what-if (simulatePolicy): what a candidate policy would do to each credit file,
 * beside what the policy in force does to it today — the same review the monthly job runs
 * (domain/reassessment.ts reviewDecision), the same penalties and the same order check — and the
 * portfolio's tally of the differences. Pure: nothing is written anywhere.
 *
 * Both sides are evaluated at the same moment on the same file, so a candidate equal to the
 * policy in force changes nothing: every difference is the policy's.
 *
 *   class           the class the review gives (penalty caps and overrides included)
 *   limit           the approved limit after the review: cut at once, or as proposed to a person
 *                   (a cut beyond the automatic share, an increase); unchanged otherwise
 *   over limit      committed exposure (open invoices + open orders + live reservations) above
 *                   the limit in force after the review
 *   on hold         the harsher of a person's status and the penalty level (hold at level 2,
 *                   suspension at 3)
 *   blocked orders  the orders of the last 30 days (the credit state keeps each day's order
 *                   amount for the velocity check: one order per day here) checked again as the
 *                   order check would have, with the exposure before them taken as today's less
 *                   the orders since that day (payments since are not replayed: an estimate that
 *                   is the same on both sides)
 */
import type { CreditPolicy, Grade, Tier } from "../schemas/policy.js";
import { checkOrderAgainstTerms, committedExposure, type CreditStatus, type CustomerAggregates } from "./customer.js";
import { limitInForce } from "./limits.js";
import type { FinancialStatement } from "./financials.js";
import { penaltyLevel, type MonitoredCustomer, type PenaltyLevel } from "./monitoring.js";
import { CLASSES, emptyMatrix, type MigrationMatrix } from "./reports.js";
import { reviewDecision, type LimitFollowUp } from "./reassessment.js";
import { harsher, statusPartsOf } from "./status.js";
import { DAY_MS } from "./time.js";

export const ORDER_WINDOW_DAYS = 30;

/** What one policy does to one credit file today. */
export interface UnderPolicy {
  tier: Tier;
  grade: Grade;
  score: number;
  recommendedLimit: number;
  limitAction: LimitFollowUp["action"];
  /** The approved limit after the review (a cut at once, or the proposal's figure). */
  limitAfter: number;
  penaltyLevel: PenaltyLevel;
  status: CreditStatus;
  overLimit: boolean;
  /** Orders of the last 30 days that the order check would not have approved. */
  blocked: { orders: number; amount: number };
}

/** Order amounts by day (the credit state's `recentOrders`) of the last `days` days, oldest first. */
export function recentOrderDays(
  recentOrders: Record<string, number> | undefined,
  asOf: number,
  days = ORDER_WINDOW_DAYS,
): Array<{ day: number; amount: number }> {
  const today = Math.floor(asOf / DAY_MS);
  return Object.entries(recentOrders ?? {})
    .map(([k, amount]) => ({ day: Number(k), amount }))
    .filter(
      (o) =>
        Number.isInteger(o.day) &&
        today - o.day < days &&
        today - o.day >= 0 &&
        Number.isFinite(o.amount) &&
        o.amount > 0,
    )
    .sort((a, b) => a.day - b.day);
}

/** One policy (in the customer's currency) applied to one file at `asOf`. */
export function underPolicy(
  customer: MonitoredCustomer,
  aggregates: CustomerAggregates,
  statement: FinancialStatement | null,
  asOf: number,
  policy: CreditPolicy,
): UnderPolicy {
  const d = reviewDecision(customer, aggregates, statement, asOf, policy);
  const level = penaltyLevel(aggregates, policy.penalties, customer.monitor?.penaltyLevel ?? 0, asOf);
  const limitAfter = d.limitAction.action === "none" ? customer.creditLimit : d.limitAction.newLimit;
  const manual = statusPartsOf(customer).manual?.status ?? "active";
  const status = harsher(manual, level >= 3 ? "suspended" : level >= 2 ? "on_hold" : "active");
  const limits = { creditLimit: limitAfter, temporaryLimit: customer.temporaryLimit ?? null };
  const committed = committedExposure(
    { exposure: aggregates.exposure, reservations: customer.reservations ?? null },
    asOf,
  );
  const overLimit = committed > limitInForce(limits, asOf);
  // The orders of the window, each checked against what stood before it.
  const days = recentOrderDays(customer.recentOrders, asOf);
  let later = days.reduce((s, o) => s + o.amount, 0);
  const blocked = { orders: 0, amount: 0 };
  for (const o of days) {
    const before = Math.max(0, committed - later);
    later -= o.amount;
    const at = o.day * DAY_MS + DAY_MS / 2;
    const check = checkOrderAgainstTerms(
      {
        status,
        creditLimit: limitAfter,
        temporaryLimit: customer.temporaryLimit ?? null,
        tier: d.tier,
        grade: d.assessment.grade,
        exposure: before,
        oldestDaysPastDue: aggregates.oldestDaysPastDue,
        reservations: null,
      },
      o.amount,
      at,
      policy,
    );
    if (check.decision !== "approve") {
      blocked.orders++;
      blocked.amount += o.amount;
    }
  }
  return {
    tier: d.tier,
    grade: d.assessment.grade,
    score: d.assessment.score,
    recommendedLimit: d.limit.recommendedLimit,
    limitAction: d.limitAction.action,
    limitAfter,
    penaltyLevel: level,
    status,
    overLimit,
    blocked,
  };
}

/** One customer under the policy in force and under the candidate. */
export interface WhatIf {
  customerId: string;
  name: string;
  currency: string;
  /** Units of the report's base currency per… null: no rate (amounts not summed). */
  toBase: ((amount: number) => number) | null;
  current: UnderPolicy;
  candidate: UnderPolicy;
}

/** A customer the candidate treats differently, as listed in the answer. */
export interface WhatIfLine {
  customerId: string;
  name: string;
  currency: string;
  tier: { current: Tier; candidate: Tier };
  limit: {
    current: number;
    candidate: number;
    change: number;
    changeInBase: number | null;
    action: LimitFollowUp["action"];
  };
  status: { current: CreditStatus; candidate: CreditStatus };
  overLimit: boolean;
  blockedOrders: { orders: number; amount: number };
}

export interface Tally {
  evaluated: number;
  /** Customers in a currency the FX table cannot convert: counted, their amounts not summed. */
  unconverted: number;
  /** Customers whose file could not be evaluated (listed by id in failedIds, at most 20). */
  failed: number;
  failedIds: string[];
  /** Class under the policy in force (rows) → under the candidate (columns). */
  migration: MigrationMatrix;
  limits: {
    rise: { customers: number; amount: number };
    fall: { customers: number; amount: number };
    unchanged: number;
  };
  /** Customers over their limit under the candidate that are not under the policy in force. */
  overLimit: { customers: number };
  /** Customers on hold or suspended under the candidate that are not under the policy in force. */
  onHold: { customers: number; suspended: number };
  /** Orders of the last 30 days the candidate would have blocked and the policy in force did not (and the reverse). */
  blockedOrders: { orders: number; amount: number; customers: number; released: number; releasedAmount: number };
  /** Customers treated differently, largest limit change (in the base currency) first, at most the policy's maxListed. */
  customers: WhatIfLine[];
}

export function emptyTally(): Tally {
  return {
    evaluated: 0,
    unconverted: 0,
    failed: 0,
    failedIds: [],
    migration: emptyMatrix(),
    limits: { rise: { customers: 0, amount: 0 }, fall: { customers: 0, amount: 0 }, unchanged: 0 },
    overLimit: { customers: 0 },
    onHold: { customers: 0, suspended: 0 },
    blockedOrders: { orders: 0, amount: 0, customers: 0, released: 0, releasedAmount: 0 },
    customers: [],
  };
}

const RANK: Record<CreditStatus, number> = { active: 0, on_hold: 1, suspended: 2 };

function lineOrder(a: WhatIfLine, b: WhatIfLine): number {
  const size = (l: WhatIfLine) => Math.abs(l.limit.changeInBase ?? 0);
  return (
    size(b) - size(a) ||
    b.blockedOrders.amount - a.blockedOrders.amount ||
    (a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : 0)
  );
}

function keep(lines: WhatIfLine[], max: number): WhatIfLine[] {
  return lines.sort(lineOrder).slice(0, max);
}

/** Add one customer's what-if to the tally (a new tally; the one given is not changed). */
export function addToTally(t: Tally, w: WhatIf, maxListed: number): Tally {
  const out: Tally = structuredClone(t);
  const { current: c, candidate: n } = w;
  out.evaluated++;
  if (!w.toBase) out.unconverted++;
  out.migration[c.tier][n.tier]++;
  const change = n.limitAfter - c.limitAfter;
  const changeInBase = w.toBase ? w.toBase(change) : null;
  if (change > 0) {
    out.limits.rise.customers++;
    out.limits.rise.amount += changeInBase ?? 0;
  } else if (change < 0) {
    out.limits.fall.customers++;
    out.limits.fall.amount += -(changeInBase ?? 0);
  } else out.limits.unchanged++;
  const newlyOver = n.overLimit && !c.overLimit;
  if (newlyOver) out.overLimit.customers++;
  const newlyHeld = RANK[n.status] > RANK[c.status];
  if (newlyHeld) {
    out.onHold.customers++;
    if (n.status === "suspended") out.onHold.suspended++;
  }
  const moreBlocked = Math.max(0, n.blocked.orders - c.blocked.orders);
  const moreBlockedAmount = Math.max(0, n.blocked.amount - c.blocked.amount);
  if (moreBlocked > 0) {
    out.blockedOrders.orders += moreBlocked;
    out.blockedOrders.amount += w.toBase ? w.toBase(moreBlockedAmount) : 0;
    out.blockedOrders.customers++;
  }
  const fewerBlocked = Math.max(0, c.blocked.orders - n.blocked.orders);
  if (fewerBlocked > 0) {
    out.blockedOrders.released += fewerBlocked;
    out.blockedOrders.releasedAmount += w.toBase ? w.toBase(Math.max(0, c.blocked.amount - n.blocked.amount)) : 0;
  }
  if (change !== 0 || c.tier !== n.tier || newlyOver || n.status !== c.status || moreBlocked > 0 || fewerBlocked > 0) {
    out.customers = keep(
      [
        ...out.customers,
        {
          customerId: w.customerId,
          name: w.name,
          currency: w.currency,
          tier: { current: c.tier, candidate: n.tier },
          limit: { current: c.limitAfter, candidate: n.limitAfter, change, changeInBase, action: n.limitAction },
          status: { current: c.status, candidate: n.status },
          overLimit: newlyOver,
          blockedOrders: { orders: moreBlocked, amount: moreBlockedAmount },
        },
      ],
      maxListed,
    );
  }
  return out;
}

/** A customer whose file could not be evaluated. */
export function addFailure(t: Tally, customerId: string): Tally {
  const out = structuredClone(t);
  out.failed++;
  if (out.failedIds.length < 20) out.failedIds.push(customerId);
  return out;
}

/** Two tallies of disjoint customers as one (a job's parts). */
export function mergeTallies(a: Tally, b: Tally, maxListed: number): Tally {
  const out = structuredClone(a);
  out.evaluated += b.evaluated;
  out.unconverted += b.unconverted;
  out.failed += b.failed;
  out.failedIds = [...out.failedIds, ...b.failedIds].slice(0, 20);
  for (const f of CLASSES) for (const to of CLASSES) out.migration[f][to] += b.migration[f][to];
  out.limits.rise.customers += b.limits.rise.customers;
  out.limits.rise.amount += b.limits.rise.amount;
  out.limits.fall.customers += b.limits.fall.customers;
  out.limits.fall.amount += b.limits.fall.amount;
  out.limits.unchanged += b.limits.unchanged;
  out.overLimit.customers += b.overLimit.customers;
  out.onHold.customers += b.onHold.customers;
  out.onHold.suspended += b.onHold.suspended;
  for (const k of ["orders", "amount", "customers", "released", "releasedAmount"] as const)
    out.blockedOrders[k] += b.blockedOrders[k];
  out.customers = keep([...out.customers, ...b.customers], maxListed);
  return out;
}

/** The policy paths a candidate changes (leaves; arrays compared whole), at most `max`. */
export function changedPaths(before: unknown, after: unknown, max = 50, prefix = ""): string[] {
  const out: string[] = [];
  const walk = (a: unknown, b: unknown, path: string) => {
    if (out.length >= max) return;
    const isObj = (v: unknown): v is Record<string, unknown> =>
      typeof v === "object" && v !== null && !Array.isArray(v);
    if (isObj(a) && isObj(b)) {
      for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort())
        walk(a[k], b[k], path ? `${path}.${k}` : k);
      return;
    }
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push(path);
  };
  walk(before, after, prefix);
  return out;
}

/**
 * Keys of a partial policy that are not settings of the policy they resolved into (a typo, or a
 * key the schema drops): the first one's path, or null. A what-if must not quietly test
 * something other than what was asked.
 */
export function unknownSetting(partial: unknown, resolved: unknown, prefix = ""): string | null {
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
  if (!isObj(partial) || !isObj(resolved)) return null;
  for (const k of Object.keys(partial)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (!Object.hasOwn(resolved, k)) return path;
    const deeper = unknownSetting(partial[k], resolved[k], path);
    if (deeper) return deeper;
  }
  return null;
}
