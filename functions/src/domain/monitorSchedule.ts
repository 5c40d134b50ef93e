/**
 * When the daily monitor must look at a customer again: the first future run at which its
 * decision would differ from the file as it stands. Pure (clock passed in, no Firebase).
 *
 * Nothing changes a credit file between two writes but time. So the monitor, having written a
 * file at `asOf`, asks the same decision (domain/monitoring.ts `monitorDecision`) about the
 * runs to come — at the same time of day, one day apart — and the first run whose decision
 * would write something that matters is the customer's `nextAgingAt` (its day's start, so
 * that day's run takes it whatever its minute). Until then the customer is not visited.
 *
 * "Something that matters" (`monitorWouldChange`) is everything the visit writes except the
 * day count of the oldest open invoice, which grows every day an invoice is past due: an
 * alert to raise or resolve (or the alerts map), a status change, a proposal, an expired
 * temporary limit or class override, the monitor's memory (penalty level, episodes), the
 * flags, score, grade, confidence, tier and class reasons, any aggregate (aging buckets,
 * 12-month figures: they move when an invoice crosses 1, 31, 61 or 91 days past due and when
 * a month leaves the window), a lapsed reservation, a group claim due to be lowered, and the
 * order check's own threshold on days past due. So the stored `oldestDaysPastDue` is the count
 * at the customer's last visit; every threshold it is compared with is crossed on a visit.
 *
 * How far it looks: every run for `DAILY_LOOKAHEAD_DAYS` (35: a month boundary, every warning
 * window); beyond that, when something drifts by the day — days past due in the sloped part of
 * the score's curve, the relationship's tenure below the curve's end, a young customer's
 * annualised volume — the file is looked at again on day 36 (and the look-ahead repeats).
 * Otherwise only the runs just after the dated events a file can hold are asked (a month or a
 * year turning, an invoice crossing an aging bucket or a penalty threshold, a temporary limit's
 * warning and expiry, a class override's and a reservation's expiry, a dispute turning too old,
 * the review overdue, statements turning stale, a dishonour decaying, a group claim's hold
 * ending), up to `monitoring.maxIdleDays`: a file with nothing that can change is looked at
 * again only then. test/unit/monitor-schedule.property.test.ts checks, over many random files
 * and days, that visiting only on these days gives the same alerts, statuses and files as
 * visiting every customer every day.
 */
import type { CreditPolicy } from "../schemas/policy.js";
import { claimChange } from "./groups.js";
import { committedExposure, type CustomerAggregates } from "./customer.js";
import { dayEntries, type LedgerState } from "./ledger/model.js";
import { settledByMonth, summarize } from "./ledger/summarize.js";
import { liveReservations } from "./orders.js";
import { addMonths, monitorDecision, type MonitorDecision, type MonitoredCustomer } from "./monitoring.js";
import { DAY_MS, HOUR_MS } from "./time.js";

const MS_PER_MONTH = 30.436875 * DAY_MS;

/** Every run within this many days is asked (covers a month boundary and every warning window). */
export const DAILY_LOOKAHEAD_DAYS = 35;

/** The monitor's decision at `asOf` from a file and its ledger (aggregates and settlements re-summarised then). */
export function monitorAt(
  file: MonitoredCustomer,
  ledger: LedgerState,
  asOf: number,
  policy: CreditPolicy,
): MonitorDecision {
  const settled = settledByMonth(ledger, asOf, policy.incentives.onTimeMonths + 1);
  return monitorDecision(file, summarize(ledger, asOf), settled, asOf, policy);
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const liveKeys = (file: MonitoredCustomer, at: number) => Object.keys(liveReservations(file.reservations, at)).sort();

/** The aggregates without the oldest invoice's day count (it grows daily while anything is past due). */
function withoutDayCount(a: CustomerAggregates | undefined): unknown {
  return a ? { ...a, oldestDaysPastDue: 0 } : null;
}

/**
 * Would a visit at `at` write anything that matters, given the file as it stands? (See the
 * module comment for what matters.)
 */
export function monitorWouldChange(
  file: MonitoredCustomer,
  d: MonitorDecision,
  at: number,
  policy: CreditPolicy,
): boolean {
  if (d.alertsToRaise.length > 0 || d.alertsToResolve.length > 0 || d.statusChange !== null || d.proposal !== null)
    return true;
  if (d.clearTemporaryLimit || d.clearClassOverride) return true;
  if (!same(d.openAlerts, file.openAlerts ?? {})) return true;
  const m = file.monitor ?? {};
  if (
    d.monitor.penaltyLevel !== (m.penaltyLevel ?? 0) ||
    d.monitor.penaltyProposedAt !== (m.penaltyProposedAt ?? null) ||
    d.monitor.lastIncentiveAt !== (m.lastIncentiveAt ?? null)
  )
    return true;
  if (
    d.flags.noLimitIncrease !== file.flags.noLimitIncrease ||
    d.flags.extendedTermsEligible !== file.flags.extendedTermsEligible
  )
    return true;
  if (
    d.assessment.score !== file.score ||
    d.assessment.grade !== file.grade ||
    d.assessment.confidence !== file.confidence ||
    d.tier !== file.tier
  )
    return true;
  if (!same(d.classReasons, file.classReasons ?? [])) return true;
  if (!same(withoutDayCount(d.aggregates), withoutDayCount(file.aggregates))) return true;
  // The order check's own rule on days past due (checkOrderAgainstTerms: INVOICES_PAST_DUE).
  const limit = policy.penalties.noIncreaseAfterDays;
  if (d.aggregates.oldestDaysPastDue > limit !== (file.aggregates?.oldestDaysPastDue ?? 0) > limit) return true;
  if (!same(liveKeys(file, at), Object.keys(file.reservations ?? {}).sort())) return true;
  // A group member's claim is lowered once its exposure fell and the claim has held (services/groups.ts).
  const mirror = file.groupId && file.creditGroup?.groupId === file.groupId ? file.creditGroup : null;
  if (
    mirror &&
    claimChange(mirror, committedExposure(file, at), at, policy.creditGroups.claimHoldHours * HOUR_MS) !== null
  )
    return true;
  return false;
}

function lastX(points: ReadonlyArray<readonly [number, number]>): number {
  return points[points.length - 1]![0];
}

/** Does the decision drift with every day (not only at dated events)? */
export function driftsDaily(a: CustomerAggregates, at: number, policy: CreditPolicy): boolean {
  const c = policy.curves;
  if (a.oldestDaysPastDue > 0 && a.oldestDaysPastDue < lastX(c.oldestDaysPastDue)) return true;
  if (a.firstActivityAt !== null) {
    const months = (at - a.firstActivityAt) / MS_PER_MONTH;
    if (months < lastX(c.tenureMonths) || months < 12) return true; // tenure; a young customer's annualised volume
  }
  return false;
}

/** The instants at which a file's decision can change without a write (beyond the daily look-ahead). */
export function datedEvents(
  file: MonitoredCustomer,
  ledger: LedgerState,
  asOf: number,
  policy: CreditPolicy,
): number[] {
  const out: number[] = [];
  const m = policy.monitoring;
  const p = policy.penalties;
  const d0 = new Date(asOf);
  for (let k = 1; k <= 13; k++) out.push(Date.UTC(d0.getUTCFullYear(), d0.getUTCMonth() + k, 1)); // windows, streaks, business age
  const t = file.temporaryLimit;
  if (t) out.push(t.expiresAt - m.temporaryLimitWarningDays * DAY_MS, t.expiresAt);
  if (file.classOverride) out.push(file.classOverride.expiresAt);
  for (const r of Object.values(file.reservations ?? {})) out.push(r.expiresAt);
  for (const dsp of Object.values(file.disputes?.open ?? {}))
    out.push(dsp.openedAt + (policy.disputes.alertAfterDays + 1) * DAY_MS);
  out.push(file.nextReviewAt + m.reviewOverdueDays * DAY_MS);
  if (typeof file.latestStatementAt === "number") out.push(addMonths(file.latestStatementAt, m.statementStaleMonths));
  const lastBounce = file.aggregates?.lastDishonouredAt ?? null;
  if (lastBounce !== null) out.push(lastBounce + p.dishonouredDecayDays * DAY_MS);
  const mirror = file.groupId && file.creditGroup?.groupId === file.groupId ? file.creditGroup : null;
  if (mirror) out.push(mirror.changedAt + policy.creditGroups.claimHoldHours * HOUR_MS);
  // Aging: an invoice's open amount crosses 1, 31, 61, 91 days past due and each threshold on days past due.
  const steps = new Set([1, 31, 61, 91]);
  const cls = policy.classification;
  for (const days of [
    p.noIncreaseAfterDays,
    p.autoHoldAfterDays,
    p.suspendAfterDays,
    p.cureDaysPastDue,
    cls.premium.maxDaysPastDue,
    cls.risky.daysPastDueOver,
  ])
    steps.add(days + 1);
  for (const [day, v] of dayEntries(ledger.ladder)) if (v > 0) for (const k of steps) out.push((day + k) * DAY_MS);
  return out;
}

export interface MonitorVisit {
  /** Start of the day of the run that must look at the customer (always after `asOf`'s day). */
  at: number;
  /** Why (for logs and tests): "change", "drift" (look again after the daily look-ahead), "idle" (nothing can change). */
  why: "change" | "drift" | "idle";
}

/**
 * The next run that must visit a file the monitor (or a review) has just written at `asOf`.
 * `file` is the file as written (aggregates at asOf), `ledger` its ledger state, `policy` the
 * policy in the file's currency.
 */
export function nextMonitorVisit(
  file: MonitoredCustomer,
  ledger: LedgerState,
  asOf: number,
  policy: CreditPolicy,
): MonitorVisit {
  const dayStart = (t: number) => Math.floor(t / DAY_MS) * DAY_MS;
  const changesAt = (t: number) => monitorWouldChange(file, monitorAt(file, ledger, t, policy), t, policy);
  for (let k = 1; k <= DAILY_LOOKAHEAD_DAYS; k++) {
    const t = asOf + k * DAY_MS;
    if (changesAt(t)) return { at: dayStart(t), why: "change" };
  }
  const horizon = asOf + Math.max(DAILY_LOOKAHEAD_DAYS + 1, policy.monitoring.maxIdleDays) * DAY_MS;
  const ahead = asOf + (DAILY_LOOKAHEAD_DAYS + 1) * DAY_MS;
  if (driftsDaily(summarize(ledger, ahead), ahead, policy)) return { at: dayStart(ahead), why: "drift" };
  // The runs just after each dated event (a strict comparison may need the run after that too).
  const runs = new Set<number>();
  for (const e of datedEvents(file, ledger, asOf, policy)) {
    const k = Math.max(DAILY_LOOKAHEAD_DAYS + 1, Math.ceil((e - asOf) / DAY_MS));
    for (const t of [asOf + k * DAY_MS, asOf + (k + 1) * DAY_MS]) if (t < horizon) runs.add(t);
  }
  for (const t of [...runs].sort((a, b) => a - b)) if (changesAt(t)) return { at: dayStart(t), why: "change" };
  return { at: dayStart(horizon), why: "idle" };
}
