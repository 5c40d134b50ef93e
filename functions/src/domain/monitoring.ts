/**
 * Monitoring decisions: what the daily monitor does to one credit file, and the penalties and
 * alert transitions the monthly review (domain/reassessment.ts) shares with it. Pure and
 * deterministic (clock passed in, no Firebase); every threshold comes from the policy. The
 * services (services/monitoring.ts, services/reassessment.ts) read, call these, and write what
 * they return.
 *
 * Fields this module keeps on the customer document besides CustomerFile:
 *   openAlerts        { [alertType]: true | false } — true: an alert of that type is open
 *                     (so the monitor need not read alert documents to know); false: a
 *                     person resolved it while its condition still held (acknowledged: not
 *                     raised again until the condition has cleared). Absent: none.
 *   monitor           { penaltyLevel, penaltyProposedAt, lastIncentiveAt } — the monitor's
 *                     memory between runs (see MonitorState).
 *   statusParts       the manual and the automatic part of the status (domain/status.ts): the
 *                     monitor sets the automatic one; the harsher part is in force.
 *   latestStatementAt period end of the latest financial statement (set by the monthly review).
 *   lastReviewScore / lastReviewTier  score and tier of the last full review (monthly or manual).
 */
import type { CreditPolicy, Tier } from "../schemas/policy.js";
import type { AlertType } from "./alerts.js";
import { changedFields } from "./audit.js";
import { liveReservations, reservedAmount } from "./orders.js";
import {
  availableCredit,
  effectiveLimit,
  nextDay,
  withAggregates,
  type CreditStatus,
  type CustomerAggregates,
  type CustomerFile,
} from "./customer.js";
import { disputeHistory } from "./disputes.js";
import { monthIndexOfMs, monthKeyOfIndex } from "./ledger/model.js";
import type { MonthSettlement } from "./ledger/summarize.js";
import { planLimitChange, temporaryLimitInForce } from "./limits.js";
import { classInForce, overrideInForce, rescoreFromFile } from "./reassessment.js";
import { lowerTier, type Assessment } from "./scoring.js";
import { statusInForce, statusPartsOf, type StatusPart, type StatusParts } from "./status.js";
import { DAY_MS } from "./time.js";

/** Alert types the daily monitor raises and resolves. */
export const MONITOR_ALERT_TYPES = [
  "overdue_30",
  "overdue_60",
  "overdue_90",
  "utilization_high",
  "over_limit",
  "temporary_limit_expiring",
  "temporary_limit_expired",
  "review_overdue",
  "statements_stale",
  "dispute_open_too_long",
] as const satisfies readonly AlertType[];
/** Alert types the monthly review raises and resolves. */
export const REVIEW_ALERT_TYPES = ["score_drop", "tier_downgrade"] as const satisfies readonly AlertType[];
export type MonitorAlertType = (typeof MONITOR_ALERT_TYPES)[number];
export type ReviewAlertType = (typeof REVIEW_ALERT_TYPES)[number];

export type OpenAlerts = Partial<Record<AlertType, boolean>>;

/** 0 none; 1 no limit increase (tier ≤ standard); 2 automatic hold + limit cut proposed; 3 suspension. */
export type PenaltyLevel = 0 | 1 | 2 | 3;

export interface MonitorState {
  /** The penalty level at the last run: an active customer is put on hold/suspended only when the level rises. */
  penaltyLevel: PenaltyLevel;
  /** When the limit cut of the current penalty episode was proposed (null: none; reset when cured). */
  penaltyProposedAt: number | null;
  /** When the last incentive increase was proposed (one per `incentives.onTimeMonths` months). */
  lastIncentiveAt: number | null;
}

export interface MonitoredFields {
  openAlerts?: OpenAlerts;
  monitor?: Partial<MonitorState>;
  latestStatementAt?: number | null;
  lastReviewScore?: number | null;
  lastReviewTier?: Tier | null;
}
export type MonitoredCustomer = CustomerFile & MonitoredFields;

export interface AlertToRaise {
  type: AlertType;
  code: string;
  details: Record<string, string | number | boolean | null>;
}
export interface AlertToResolve {
  type: AlertType;
  reason: string;
}
export interface StatusChange {
  status: CreditStatus;
  statusKind: "manual" | "automatic" | null;
  reason: string | null;
  /** Both parts, each with its reason (the harsher is in force). */
  parts: StatusParts;
}
export interface LimitProposal {
  source: "policy_penalty" | "policy_incentive";
  currentLimit: number;
  newLimit: number;
  autoApprove: boolean;
  reason: string;
}

export interface MonitorDecision {
  aggregates: CustomerAggregates;
  assessment: Pick<Assessment, "score" | "grade" | "tier" | "confidence">;
  /** The tier in force: a manager's override, or the computed tier after the penalty's cap. */
  tier: Tier;
  /** Why the tier is below the grade's, or that it is overridden. */
  classReasons: string[];
  /** The class override has expired: remove it (the class is the computed one again). */
  clearClassOverride: boolean;
  penaltyLevel: PenaltyLevel;
  utilization: number;
  alertsToRaise: AlertToRaise[];
  alertsToResolve: AlertToResolve[];
  /** The openAlerts map after the transitions (other writers' types kept as they are). */
  openAlerts: OpenAlerts;
  statusChange: StatusChange | null;
  flags: { noLimitIncrease: boolean; extendedTermsEligible: boolean };
  /** The temporary limit has expired: remove it from the credit file. */
  clearTemporaryLimit: boolean;
  proposal: LimitProposal | null;
  monitor: MonitorState;
  /** The next run at the latest (the service replaces it by the next day anything can change: domain/monitorSchedule.ts). */
  nextAgingAt: number;
}

// ---------------------------------------------------------------------------------------
// Building blocks

type PenaltyInput = Pick<CustomerAggregates, "oldestDaysPastDue" | "dishonouredPayments"> &
  Partial<Pick<CustomerAggregates, "dishonouredUnreplaced" | "lastDishonouredAt">>;

/** Dishonoured amounts not replaced yet (aggregates from before replacements were tracked: any dishonour). */
function unreplaced(a: PenaltyInput): number {
  return a.dishonouredUnreplaced ?? (a.dishonouredPayments > 0 ? 1 : 0);
}

/** The penalty the policy's thresholds give today, before the cure rule. */
function rawPenaltyLevel(a: PenaltyInput, p: CreditPolicy["penalties"], asOf: number | undefined): PenaltyLevel {
  if (a.oldestDaysPastDue > p.suspendAfterDays || (p.suspendOnDishonoured && unreplaced(a) > 0)) return 3;
  if (a.oldestDaysPastDue > p.autoHoldAfterDays) return 2;
  if (a.oldestDaysPastDue > p.noIncreaseAfterDays) return 1;
  // A replaced dishonour decays: no limit increase (tier at most standard) for a while after it.
  const last = a.lastDishonouredAt ?? null;
  if (
    a.dishonouredPayments > 0 &&
    (asOf === undefined || last === null || asOf - last <= p.dishonouredDecayDays * DAY_MS)
  )
    return 1;
  return 0;
}

/** The cure the policy names for a hold or suspension: the oldest invoice within cureDaysPastDue, every dishonour replaced. */
export function penaltyCured(a: PenaltyInput, p: CreditPolicy["penalties"]): boolean {
  return a.oldestDaysPastDue <= p.cureDaysPastDue && unreplaced(a) === 0;
}

/** What must happen to lift a penalty at `level` (codes, in the credit department's words). */
export function cureFor(a: PenaltyInput, p: CreditPolicy["penalties"]): string[] {
  const out: string[] = [];
  if (a.oldestDaysPastDue > p.cureDaysPastDue) out.push(`PAY_INVOICES_PAST_DUE_OVER_${p.cureDaysPastDue}_DAYS`);
  if (unreplaced(a) > 0) out.push("REPLACE_DISHONOURED_PAYMENT");
  return out;
}

/**
 * 0 none; 1 no limit increase (tier ≤ standard); 2 automatic hold; 3 suspension. A hold or
 * suspension (`previous` ≥ 2) stays until its cure (penaltyCured), even when the days past due
 * fall below its threshold: paying the oldest invoice alone is not enough.
 */
export function penaltyLevel(
  a: PenaltyInput,
  p: CreditPolicy["penalties"],
  previous: PenaltyLevel = 0,
  asOf?: number,
): PenaltyLevel {
  const raw = rawPenaltyLevel(a, p, asOf);
  if (previous >= 2 && raw < previous && !penaltyCured(a, p)) return previous;
  return raw;
}

/** Tier overrides of a penalty: any penalty caps at standard, a suspension is risky. */
export function penaltyTier(tier: Tier, level: PenaltyLevel): Tier {
  return lowerTier(tier, penaltyCap(level));
}

/** The highest tier a penalty level allows. */
export function penaltyCap(level: PenaltyLevel): Tier {
  if (level >= 3) return "risky";
  if (level >= 1) return "standard";
  return "premium";
}

const STATUS_FOR_LEVEL: Record<PenaltyLevel, CreditStatus> = { 0: "active", 1: "active", 2: "on_hold", 3: "suspended" };

function penaltyReason(a: PenaltyInput, level: PenaltyLevel, p: CreditPolicy["penalties"]): string {
  if (level === 3)
    return a.oldestDaysPastDue > p.suspendAfterDays
      ? `OVERDUE_OVER_${p.suspendAfterDays}_DAYS`
      : unreplaced(a) > 0
        ? "PAYMENT_DISHONOURED"
        : "PENALTY_NOT_CURED";
  if (level === 2)
    return a.oldestDaysPastDue > p.autoHoldAfterDays ? `OVERDUE_OVER_${p.autoHoldAfterDays}_DAYS` : "PENALTY_NOT_CURED";
  return "PENALTY_CURED";
}

/**
 * The automatic part of the status follows the penalty level both ways (kept with its earlier
 * reason while the level stays); the manual part is a person's and is kept as it is. The status
 * in force is the harsher part. Returns the change, or null when nothing changes.
 */
export function statusDecision(
  customer: Pick<CustomerFile, "status" | "statusKind" | "statusReason" | "statusParts">,
  level: PenaltyLevel,
  reason: string,
): StatusChange | null {
  const parts = statusPartsOf(customer);
  const held = STATUS_FOR_LEVEL[level];
  const automatic: StatusPart | null =
    held === "active"
      ? null
      : parts.automatic?.status === held
        ? parts.automatic
        : { status: held as StatusPart["status"], reason };
  const next: StatusParts = { manual: parts.manual, automatic };
  let inForce = statusInForce(next);
  if (inForce.status === "active") {
    // A cure that makes the file active again says so; an active file stays as it was.
    if (parts.automatic !== null)
      inForce = { status: "active", statusKind: "automatic", statusReason: "PENALTY_CURED" };
    else if (customer.status === "active")
      inForce = { status: "active", statusKind: customer.statusKind, statusReason: customer.statusReason };
  }
  const samePart = (x: StatusPart | null, y: StatusPart | null) =>
    x === null ? y === null : y !== null && x.status === y.status && x.reason === y.reason;
  const unchanged =
    customer.statusParts != null && // a file from before the parts existed gets them written once
    inForce.status === customer.status &&
    inForce.statusKind === customer.statusKind &&
    inForce.statusReason === customer.statusReason &&
    samePart(parts.automatic, automatic);
  if (unchanged) return null;
  return { status: inForce.status, statusKind: inForce.statusKind, reason: inForce.statusReason, parts: next };
}

/** exposure / limit in force; a customer with exposure and no limit is infinitely utilised. */
export function utilizationOf(exposure: number, limit: number): number {
  if (limit > 0) return exposure / limit;
  return exposure > 0 ? Number.POSITIVE_INFINITY : 0;
}

/**
 * True when each of the `months` calendar months before asOf's month (the last complete
 * ones) has settled cash > 0, all of it on or before the due day. Reads the ledger's cash
 * settled by month (ledger settledByMonth): payments that name their invoice and cash paid on
 * account, applied oldest invoice first.
 */
export function onTimeStreak(
  settled: Record<string, MonthSettlement> | undefined,
  asOf: number,
  months: number,
): boolean {
  const current = monthIndexOfMs(asOf);
  for (let m = current - months; m < current; m++) {
    const t = settled?.[monthKeyOfIndex(m)];
    if (!(t && t.settled > 0 && t.onTime >= t.settled)) return false;
  }
  return true;
}

/** Eligible for extended payment terms (policy incentives): an eligible tier, the on-time streak, no penalty. */
export function extendedTermsEligible(tier: Tier, streak: boolean, level: PenaltyLevel, policy: CreditPolicy): boolean {
  return policy.incentives.extendedTermsTiers.includes(tier) && streak && level === 0;
}

function roundDown(amount: number, unit: number): number {
  return Math.max(0, Math.floor(amount / unit) * unit);
}

export function addMonths(ms: number, n: number): number {
  const d = new Date(ms);
  return Date.UTC(
    d.getUTCFullYear(),
    d.getUTCMonth() + n,
    d.getUTCDate(),
    d.getUTCHours(),
    d.getUTCMinutes(),
    d.getUTCSeconds(),
    d.getUTCMilliseconds(),
  );
}

/** A condition per alert type: "on" (holds), "off" (cleared, with the reason), "keep" (leave as is). */
export type AlertCondition =
  | { type: AlertType; state: "on"; code: string; details: AlertToRaise["details"] }
  | { type: AlertType; state: "off"; reason: string }
  | { type: AlertType; state: "keep" };

/** Transitions from the open-alerts map: raise what holds and is not open, resolve what cleared. */
export function alertTransitions(
  open: OpenAlerts | undefined,
  conditions: AlertCondition[],
): { raise: AlertToRaise[]; resolve: AlertToResolve[]; openAlerts: OpenAlerts } {
  const next: OpenAlerts = { ...(open ?? {}) };
  const raise: AlertToRaise[] = [];
  const resolve: AlertToResolve[] = [];
  for (const c of conditions) {
    const cur = next[c.type];
    if (c.state === "on") {
      if (cur === undefined) {
        raise.push({ type: c.type, code: c.code, details: c.details });
        next[c.type] = true;
      }
    } else if (c.state === "off") {
      if (cur === true) resolve.push({ type: c.type, reason: c.reason });
      delete next[c.type];
    }
  }
  return { raise, resolve, openAlerts: next };
}

/**
 * The openAlerts map after a person resolves an alert of `type` (resolveAlert): monitor and
 * review types become `false` (acknowledged: not raised again while the condition persists;
 * the key goes when the condition clears); other types are removed.
 */
export function openAlertsAfterManualResolve(open: OpenAlerts | undefined, type: string): OpenAlerts {
  const next: OpenAlerts = { ...(open ?? {}) };
  const owned =
    (MONITOR_ALERT_TYPES as readonly string[]).includes(type) ||
    (REVIEW_ALERT_TYPES as readonly string[]).includes(type);
  if (owned) next[type as AlertType] = false;
  else delete next[type as AlertType];
  return next;
}

// ---------------------------------------------------------------------------------------
// The daily monitor

export function monitorConditions(
  customer: MonitoredCustomer,
  a: CustomerAggregates,
  limitInForce: number,
  asOf: number,
  policy: CreditPolicy,
): AlertCondition[] {
  const m = policy.monitoring;
  const p = policy.penalties;
  const dpd = a.oldestDaysPastDue;
  const out: AlertCondition[] = [];
  // The three penalty thresholds (named by their default days: 30, 60, 90).
  for (const [type, days] of [
    ["overdue_30", p.noIncreaseAfterDays],
    ["overdue_60", p.autoHoldAfterDays],
    ["overdue_90", p.suspendAfterDays],
  ] as const) {
    out.push(
      dpd > days
        ? { type, state: "on", code: `OVERDUE_OVER_${days}_DAYS`, details: { oldestDaysPastDue: dpd } }
        : { type, state: "off", reason: dpd > 0 ? `OVERDUE_BELOW_${days + 1}_DAYS` : "OVERDUE_CURED" },
    );
  }
  const oldestDispute = disputeHistory(customer.disputes, asOf).oldestOpen;
  out.push(
    oldestDispute && oldestDispute.days > policy.disputes.alertAfterDays
      ? {
          type: "dispute_open_too_long",
          state: "on",
          code: "DISPUTE_OPEN_TOO_LONG",
          details: { disputeId: oldestDispute.disputeId, daysOpen: oldestDispute.days },
        }
      : {
          type: "dispute_open_too_long",
          state: "off",
          reason: oldestDispute ? "DISPUTES_WITHIN_TIME" : "NO_OPEN_DISPUTE",
        },
  );
  // Live reservations hold credit as exposure does: they count toward utilisation and the limit.
  const committed = a.exposure + reservedAmount(customer.reservations, asOf);
  const util = utilizationOf(committed, limitInForce);
  const utilPct = Number.isFinite(util) ? Math.round(util * 100) : null;
  out.push(
    committed > 0 && util >= m.utilizationAlert
      ? { type: "utilization_high", state: "on", code: "UTILIZATION_HIGH", details: { utilizationPct: utilPct } }
      : { type: "utilization_high", state: "off", reason: "UTILIZATION_NORMAL" },
  );
  out.push(
    committed > limitInForce
      ? { type: "over_limit", state: "on", code: "OVER_LIMIT", details: { utilizationPct: utilPct } }
      : { type: "over_limit", state: "off", reason: "WITHIN_LIMIT" },
  );
  const t = customer.temporaryLimit;
  if (t && t.expiresAt <= asOf) {
    out.push({ type: "temporary_limit_expiring", state: "off", reason: "TEMPORARY_LIMIT_EXPIRED" });
    out.push({
      type: "temporary_limit_expired",
      state: "on",
      code: "TEMPORARY_LIMIT_EXPIRED",
      details: { expiredOn: new Date(t.expiresAt).toISOString().slice(0, 10) },
    });
  } else if (t) {
    const soon = t.expiresAt - asOf <= m.temporaryLimitWarningDays * DAY_MS;
    out.push(
      soon
        ? {
            type: "temporary_limit_expiring",
            state: "on",
            code: "TEMPORARY_LIMIT_EXPIRING",
            details: { expiresOn: new Date(t.expiresAt).toISOString().slice(0, 10) },
          }
        : { type: "temporary_limit_expiring", state: "off", reason: "TEMPORARY_LIMIT_EXTENDED" },
    );
    // A new temporary limit in force answers an earlier expiry.
    out.push({ type: "temporary_limit_expired", state: "off", reason: "NEW_TEMPORARY_LIMIT" });
  } else {
    out.push({ type: "temporary_limit_expiring", state: "off", reason: "TEMPORARY_LIMIT_REMOVED" });
    // The expiry notice stays open for a person (nothing later clears it but a new temporary limit).
    out.push({ type: "temporary_limit_expired", state: "keep" });
  }
  out.push(
    customer.nextReviewAt + m.reviewOverdueDays * DAY_MS < asOf
      ? {
          type: "review_overdue",
          state: "on",
          code: "REVIEW_OVERDUE",
          details: { dueOn: new Date(customer.nextReviewAt).toISOString().slice(0, 10) },
        }
      : { type: "review_overdue", state: "off", reason: "REVIEW_DONE" },
  );
  const st = customer.latestStatementAt;
  out.push(
    typeof st === "number" && addMonths(st, m.statementStaleMonths) < asOf
      ? {
          type: "statements_stale",
          state: "on",
          code: "STATEMENTS_STALE",
          details: { periodEnd: new Date(st).toISOString().slice(0, 10) },
        }
      : { type: "statements_stale", state: "off", reason: "STATEMENT_CURRENT" },
  );
  return out;
}

/**
 * One customer's daily monitoring at `asOf`, from its file, its aggregates re-summarised at
 * asOf, and the ledger's month buckets.
 */
export function monitorDecision(
  customer: MonitoredCustomer,
  aggregates: CustomerAggregates,
  settled: Record<string, MonthSettlement> | undefined,
  asOf: number,
  policy: CreditPolicy,
): MonitorDecision {
  const p = policy.penalties;
  const inc = policy.incentives;
  const unit = policy.limits.roundingUnit;
  const prev: MonitorState = {
    penaltyLevel: customer.monitor?.penaltyLevel ?? 0,
    penaltyProposedAt: customer.monitor?.penaltyProposedAt ?? null,
    lastIncentiveAt: customer.monitor?.lastIncentiveAt ?? null,
  };

  const clearTemporaryLimit =
    customer.temporaryLimit !== null &&
    customer.temporaryLimit !== undefined &&
    customer.temporaryLimit.expiresAt <= asOf;
  const terms = {
    creditLimit: customer.creditLimit,
    temporaryLimit: clearTemporaryLimit ? null : customer.temporaryLimit,
  };
  const limitInForce = effectiveLimit(terms, asOf);
  const utilization = utilizationOf(aggregates.exposure, limitInForce);

  const scored = rescoreFromFile({ ...customer, ...terms, aggregates, exposure: aggregates.exposure }, asOf, policy);
  const level = penaltyLevel(aggregates, p, prev.penaltyLevel, asOf);
  const cls = classInForce(scored.tier, penaltyCap(level), customer.classOverride, scored.classReasons, asOf);
  const tier = cls.tier;
  const clearClassOverride =
    customer.classOverride !== null &&
    customer.classOverride !== undefined &&
    overrideInForce(customer.classOverride, asOf) === null;

  const statusChange = statusDecision(customer, level, penaltyReason(aggregates, level, p));
  const statusAfter = statusChange?.status ?? customer.status;

  const noLimitIncrease = level >= 1;
  const streak = onTimeStreak(settled, asOf, inc.onTimeMonths);
  const termsEligible = extendedTermsEligible(tier, streak, level, policy);

  let proposal: LimitProposal | null = null;
  const next: MonitorState = { ...prev, penaltyLevel: level };
  if (level >= 2) {
    const cut = roundDown(customer.creditLimit * p.limitCutTo, unit);
    if (prev.penaltyProposedAt === null && cut < customer.creditLimit) {
      proposal = {
        source: "policy_penalty",
        currentLimit: customer.creditLimit,
        newLimit: cut,
        autoApprove: false,
        reason: penaltyReason(aggregates, level, p),
      };
      next.penaltyProposedAt = asOf;
    }
  } else {
    next.penaltyProposedAt = null;
  }
  const incentiveDue =
    prev.lastIncentiveAt === null || monthIndexOfMs(asOf) - monthIndexOfMs(prev.lastIncentiveAt) >= inc.onTimeMonths;
  if (
    proposal === null &&
    streak &&
    incentiveDue &&
    !noLimitIncrease &&
    statusAfter === "active" &&
    !customer.flags.fraudHold &&
    customer.creditLimit > 0 &&
    utilization >= inc.minUtilization
  ) {
    const cap = Math.max(customer.creditLimit, roundDown(policy.limits.gradeCaps[scored.grade], unit));
    const newLimit = Math.min(customer.creditLimit + roundDown(customer.creditLimit * inc.increaseShare, unit), cap);
    const increase = newLimit - customer.creditLimit;
    if (increase > 0) {
      proposal = {
        source: "policy_incentive",
        currentLimit: customer.creditLimit,
        newLimit,
        autoApprove: increase <= inc.autoApproveUpTo,
        reason: `ON_TIME_${inc.onTimeMonths}_MONTHS`,
      };
      next.lastIncentiveAt = asOf;
    }
  }

  const conditions = monitorConditions(customer, aggregates, limitInForce, asOf, policy);
  // An order recorded while suspended (raised by the ledger) is answered once the suspension ends.
  if (statusAfter !== "suspended")
    conditions.push({ type: "order_while_suspended", state: "off", reason: "NO_LONGER_SUSPENDED" });
  const { raise, resolve, openAlerts } = alertTransitions(customer.openAlerts, conditions);
  return {
    aggregates,
    assessment: { score: scored.score, grade: scored.grade, tier: scored.tier, confidence: scored.confidence },
    tier,
    classReasons: cls.classReasons,
    clearClassOverride,
    penaltyLevel: level,
    utilization,
    alertsToRaise: raise,
    alertsToResolve: resolve,
    openAlerts,
    statusChange,
    flags: { noLimitIncrease, extendedTermsEligible: termsEligible },
    clearTemporaryLimit,
    proposal,
    monitor: next,
    nextAgingAt: nextDay(asOf),
  };
}

/**
 * The credit file as the monitor leaves it at `asOf`: the decision applied (aggregates and their
 * report fields, class, status, flags, alerts map, the monitor's memory), an expired temporary
 * limit or class override removed, lapsed reservations tidied away, and an incentive increase the
 * policy approves by itself applied with the limit rules of any increase — when its proposal is
 * new (`proposalCreated`: the proposal document did not exist yet).
 */
export function fileAfterMonitoring(
  customer: MonitoredCustomer,
  d: MonitorDecision,
  asOf: number,
  proposalCreated: boolean,
): MonitoredCustomer {
  const next: MonitoredCustomer = {
    ...customer,
    ...withAggregates(customer, d.aggregates),
    temporaryLimit: d.clearTemporaryLimit ? null : customer.temporaryLimit,
    score: d.assessment.score,
    grade: d.assessment.grade,
    confidence: d.assessment.confidence,
    tier: d.tier,
    classReasons: d.classReasons,
    classOverride: d.clearClassOverride ? null : (customer.classOverride ?? null),
    flags: { ...customer.flags, ...d.flags },
    openAlerts: d.openAlerts,
    monitor: d.monitor,
    ...(d.statusChange
      ? {
          status: d.statusChange.status,
          statusKind: d.statusChange.statusKind,
          statusReason: d.statusChange.reason,
          statusParts: d.statusChange.parts,
        }
      : {}),
  };
  if (proposalCreated && d.proposal?.autoApprove) {
    const plan = planLimitChange(
      { creditLimit: next.creditLimit, temporaryLimit: temporaryLimitInForce(next, asOf) },
      { kind: "permanent", newLimit: d.proposal.newLimit, expiresAt: null },
      asOf,
    );
    if (plan.ok) Object.assign(next, plan.next);
  }
  next.reservations = liveReservations(customer.reservations, asOf);
  next.reserved = reservedAmount(next.reservations, asOf);
  next.availableCredit = availableCredit(next, asOf);
  return next;
}

/** What a monitor visit leaves on the credit file (services/monitoring.ts writes it). */
export interface MonitoredFile {
  /** The file as this visit leaves it (what its next visit is computed from). */
  next: MonitoredCustomer;
  /** The customer's patch: the fields the monitor owns, from `next`. */
  patch: Record<string, unknown>;
  /** Available credit before an increase the policy approves (its audit entry's before). */
  availableBefore: number;
  statusChanged: boolean;
  /** The customer.monitor audit entry: what changed in the file's reviewed view, and why; null when nothing did. */
  change: { before: Record<string, unknown> | null; after: Record<string, unknown>; reason: string | null } | null;
}

/**
 * The next state of a credit file after a monitor visit at `asOf` (fileAfterMonitoring), the
 * patch that writes it, and the audit entry's view of the change. `proposalCreated`: an
 * increase the policy approves by itself is applied (its proposal document is new).
 */
export function monitoredFile(
  customer: MonitoredCustomer,
  d: MonitorDecision,
  asOf: number,
  proposalCreated: boolean,
): MonitoredFile {
  const availableBefore = availableCredit(fileAfterMonitoring(customer, d, asOf, false), asOf);
  const next = fileAfterMonitoring(customer, d, asOf, proposalCreated);
  const view = (c: MonitoredCustomer) => ({
    status: c.status,
    statusKind: c.statusKind,
    statusReason: c.statusReason,
    tier: c.tier,
    noLimitIncrease: c.flags.noLimitIncrease,
    extendedTermsEligible: c.flags.extendedTermsEligible,
    temporaryLimit: c.temporaryLimit,
    classOverride: c.classOverride ? c.classOverride.tier : null,
    manualStatus: c.statusParts?.manual ?? null,
    automaticStatus: c.statusParts?.automatic ?? null,
  });
  const diff = changedFields(view(customer), view(next));
  const statusChanged =
    next.status !== customer.status ||
    next.statusKind !== customer.statusKind ||
    next.statusReason !== customer.statusReason;
  const patch: Record<string, unknown> = {
    aggregates: next.aggregates,
    availableCredit: next.availableCredit,
    creditLimit: next.creditLimit,
    temporaryLimit: next.temporaryLimit,
    reservations: next.reservations ?? {},
    reserved: next.reserved,
    score: next.score,
    grade: next.grade,
    confidence: next.confidence,
    tier: next.tier,
    status: next.status,
    statusKind: next.statusKind,
    statusReason: next.statusReason,
    ...(d.statusChange ? { statusParts: d.statusChange.parts } : {}),
    classReasons: d.classReasons,
    ...(d.clearClassOverride ? { classOverride: null } : {}),
    flags: next.flags,
    openAlerts: d.openAlerts,
    monitor: d.monitor,
    updatedAt: asOf,
  };
  const reason = statusChanged
    ? d.statusChange!.reason
    : d.clearClassOverride
      ? "CLASS_OVERRIDE_EXPIRED"
      : d.clearTemporaryLimit
        ? "TEMPORARY_LIMIT_EXPIRED"
        : "DAILY_MONITORING";
  const change =
    diff.after && Object.keys(diff.after).length > 0 ? { before: diff.before, after: diff.after, reason } : null;
  return { next, patch, availableBefore, statusChanged, change };
}
