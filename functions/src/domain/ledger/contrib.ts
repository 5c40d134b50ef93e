/**
 * The contribution of one applied entry to the running aggregates. The state is the sum of the
 * contributions of all entries; applying or unapplying is "subtract old entry, add new entry".
 */
import {
  type AppliedEntry,
  type LedgerState,
  type ReferencingSettlement,
  LedgerError,
  MONTH_DISHONOURED,
  MONTH_INVOICED,
  MONTH_LATE_AMOUNT_DAYS,
  MONTH_ON_TIME,
  MONTH_INVOICE_COUNT,
  MONTH_ORDERS,
  MONTH_PAYMENTS,
  MONTH_SETTLED,
  MONTH_WIDTH,
  addInt,
  bumpDay,
  cloneBuckets,
  dayOf,
  monthIndexOfMs,
  monthKeyOfIndex,
  mulInt,
} from "./model.js";

export function emptyLedger(): LedgerState {
  return {
    v: 1,
    openOrders: 0,
    held: 0,
    ladder: {},
    poolCredit: {},
    poolCash: {},
    activity: {},
    months: {},
    disputed: {},
    cashIn: {},
    bounced: {},
  };
}

/** A copy of the state (states stored before `disputed`, `cashIn` and `bounced` existed get them empty). */
export function cloneState(s: LedgerState): LedgerState {
  const out: LedgerState = {
    v: 1,
    openOrders: s.openOrders,
    held: s.held,
    ladder: cloneBuckets(s.ladder),
    poolCredit: cloneBuckets(s.poolCredit),
    poolCash: cloneBuckets(s.poolCash),
    activity: cloneBuckets(s.activity),
    months: cloneBuckets(s.months),
    disputed: cloneBuckets(s.disputed ?? {}),
    cashIn: cloneBuckets(s.cashIn ?? {}),
    bounced: cloneBuckets(s.bounced ?? {}),
  };
  if (s.compactedBefore !== undefined) out.compactedBefore = s.compactedBefore;
  return out;
}

/** Throws unless `s` looks like a LedgerState (a corrupted or foreign field must not be summed into). */
export function assertState(s: LedgerState): void {
  const maps = [s?.ladder, s?.poolCredit, s?.poolCash, s?.activity, s?.months];
  for (const optional of [s?.disputed, s?.cashIn, s?.bounced]) if (optional !== undefined) maps.push(optional);
  if (
    !s ||
    s.v !== 1 ||
    maps.some((m) => m === null || typeof m !== "object") ||
    !Number.isSafeInteger(s.openOrders) ||
    !Number.isSafeInteger(s.held)
  ) {
    throw new LedgerError("invalid_state", "ledger", "not a LedgerState (v1)");
  }
}

export function emptyEntry(id: string): AppliedEntry {
  return { v: 1, id, applied: null, referencedBy: [] };
}

export function cloneEntry(e: AppliedEntry): AppliedEntry {
  const out: AppliedEntry = {
    v: 1,
    id: e.id,
    applied: e.applied ? { ...e.applied } : null,
    referencedBy: e.referencedBy.map((r) => ({ ...r })),
  };
  if (e.disputes && Object.keys(e.disputes).length > 0) out.disputes = { ...e.disputes };
  return out;
}

/** The sum of the open disputes on an entry. */
export function disputedOn(e: Pick<AppliedEntry, "disputes">): number {
  let sum = 0;
  for (const v of Object.values(e.disputes ?? {})) sum = addInt(sum, v);
  return sum;
}

/** Nothing applied, nothing referencing it, no open dispute: the entry document can go. */
export function isEmptyEntry(e: AppliedEntry): boolean {
  return (
    e.applied === null &&
    e.referencedBy.length === 0 &&
    (e.disputes === undefined || Object.keys(e.disputes).length === 0)
  );
}

function bumpTuple(map: Record<string, number[]>, key: string, width: number, index: number, delta: number): void {
  if (delta === 0) return;
  let t = map[key];
  if (!t) {
    t = new Array<number>(width).fill(0);
    map[key] = t;
  }
  while (t.length < width) t.push(0); // a tuple stored before the newer columns existed
  t[index] = addInt(t[index] ?? 0, delta);
  if (t.every((x) => x === 0)) delete map[key];
}

function bumpMonth(s: LedgerState, ms: number, index: number, delta: number): void {
  bumpTuple(s.months, monthKeyOfIndex(monthIndexOfMs(ms)), MONTH_WIDTH, index, delta);
}

/** Referencing settlements in the order they are allocated to their invoice: issuedAt, then id. */
export function allocationOrder(a: ReferencingSettlement, b: ReferencingSettlement): number {
  if (a.issuedAt !== b.issuedAt) return a.issuedAt - b.issuedAt;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Days beyond terms of a settlement dated payDay against an invoice due dueDay (0 when on time). */
export function daysBeyond(payDay: number, dueDay: number): number {
  return payDay > dueDay ? payDay - dueDay : 0;
}

/** Add (sign = 1) or remove (sign = -1) the contribution of `entry` to `s` (mutates `s`). */
export function addEntry(s: LedgerState, entry: AppliedEntry, sign: 1 | -1): void {
  const rec = entry.applied;
  if (rec) {
    bumpDay(s.activity, dayOf(rec.issuedAt), sign);
    switch (rec.type) {
      case "order":
        if (rec.status !== "cancelled") bumpMonth(s, rec.issuedAt, MONTH_ORDERS, sign);
        if (rec.status === undefined || rec.status === "open") s.openOrders = addInt(s.openOrders, sign * rec.amount);
        break;
      case "invoice":
        bumpMonth(s, rec.issuedAt, MONTH_INVOICED, sign * rec.amount);
        bumpMonth(s, rec.issuedAt, MONTH_INVOICE_COUNT, sign);
        break;
      case "payment":
        if (rec.status === "dishonoured") {
          bumpMonth(s, rec.issuedAt, MONTH_DISHONOURED, sign);
          bumpDay((s.bounced ??= {}), dayOf(rec.issuedAt), sign * rec.amount);
        } else {
          bumpMonth(s, rec.issuedAt, MONTH_PAYMENTS, sign);
          bumpDay((s.cashIn ??= {}), dayOf(rec.issuedAt), sign * rec.amount);
          if (rec.invoiceExternalId === undefined) bumpDay(s.poolCash, dayOf(rec.issuedAt), sign * rec.amount);
        }
        break;
      case "credit_note":
        if (rec.invoiceExternalId === undefined) bumpDay(s.poolCredit, dayOf(rec.issuedAt), sign * rec.amount);
        break;
    }
  }

  if (rec && rec.type === "invoice") {
    // Settlements that reference this invoice settle it, oldest first, up to its amount;
    // the excess joins the pool at the settlement's own date.
    const dueAt = rec.dueAt;
    if (dueAt === undefined) throw new LedgerError("missing_due_date", "dueAt", `invoice ${entry.id} has no dueAt`);
    const dueDay = dayOf(dueAt);
    let remaining = rec.amount;
    const refs = entry.referencedBy.slice().sort(allocationOrder);
    for (const r of refs) {
      const take = Math.min(remaining, r.amount);
      remaining -= take;
      const payDay = dayOf(r.issuedAt);
      if (take > 0 && r.type === "payment") {
        bumpMonth(s, r.issuedAt, MONTH_SETTLED, sign * take);
        if (payDay <= dueDay) bumpMonth(s, r.issuedAt, MONTH_ON_TIME, sign * take);
        bumpMonth(s, r.issuedAt, MONTH_LATE_AMOUNT_DAYS, sign * mulInt(take, daysBeyond(payDay, dueDay)));
      }
      const excess = r.amount - take;
      if (excess > 0) bumpDay(r.type === "payment" ? s.poolCash : s.poolCredit, payDay, sign * excess);
    }
    // An open dispute takes its part of what remains out of aging (it stays in exposure).
    const disputed = Math.min(remaining, disputedOn(entry));
    if (disputed > 0) bumpDay((s.disputed ??= {}), dueDay, sign * disputed);
    if (remaining - disputed > 0) bumpDay(s.ladder, dueDay, sign * (remaining - disputed));
  } else {
    // No invoice with this id (yet): whatever references it waits, as earmarked unapplied cash.
    for (const r of entry.referencedBy) s.held = addInt(s.held, sign * r.amount);
  }
}
