/**
 * Ledger types, constants and the integer/time helpers every ledger module shares.
 * Pure: no Firebase, no clock, no randomness. See ../ledger.ts for the semantics.
 */
import { DAY_MS } from "../time.js";

export type LedgerRecordType = "order" | "invoice" | "payment" | "credit_note";

/** One transaction record as the ledger sees it. Money in integer minor units, times in epoch ms. */
export interface LedgerRecord {
  externalId: string;
  type: LedgerRecordType;
  amount: number;
  issuedAt: number;
  /** Invoices only (required there). Ignored on other types. */
  dueAt?: number;
  /** Payments and credit notes only: the invoice they settle. */
  invoiceExternalId?: string;
  /** Orders: "open" (default) | "fulfilled" | "cancelled". Payments: "dishonoured" (or absent). */
  status?: string;
  /** ISO currency; absent means the customer's currency. */
  currency?: string;
}

/** The part of a record version that the aggregates depend on (plain JSON, no undefined values). */
export interface AppliedVersion {
  type: LedgerRecordType;
  amount: number;
  issuedAt: number;
  dueAt?: number;
  invoiceExternalId?: string;
  status?: string;
}

/** A non-dishonoured payment or credit note that references the entry's id as its invoice. */
export interface ReferencingSettlement {
  id: string;
  type: "payment" | "credit_note";
  amount: number;
  issuedAt: number;
}

/**
 * The applied entry of one external id, stored at customers/{id}/ledger/{externalId}.
 * `applied`: the version of the record with this id that is in the aggregates (null: none,
 * the document is then a placeholder). `referencedBy`: every settling payment/credit note
 * that names this id as its invoice, sorted by id (kept even while no invoice with this id
 * is known: that is how an invoice that arrives late learns about payments waiting for it).
 * The aggregates' contribution of an entry is a pure function of its content, so an entry
 * can be taken out of the aggregates exactly.
 */
export interface AppliedEntry {
  v: 1;
  id: string;
  applied: AppliedVersion | null;
  referencedBy: ReferencingSettlement[];
  /**
   * Open disputes on this invoice: disputeId -> disputed amount (absent: none). While open,
   * the disputed part of what remains of the invoice leaves penalty aging (state.disputed);
   * closing a dispute puts it back at the invoice's own due day.
   */
  disputes?: Record<string, number>;
}

/**
 * Day-resolution map, bucketed by month so that it stays a few dozen keys: "YYYY-MM" -> values
 * indexed by day of month - 1 (trailing zeros trimmed, a month with only zeros removed).
 */
export type DayBuckets = Record<string, number[]>;

/**
 * Running aggregates of one customer, kept in one field of the customer document.
 * Every number is a sum of per-entry contributions, so the state is a pure function of the
 * set of applied entries (until compacted). Days are UTC days; months "YYYY-MM" UTC months.
 */
export interface LedgerState {
  v: 1;
  /** Sum of open orders (status "open" or absent). */
  openOrders: number;
  /** Settlements that reference an id which is not (yet) an invoice: unapplied cash, earmarked. */
  held: number;
  /** By due day: invoice amount NOT settled by the settlements that reference the invoice. */
  ladder: DayBuckets;
  /** By settlement day: unreferenced credit notes and the excess of referenced ones. */
  poolCredit: DayBuckets;
  /** By payment day: unreferenced payments and the excess of referenced ones. */
  poolCash: DayBuckets;
  /** By issue day: number of records (all types), for first/last activity. */
  activity: DayBuckets;
  /**
   * "YYYY-MM" -> [invoiced, orders, dishonoured, settledCash, onTimeCash, lateAmountDays,
   * payments, invoices] (see MONTH_*; tuples stored before the last two existed are shorter).
   */
  months: Record<string, number[]>;
  /** By due day: the disputed part of invoices under an open dispute (out of aging, in exposure). Absent: none. */
  disputed?: DayBuckets;
  /** By payment day: cash received (payments not dishonoured, referenced or not). Absent: none. */
  cashIn?: DayBuckets;
  /** By payment day: amounts of dishonoured payments. Absent: none. */
  bounced?: DayBuckets;
  /** Set by compactLedger: the first UTC day still kept exactly. */
  compactedBefore?: number;
}

export const MONTH_INVOICED = 0;
export const MONTH_ORDERS = 1;
export const MONTH_DISHONOURED = 2;
export const MONTH_SETTLED = 3;
export const MONTH_ON_TIME = 4;
export const MONTH_LATE_AMOUNT_DAYS = 5;
/** Number of payments received (not dishonoured), by payment month. */
export const MONTH_PAYMENTS = 6;
/** Number of invoices, by issue month. */
export const MONTH_INVOICE_COUNT = 7;
export const MONTH_WIDTH = 8;

/** Largest amount of one record (minor units); keeps amount x days products far from 2^53. */
export const MAX_RECORD_AMOUNT = 1_000_000_000_000;
/** Dates must lie in [1970-01-01, 9999-12-31]. */
export const MAX_TIMESTAMP = 253_402_300_799_999;

export const ORDER_STATUSES = ["open", "fulfilled", "cancelled"] as const;
export const PAYMENT_STATUSES = ["dishonoured"] as const;
export const RECORD_TYPES: readonly LedgerRecordType[] = ["order", "invoice", "payment", "credit_note"];

/** A programming or data error the ledger refuses to absorb silently. */
export class LedgerError extends Error {
  constructor(
    readonly code: string,
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = "LedgerError";
  }
}

/** a + b, refusing to leave the safe-integer range. */
export function addInt(a: number, b: number): number {
  const r = a + b;
  if (!Number.isSafeInteger(r)) throw new LedgerError("overflow", "amount", `integer overflow adding ${a} and ${b}`);
  return r;
}

/** a * b, refusing to leave the safe-integer range. */
export function mulInt(a: number, b: number): number {
  const r = a * b;
  if (!Number.isSafeInteger(r))
    throw new LedgerError("overflow", "amount", `integer overflow multiplying ${a} by ${b}`);
  return r;
}

export function dayOf(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

/** Months since year 0 (UTC): year * 12 + monthIndex. */
export function monthIndexOfMs(ms: number): number {
  const d = new Date(ms);
  return d.getUTCFullYear() * 12 + d.getUTCMonth();
}

export function monthIndexOfDay(day: number): number {
  return monthIndexOfMs(day * DAY_MS);
}

export function monthKeyOfIndex(index: number): string {
  const y = Math.floor(index / 12);
  const m = index - y * 12 + 1;
  return `${String(y).padStart(4, "0")}-${m < 10 ? "0" : ""}${m}`;
}

export function monthIndexOfKey(key: string): number {
  const y = Number(key.slice(0, 4));
  const m = Number(key.slice(5, 7));
  return y * 12 + m - 1;
}

/** First UTC day of the month with the given index. */
export function firstDayOfMonthIndex(index: number): number {
  const y = Math.floor(index / 12);
  return dayOf(Date.UTC(y, index - y * 12, 1));
}

export function isSettlementType(t: LedgerRecordType): t is "payment" | "credit_note" {
  return t === "payment" || t === "credit_note";
}

/** The invoice id this version settles, or null (no reference, dishonoured, or not a settlement). */
export function settlingReference(v: AppliedVersion | null | undefined): string | null {
  if (!v || !isSettlementType(v.type)) return null;
  if (v.type === "payment" && v.status === "dishonoured") return null;
  return v.invoiceExternalId ?? null;
}

/** Month key and day-of-month index (0-based) of a UTC day. */
export function dayBucket(day: number): { key: string; index: number } {
  const d = new Date(day * DAY_MS);
  return { key: monthKeyOfIndex(d.getUTCFullYear() * 12 + d.getUTCMonth()), index: d.getUTCDate() - 1 };
}

/** map[day] += delta (mutates). */
export function bumpDay(map: DayBuckets, day: number, delta: number): void {
  if (delta === 0) return;
  const { key, index } = dayBucket(day);
  let arr = map[key];
  if (!arr) {
    arr = [];
    map[key] = arr;
  }
  while (arr.length <= index) arr.push(0);
  arr[index] = addInt(arr[index] ?? 0, delta);
  while (arr.length > 0 && arr[arr.length - 1] === 0) arr.pop();
  if (arr.length === 0) delete map[key];
}

/** The non-zero [day, value] pairs of a day map, in no particular order. */
export function dayEntries(map: DayBuckets): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const [key, arr] of Object.entries(map)) {
    const first = firstDayOfMonthIndex(monthIndexOfKey(key));
    arr.forEach((v, i) => {
      if (v !== 0) out.push([first + i, v]);
    });
  }
  return out;
}

export function cloneBuckets(map: Record<string, number[]>): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(map)) out[k] = v.slice();
  return out;
}
