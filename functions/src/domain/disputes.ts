/**
 * Disputes with the company (seed 三.1: "dispute records with the company" are credit history).
 *
 * A dispute is a document (disputes/{id}) with its decision memo; its ledger effect is state of
 * the invoice's entry (./ledger/disputes.ts). The credit file keeps a small dispute book in its
 * confidential state: the open disputes (what the monitor needs for the open-too-long alert,
 * without a query) and month buckets of what was opened and how disputes ended — the 12-month
 * dispute record the score and the class read. Bounded: open disputes by the policy's cap, months
 * pruned to the last 13. Pure: clock passed in.
 */
import { monthIndexOfMs, monthKeyOfIndex, monthIndexOfKey } from "./ledger/model.js";
import type { DisputeRecord } from "./scoring.js";
import { DAY_MS } from "./time.js";

export const DISPUTE_OUTCOMES = ["customer_right", "customer_wrong", "partial"] as const;
export type DisputeOutcome = (typeof DISPUTE_OUTCOMES)[number];

export interface OpenDispute {
  invoiceExternalId: string;
  amount: number;
  openedAt: number;
}

/** Kept in creditState as `disputes`. */
export interface DisputeBook {
  open: Record<string, OpenDispute>;
  /** "YYYY-MM" -> [opened, openedAmount, customerRight, customerWrong, partial, lostAmount] (opened by the month opened, outcomes by the month resolved). */
  months: Record<string, number[]>;
}

const OPENED = 0;
const OPENED_AMOUNT = 1;
const RIGHT = 2;
const WRONG = 3;
const PARTIAL = 4;
const LOST_AMOUNT = 5;
const WIDTH = 6;
const KEEP_MONTHS = 13;

export function emptyDisputeBook(): DisputeBook {
  return { open: {}, months: {} };
}

function bump(book: DisputeBook, asOf: number, index: number, delta: number): void {
  const key = monthKeyOfIndex(monthIndexOfMs(asOf));
  const t = book.months[key] ?? new Array<number>(WIDTH).fill(0);
  while (t.length < WIDTH) t.push(0);
  t[index] = (t[index] ?? 0) + delta;
  book.months[key] = t;
}

function pruned(book: DisputeBook, asOf: number): DisputeBook {
  const from = monthIndexOfMs(asOf) - (KEEP_MONTHS - 1);
  const months: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(book.months)) if (monthIndexOfKey(k) >= from) months[k] = v.slice();
  return { open: { ...book.open }, months };
}

/** The book with a new open dispute. */
export function bookWithOpened(
  book: DisputeBook | null | undefined,
  disputeId: string,
  d: OpenDispute,
  asOf: number,
): DisputeBook {
  const next = pruned(book ?? emptyDisputeBook(), asOf);
  next.open[disputeId] = { ...d };
  bump(next, asOf, OPENED, 1);
  bump(next, asOf, OPENED_AMOUNT, d.amount);
  return next;
}

/**
 * The book with a dispute resolved: out of the open ones, its outcome counted in the month of
 * the resolution. `lostAmount` is what the customer disputed and did not get credited.
 */
export function bookWithResolved(
  book: DisputeBook | null | undefined,
  disputeId: string,
  outcome: DisputeOutcome,
  lostAmount: number,
  asOf: number,
): DisputeBook {
  const next = pruned(book ?? emptyDisputeBook(), asOf);
  delete next.open[disputeId];
  bump(next, asOf, outcome === "customer_right" ? RIGHT : outcome === "customer_wrong" ? WRONG : PARTIAL, 1);
  if (lostAmount > 0) bump(next, asOf, LOST_AMOUNT, lostAmount);
  return next;
}

export interface DisputeHistory extends DisputeRecord {
  customerRight12m: number;
  customerWrong12m: number;
  partial12m: number;
  /** Disputed amounts the customer lost (not credited), 12 months. */
  lostAmount12m: number;
  openAmount: number;
  /** The open dispute open longest, and for how many whole days (null: none open). */
  oldestOpen: { disputeId: string; days: number } | null;
}

/** The dispute record over the trailing 12 months (the month of asOf and the 11 before). */
export function disputeHistory(book: DisputeBook | null | undefined, asOf: number): DisputeHistory {
  const to = monthIndexOfMs(asOf);
  const from = to - 11;
  const sums = new Array<number>(WIDTH).fill(0);
  for (const [k, v] of Object.entries(book?.months ?? {})) {
    const m = monthIndexOfKey(k);
    if (m < from || m > to) continue;
    for (let i = 0; i < WIDTH; i++) sums[i]! += v[i] ?? 0;
  }
  let openAmount = 0;
  let oldest: { disputeId: string; days: number } | null = null;
  for (const [id, d] of Object.entries(book?.open ?? {})) {
    openAmount += d.amount;
    const days = Math.max(0, Math.floor((asOf - d.openedAt) / DAY_MS));
    if (oldest === null || days > oldest.days || (days === oldest.days && id < oldest.disputeId))
      oldest = { disputeId: id, days };
  }
  return {
    lost12m: sums[WRONG]! + sums[PARTIAL]! / 2,
    opened12m: sums[OPENED]!,
    openedAmount12m: sums[OPENED_AMOUNT]!,
    open: Object.keys(book?.open ?? {}).length,
    customerRight12m: sums[RIGHT]!,
    customerWrong12m: sums[WRONG]!,
    partial12m: sums[PARTIAL]!,
    lostAmount12m: sums[LOST_AMOUNT]!,
    openAmount,
    oldestOpen: oldest,
  };
}
