/**
 * Aggregates at a given instant, from the running state; and the compaction that bounds the state.
 */
import { assertState, cloneState, daysBeyond } from "./contrib.js";
import {
  type LedgerState,
  LedgerError,
  MONTH_DISHONOURED,
  MONTH_INVOICED,
  MONTH_INVOICE_COUNT,
  MONTH_LATE_AMOUNT_DAYS,
  MONTH_ON_TIME,
  MONTH_ORDERS,
  MONTH_PAYMENTS,
  MONTH_SETTLED,
  type DayBuckets,
  addInt,
  bumpDay,
  dayEntries,
  dayOf,
  firstDayOfMonthIndex,
  monthIndexOfDay,
  monthIndexOfKey,
  monthIndexOfMs,
  monthKeyOfIndex,
  mulInt,
} from "./model.js";
import { DAY_MS } from "../time.js";

export interface AgingBuckets {
  /** Not yet due, or due today. */
  current: number;
  d1_30: number;
  d31_60: number;
  d61_90: number;
  /** 91 days past due and more. */
  d90plus: number;
  /** Under an open dispute: in the open balance and exposure, out of penalty aging (any due date). */
  disputed: number;
}

export interface LedgerAggregates {
  openInvoiceBalance: number;
  openOrders: number;
  exposure: number;
  /** Cash and credit not applied to any invoice, including `awaitingInvoice`. */
  unappliedCash: number;
  /** Part of unappliedCash: settlements that reference an invoice not (yet) recorded. */
  awaitingInvoice: number;
  aging: AgingBuckets;
  oldestDaysPastDue: number;
  onTimeRatio12m: number | null;
  avgDaysBeyondTerms12m: number | null;
  volume12m: number;
  orderCount12m: number;
  /** Dishonoured payments dated in the trailing 12 months. */
  dishonouredPayments: number;
  /**
   * Of the dishonoured amounts dated in the trailing 12 months, what cash received on or after
   * each has not replaced (day order; a bounce before cash of the same day). 0: all replaced.
   */
  dishonouredUnreplaced: number;
  /** Start of the day of the latest dishonoured payment in the trailing 12 months (null: none). */
  lastDishonouredAt: number | null;
  /** Payments received (not dishonoured) dated in the trailing 12 months: evidence of paying. */
  payments12m: number;
  /** Invoices issued in the trailing 12 months: how often the customer trades. */
  invoiceCount12m: number;
  /** Start (00:00 UTC) of the day of the earliest / latest record. */
  firstActivityAt: number | null;
  lastActivityAt: number | null;
}

interface Slice {
  day: number;
  kind: number;
  amount: number;
}

/** Pool kinds, in their same-day order: credit notes are applied before cash. */
const CREDIT = 0;
const CASH = 1;

/**
 * The ladder and pool as sorted, non-negative slices. Negative values only exist after
 * compaction (history older than the fold changed later); a negative value on one side is read
 * as a positive value on the other side at the same day, which keeps L - P exact.
 */
function sortedSides(s: LedgerState): { ladder: Slice[]; pool: Slice[] } {
  const ladder: Slice[] = [];
  const pool: Slice[] = [];
  const put = (list: Slice[], day: number, kind: number, amount: number) => {
    if (amount > 0) list.push({ day, kind, amount });
  };
  for (const [day, v] of dayEntries(s.ladder)) {
    put(ladder, day, 0, v);
    put(pool, day, CREDIT, -v);
  }
  for (const [day, v] of dayEntries(s.poolCredit)) {
    put(pool, day, CREDIT, v);
    put(ladder, day, 0, -v);
  }
  for (const [day, v] of dayEntries(s.poolCash)) {
    put(pool, day, CASH, v);
    put(ladder, day, 0, -v);
  }
  ladder.sort((a, b) => a.day - b.day);
  pool.sort((a, b) => a.day - b.day || a.kind - b.kind);
  return { ladder, pool };
}

interface Matched {
  settled: number;
  onTime: number;
  lateAmountDays: number;
}

/**
 * FIFO: the pool, in date order, settles the ladder, in due order. Mutates the slices' amounts
 * (what is left is open / unapplied). Cash chunks whose date falls in [fromMonth, toMonth]
 * are payment-behaviour settlements.
 */
function matchPool(
  ladder: Slice[],
  pool: Slice[],
  fromMonth: number,
  toMonth: number,
  byMonth?: Map<number, Matched>,
): Matched {
  const m: Matched = { settled: 0, onTime: 0, lateAmountDays: 0 };
  let i = 0;
  let j = 0;
  while (i < ladder.length && j < pool.length) {
    const inv = ladder[i]!;
    const pay = pool[j]!;
    const take = Math.min(inv.amount, pay.amount);
    inv.amount -= take;
    pay.amount -= take;
    if (pay.kind === CASH) {
      const month = monthIndexOfDay(pay.day);
      if (month >= fromMonth && month <= toMonth) {
        m.settled = addInt(m.settled, take);
        if (pay.day <= inv.day) m.onTime = addInt(m.onTime, take);
        m.lateAmountDays = addInt(m.lateAmountDays, mulInt(take, daysBeyond(pay.day, inv.day)));
        if (byMonth) {
          let b = byMonth.get(month);
          if (!b) byMonth.set(month, (b = { settled: 0, onTime: 0, lateAmountDays: 0 }));
          b.settled = addInt(b.settled, take);
          if (pay.day <= inv.day) b.onTime = addInt(b.onTime, take);
        }
      }
    }
    if (inv.amount === 0) i++;
    if (pay.amount === 0) j++;
  }
  return m;
}

function activityBounds(s: LedgerState): { first: number | null; last: number | null } {
  let first: number | null = null;
  let last: number | null = null;
  const fold = s.compactedBefore;
  let oldNet = 0;
  let oldFirst: number | null = null;
  let oldLast: number | null = null;
  for (const [day, n] of dayEntries(s.activity)) {
    if (fold !== undefined && day < fold) {
      // Folded history: judged by its net count (later deletions may leave -1s behind).
      oldNet += n;
      if (n > 0) {
        oldFirst = oldFirst === null ? day : Math.min(oldFirst, day);
        oldLast = oldLast === null ? day : Math.max(oldLast, day);
      }
      continue;
    }
    if (n <= 0) continue;
    first = first === null ? day : Math.min(first, day);
    last = last === null ? day : Math.max(last, day);
  }
  if (oldNet > 0 && oldFirst !== null && oldLast !== null) {
    first = oldFirst;
    if (last === null) last = oldLast;
  }
  return { first: first === null ? null : first * DAY_MS, last: last === null ? null : last * DAY_MS };
}

/**
 * Dishonoured amounts in the window [fromMonth, toMonth] not replaced by cash received on or
 * after them: a running balance over the days in order (a bounce adds, cash received pays it
 * down, never below 0; on one day the bounce comes first). Also the latest bounce day.
 */
function unreplacedDishonour(
  state: LedgerState,
  fromMonth: number,
  toMonth: number,
): { unreplaced: number; lastDay: number | null } {
  const events: Array<[day: number, kind: 0 | 1, amount: number]> = [];
  for (const [day, v] of dayEntries(state.bounced ?? {})) {
    const m = monthIndexOfDay(day);
    if (v > 0 && m >= fromMonth && m <= toMonth) events.push([day, 0, v]);
  }
  if (events.length === 0) return { unreplaced: 0, lastDay: null };
  for (const [day, v] of dayEntries(state.cashIn ?? {})) {
    const m = monthIndexOfDay(day);
    if (v > 0 && m >= fromMonth && m <= toMonth) events.push([day, 1, v]);
  }
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let balance = 0;
  let lastDay: number | null = null;
  for (const [day, kind, amount] of events) {
    if (kind === 0) {
      balance = addInt(balance, amount);
      lastDay = day;
    } else balance = Math.max(0, balance - amount);
  }
  return { unreplaced: balance, lastDay };
}

/** Cash settled in a month: all of it, and the part paid on or before the due day. */
export interface MonthSettlement {
  settled: number;
  onTime: number;
}

/**
 * Cash settled per calendar month ("YYYY-MM"), months [toMonth - count + 1, toMonth] of asOf:
 * payments that name their invoice AND cash paid on account, as the FIFO match applies it
 * (oldest invoice first). What the on-time streak reads.
 */
export function settledByMonth(state: LedgerState, asOf: number, count: number): Record<string, MonthSettlement> {
  assertState(state);
  const toMonth = monthIndexOfMs(asOf);
  const fromMonth = toMonth - Math.max(1, count) + 1;
  const { ladder, pool } = sortedSides(state);
  const byMonth = new Map<number, Matched>();
  matchPool(ladder, pool, fromMonth, toMonth, byMonth);
  const out: Record<string, MonthSettlement> = {};
  for (let m = fromMonth; m <= toMonth; m++) {
    const t = state.months[monthKeyOfIndex(m)];
    const p = byMonth.get(m);
    const settled = addInt(t?.[MONTH_SETTLED] ?? 0, p?.settled ?? 0);
    const onTime = addInt(t?.[MONTH_ON_TIME] ?? 0, p?.onTime ?? 0);
    if (settled !== 0 || onTime !== 0) out[monthKeyOfIndex(m)] = { settled, onTime };
  }
  return out;
}

export function summarize(state: LedgerState, asOf: number): LedgerAggregates {
  assertState(state);
  if (!Number.isSafeInteger(asOf)) throw new LedgerError("invalid_date", "asOf", "asOf must be an integer epoch ms");
  const asOfDay = dayOf(asOf);
  const toMonth = monthIndexOfMs(asOf);
  const fromMonth = toMonth - 11;

  const { ladder, pool } = sortedSides(state);
  const matched = matchPool(ladder, pool, fromMonth, toMonth);

  const aging: AgingBuckets = { current: 0, d1_30: 0, d31_60: 0, d61_90: 0, d90plus: 0, disputed: 0 };
  let open = 0;
  let oldest = 0;
  for (const [, v] of dayEntries(state.disputed ?? {})) {
    aging.disputed = addInt(aging.disputed, v);
    open = addInt(open, v);
  }
  for (const inv of ladder) {
    if (inv.amount <= 0) continue;
    open = addInt(open, inv.amount);
    const dpd = asOfDay - inv.day;
    if (dpd <= 0) aging.current = addInt(aging.current, inv.amount);
    else if (dpd <= 30) aging.d1_30 = addInt(aging.d1_30, inv.amount);
    else if (dpd <= 60) aging.d31_60 = addInt(aging.d31_60, inv.amount);
    else if (dpd <= 90) aging.d61_90 = addInt(aging.d61_90, inv.amount);
    else aging.d90plus = addInt(aging.d90plus, inv.amount);
    if (dpd > oldest) oldest = dpd;
  }
  let unapplied = Math.max(state.held, 0);
  for (const p of pool) if (p.amount > 0) unapplied = addInt(unapplied, p.amount);

  let volume = 0;
  let orders = 0;
  let dishonoured = 0;
  let payments = 0;
  let invoices = 0;
  let settled = matched.settled;
  let onTime = matched.onTime;
  let late = matched.lateAmountDays;
  for (let m = fromMonth; m <= toMonth; m++) {
    const t = state.months[monthKeyOfIndex(m)];
    if (!t) continue;
    volume = addInt(volume, t[MONTH_INVOICED] ?? 0);
    orders = addInt(orders, t[MONTH_ORDERS] ?? 0);
    dishonoured = addInt(dishonoured, t[MONTH_DISHONOURED] ?? 0);
    payments = addInt(payments, t[MONTH_PAYMENTS] ?? 0);
    invoices = addInt(invoices, t[MONTH_INVOICE_COUNT] ?? 0);
    settled = addInt(settled, t[MONTH_SETTLED] ?? 0);
    onTime = addInt(onTime, t[MONTH_ON_TIME] ?? 0);
    late = addInt(late, t[MONTH_LATE_AMOUNT_DAYS] ?? 0);
  }
  const openOrders = Math.max(state.openOrders, 0);
  const { first, last } = activityBounds(state);
  const bounce = unreplacedDishonour(state, fromMonth, toMonth);
  return {
    openInvoiceBalance: open,
    openOrders,
    exposure: addInt(open, openOrders),
    unappliedCash: unapplied,
    awaitingInvoice: Math.max(state.held, 0),
    aging,
    oldestDaysPastDue: oldest,
    onTimeRatio12m: settled > 0 ? onTime / settled : null,
    avgDaysBeyondTerms12m: settled > 0 ? late / settled : null,
    volume12m: volume,
    orderCount12m: orders,
    dishonouredPayments: dishonoured,
    dishonouredUnreplaced: bounce.unreplaced,
    lastDishonouredAt: bounce.lastDay === null ? null : bounce.lastDay * DAY_MS,
    payments12m: payments,
    invoiceCount12m: invoices,
    firstActivityAt: first,
    lastActivityAt: last,
  };
}

/** Default horizon of compactLedger: history older than 24 whole months before asOf is folded. */
export const DEFAULT_COMPACTION_MONTHS = 24;

/**
 * Bound the state. With cutoff = first day of the month `horizonMonths` (>= 12) before asOf's month:
 *  - monthly buckets before the cutoff month are dropped (no 12-month window at or after asOf reads them);
 *  - the part of the ladder and of the pool that both lie before the cutoff and settle each other
 *    (the first S units of each side, S = min(old ladder, old pool)) is removed from both sides:
 *    FIFO matching of what remains is unchanged, so aging, balances and behaviour figures are too;
 *  - activity days before the cutoff collapse onto the earliest and the latest of them.
 * summarize(compactLedger(s, t), t') === summarize(s, t') for every t' >= t.
 * Afterwards, adding, correcting or deleting a record dated before the cutoff keeps every total
 * exact (balances, unapplied cash, exposure, conservation, 12-month figures); only WHERE inside
 * the folded history an amount sits is approximated (it is aged/settled at its own day).
 */
export function compactLedger(
  state: LedgerState,
  asOf: number,
  horizonMonths = DEFAULT_COMPACTION_MONTHS,
): LedgerState {
  assertState(state);
  if (!Number.isSafeInteger(asOf)) throw new LedgerError("invalid_date", "asOf", "asOf must be an integer epoch ms");
  if (!Number.isInteger(horizonMonths) || horizonMonths < 12) {
    throw new LedgerError("invalid_horizon", "horizonMonths", "horizonMonths must be an integer >= 12");
  }
  const cutoffMonth = monthIndexOfMs(asOf) - horizonMonths;
  const cutoffDay = firstDayOfMonthIndex(cutoffMonth);
  const s = cloneState(state);

  for (const k of Object.keys(s.months)) if (monthIndexOfKey(k) < cutoffMonth) delete s.months[k];

  // Rewrite ladder and pool in normalized (non-negative) form, then drop the matched old prefix.
  const { ladder, pool } = sortedSides(s);
  const oldLadder = ladder.filter((x) => x.day < cutoffDay).reduce((a, x) => addInt(a, x.amount), 0);
  const oldPool = pool.filter((x) => x.day < cutoffDay).reduce((a, x) => addInt(a, x.amount), 0);
  const cut = Math.min(oldLadder, oldPool);
  for (const side of [ladder, pool]) {
    let left = cut;
    for (const x of side) {
      if (left === 0) break;
      const take = Math.min(left, x.amount);
      x.amount -= take;
      left -= take;
    }
  }
  s.ladder = {};
  s.poolCredit = {};
  s.poolCash = {};
  for (const x of ladder) bumpDay(s.ladder, x.day, x.amount);
  for (const x of pool) bumpDay(x.kind === CASH ? s.poolCash : s.poolCredit, x.day, x.amount);

  // Activity: keep only the earliest and the latest old day, carrying the old net count.
  let oldNet = 0;
  let oldFirst: number | null = null;
  let oldLast: number | null = null;
  const activity: DayBuckets = {};
  for (const [day, n] of dayEntries(s.activity)) {
    if (day >= cutoffDay) {
      bumpDay(activity, day, n);
      continue;
    }
    oldNet = addInt(oldNet, n);
    if (n > 0) {
      oldFirst = oldFirst === null ? day : Math.min(oldFirst, day);
      oldLast = oldLast === null ? day : Math.max(oldLast, day);
    }
  }
  if (oldNet > 0 && oldFirst !== null && oldLast !== null) {
    if (oldFirst === oldLast || oldNet === 1) bumpDay(activity, oldFirst, oldNet);
    else {
      bumpDay(activity, oldFirst, oldNet - 1);
      bumpDay(activity, oldLast, 1);
    }
  }
  s.activity = activity;
  // Cash received and dishonoured amounts are read over 12-month windows only.
  for (const key of ["cashIn", "bounced"] as const) {
    const kept: DayBuckets = {};
    for (const [day, v] of dayEntries(s[key] ?? {})) if (day >= cutoffDay) bumpDay(kept, day, v);
    s[key] = kept;
  }
  if (s.compactedBefore === undefined || cutoffDay > s.compactedBefore) s.compactedBefore = cutoffDay;
  return s;
}

/**
 * The state folded at `asOf` when the fold's cutoff has moved since the last fold (a new month
 * past the horizon) and folding changes anything; null when there is nothing to fold. What the
 * daily monitor writes back (bounded state, at most a write a month for an active customer).
 */
export function compactLedgerIfDue(
  state: LedgerState,
  asOf: number,
  horizonMonths = DEFAULT_COMPACTION_MONTHS,
): LedgerState | null {
  const cutoffDay = firstDayOfMonthIndex(monthIndexOfMs(asOf) - horizonMonths);
  if (state.compactedBefore !== undefined && state.compactedBefore >= cutoffDay) return null;
  const folded = compactLedger(state, asOf, horizonMonths);
  const { compactedBefore: _a, ...before } = state;
  const { compactedBefore: _b, ...after } = folded;
  void _a;
  void _b;
  // Nothing older than the cutoff: record nothing (the next month asks again, as cheaply).
  return JSON.stringify(before) === JSON.stringify(after) ? null : folded;
}
