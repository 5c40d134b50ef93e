/**
 * The naive baseline and test oracle: the aggregates computed from the whole set of records,
 * invoice by invoice and settlement by settlement, straight from the set-wise definition in
 * ../ledger.ts. It shares no allocation code with the incremental path.
 */
import { type LedgerRecord, addInt, dayOf, monthIndexOfMs, mulInt } from "./model.js";
import type { AgingBuckets, LedgerAggregates } from "./summarize.js";
import { toAppliedVersion } from "./validate.js";
import { DAY_MS } from "../time.js";

interface Invoice {
  id: string;
  issuedAt: number;
  dueAt: number;
  amount: number;
  residual: number;
  disputed: number;
}

interface PoolItem {
  day: number;
  credit: boolean;
  amount: number;
}

/**
 * Aggregates of a set of records at asOf. The set is keyed by externalId: when an id occurs more
 * than once, its last occurrence is the current version. `disputes`: open disputed amounts by
 * invoice id (an id that is not an invoice in the set is ignored).
 */
export function recomputeFromHistory(
  records: LedgerRecord[],
  asOf: number,
  disputes: Record<string, number> = {},
): LedgerAggregates {
  const byId = new Map<string, LedgerRecord>();
  for (const r of records) {
    toAppliedVersion(r); // throws on an invalid record
    byId.set(r.externalId, r);
  }
  const set = [...byId.values()];
  const toMonth = monthIndexOfMs(asOf);
  const inWindow = (ms: number) => {
    const m = monthIndexOfMs(ms);
    return m >= toMonth - 11 && m <= toMonth;
  };

  let openOrders = 0;
  let volume = 0;
  let orderCount = 0;
  let dishonoured = 0;
  let payments = 0;
  let invoiceCount = 0;
  const bounces: Array<[day: number, amount: number]> = [];
  const cash: Array<[day: number, amount: number]> = [];
  let held = 0;
  let settled = 0;
  let onTime = 0;
  let late = 0;
  let firstDay: number | null = null;
  let lastDay: number | null = null;

  const invoices = new Map<string, Invoice>();
  for (const r of set) {
    const d = dayOf(r.issuedAt);
    firstDay = firstDay === null || d < firstDay ? d : firstDay;
    lastDay = lastDay === null || d > lastDay ? d : lastDay;
    if (r.type === "invoice") {
      invoices.set(r.externalId, {
        id: r.externalId,
        issuedAt: r.issuedAt,
        dueAt: r.dueAt ?? r.issuedAt,
        amount: r.amount,
        residual: r.amount,
        disputed: 0,
      });
      if (inWindow(r.issuedAt)) {
        volume += r.amount;
        invoiceCount += 1;
      }
    } else if (r.type === "order") {
      const status = r.status ?? "open";
      if (status === "open") openOrders += r.amount;
      if (status !== "cancelled" && inWindow(r.issuedAt)) orderCount += 1;
    } else if (r.type === "payment" && r.status === "dishonoured") {
      if (inWindow(r.issuedAt)) {
        dishonoured += 1;
        bounces.push([dayOf(r.issuedAt), r.amount]);
      }
    } else if (r.type === "payment" && inWindow(r.issuedAt)) {
      payments += 1;
      cash.push([dayOf(r.issuedAt), r.amount]);
    }
  }

  const behaviour = (payAt: number, dueAt: number, amount: number) => {
    if (!inWindow(payAt)) return;
    const payDay = dayOf(payAt);
    const dueDay = dayOf(dueAt);
    settled += amount;
    if (payDay <= dueDay) onTime += amount;
    else late = addInt(late, mulInt(amount, payDay - dueDay));
  };

  // 1. Settlements that reference a known invoice settle it, in (issuedAt, externalId) order.
  const settlements = set
    .filter((r) => (r.type === "payment" && r.status !== "dishonoured") || r.type === "credit_note")
    .sort(
      (a, b) => a.issuedAt - b.issuedAt || (a.externalId < b.externalId ? -1 : a.externalId > b.externalId ? 1 : 0),
    );
  const pool: PoolItem[] = [];
  for (const s of settlements) {
    const credit = s.type === "credit_note";
    if (s.invoiceExternalId === undefined) {
      pool.push({ day: dayOf(s.issuedAt), credit, amount: s.amount });
      continue;
    }
    const inv = invoices.get(s.invoiceExternalId);
    if (!inv) {
      held += s.amount; // waits for its invoice
      continue;
    }
    const take = Math.min(inv.residual, s.amount);
    inv.residual -= take;
    if (take > 0 && !credit) behaviour(s.issuedAt, inv.dueAt, take);
    if (s.amount > take) pool.push({ day: dayOf(s.issuedAt), credit, amount: s.amount - take });
  }

  // 1b. An open dispute takes its part of what remains of its invoice out of the FIFO and of aging.
  for (const inv of invoices.values()) {
    const d = Object.hasOwn(disputes, inv.id) ? Math.min(disputes[inv.id]!, inv.residual) : 0;
    inv.disputed = d;
    inv.residual -= d;
  }

  // 2. The pool, in date order (credit notes before cash on the same day), settles the
  //    oldest open invoices first: dueAt, then issuedAt, then externalId.
  pool.sort((a, b) => a.day - b.day || Number(b.credit) - Number(a.credit));
  const open = [...invoices.values()]
    .filter((i) => i.residual > 0)
    .sort((a, b) => a.dueAt - b.dueAt || a.issuedAt - b.issuedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  let k = 0;
  for (const p of pool) {
    while (p.amount > 0 && k < open.length) {
      const inv = open[k]!;
      const take = Math.min(inv.residual, p.amount);
      inv.residual -= take;
      p.amount -= take;
      if (!p.credit) behaviour(p.day * DAY_MS, inv.dueAt, take);
      if (inv.residual === 0) k++;
    }
  }

  const aging: AgingBuckets = { current: 0, d1_30: 0, d31_60: 0, d61_90: 0, d90plus: 0, disputed: 0 };
  let openBalance = 0;
  for (const inv of invoices.values()) {
    aging.disputed += inv.disputed;
    openBalance += inv.disputed;
  }
  let oldest = 0;
  const asOfDay = dayOf(asOf);
  for (const inv of open) {
    if (inv.residual === 0) continue;
    openBalance += inv.residual;
    const dpd = asOfDay - dayOf(inv.dueAt);
    if (dpd <= 0) aging.current += inv.residual;
    else if (dpd <= 30) aging.d1_30 += inv.residual;
    else if (dpd <= 60) aging.d31_60 += inv.residual;
    else if (dpd <= 90) aging.d61_90 += inv.residual;
    else aging.d90plus += inv.residual;
    oldest = Math.max(oldest, dpd);
  }
  const unapplied = pool.reduce((a, p) => a + p.amount, held);
  // Dishonoured amounts not replaced by cash received on or after them (a bounce first on its day).
  let unreplaced = 0;
  let lastBounce: number | null = null;
  if (bounces.length > 0) {
    const events = [...bounces.map(([d, a]) => [d, 0, a] as const), ...cash.map(([d, a]) => [d, 1, a] as const)].sort(
      (x, y) => x[0] - y[0] || x[1] - y[1],
    );
    for (const [d, kind, a] of events) {
      if (kind === 0) {
        unreplaced += a;
        lastBounce = d;
      } else unreplaced = Math.max(0, unreplaced - a);
    }
  }
  if (!Number.isSafeInteger(openBalance + unapplied + openOrders + volume + settled)) throw new RangeError("overflow");
  return {
    openInvoiceBalance: openBalance,
    openOrders,
    exposure: openBalance + openOrders,
    unappliedCash: unapplied,
    awaitingInvoice: held,
    aging,
    oldestDaysPastDue: oldest,
    onTimeRatio12m: settled > 0 ? onTime / settled : null,
    avgDaysBeyondTerms12m: settled > 0 ? late / settled : null,
    volume12m: volume,
    orderCount12m: orderCount,
    dishonouredPayments: dishonoured,
    dishonouredUnreplaced: unreplaced,
    lastDishonouredAt: lastBounce === null ? null : lastBounce * DAY_MS,
    payments12m: payments,
    invoiceCount12m: invoiceCount,
    firstActivityAt: firstDay === null ? null : firstDay * DAY_MS,
    lastActivityAt: lastDay === null ? null : lastDay * DAY_MS,
  };
}
