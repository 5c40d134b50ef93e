/**
 * Customer ledger: running receivables aggregates that cost O(1) document reads per record.
 *
 * PURE domain code: no Firebase, no clock (asOf is passed in), no randomness. Money is integer
 * minor units; every sum is checked with Number.isSafeInteger (LedgerError "overflow").
 *
 * ── Semantics: a pure function of the SET of records (keyed by externalId) ──────────────────
 * Dates are read at UTC-day resolution: day(t) = floor(t / 86 400 000); months are UTC months.
 * 1. Orders: open exposure while status is "open" (or absent); "fulfilled" (invoiced) and
 *    "cancelled" are not. The caller marks an order fulfilled (a new version) when it is invoiced.
 * 2. Dishonoured payments settle nothing; they are counted (dishonouredPayments).
 * 3. Referenced settlement: the payments and credit notes that name invoice X settle X in order of
 *    (issuedAt, externalId) up to X's amount; what exceeds it joins the pool (4) at the
 *    settlement's own date. If no invoice X is in the set, the settlement is held for X: it is
 *    unapplied cash (reported also as awaitingInvoice) and settles nothing else. When X arrives,
 *    it settles X exactly as if X had always been there.
 * 4. The pool = unreferenced payments and credit notes + excesses from (3). It settles the open
 *    remainder of the invoices oldest first (dueAt, then issuedAt, then externalId), FIFO: pool
 *    amounts are taken in date order (same day: credit notes before cash). What the pool cannot
 *    place is unapplied cash (kept, never lost).
 * 5. Aggregates at asOf: openInvoiceBalance = what remains of invoices after (3) and (4);
 *    exposure = openInvoiceBalance + openOrders; aging by days past due = day(asOf) - day(dueAt):
 *    current <= 0 (not yet due or due today), d1_30, d31_60, d61_90, d90plus >= 91;
 *    oldestDaysPastDue = max days past due of an open amount (0 if none overdue).
 *    Every record in the set counts, whatever its date relative to asOf (no time travel).
 * 6. Trailing 12 months = the UTC calendar month of asOf and the 11 before it (month buckets).
 *    volume12m: gross invoice amounts by issue month; invoiceCount12m: invoices by issue month.
 *    orderCount12m: orders that are not cancelled, by issue month. dishonouredPayments:
 *    dishonoured payments by payment month (trailing 12 months, not all time); payments12m:
 *    payments that are not dishonoured. dishonouredUnreplaced: of the dishonoured amounts in
 *    the window, what cash received on or after each (days in order, a bounce before cash of
 *    the same day) has not paid down; lastDishonouredAt: the latest bounce's day.
 * 6b. Disputes (not records: state of an invoice, see ./ledger/disputes.ts): an open dispute
 *    takes min(disputed, what remains after (3)) of its invoice out of (4) and of aging into
 *    aging.disputed (still in openInvoiceBalance and exposure; not in oldestDaysPastDue).
 * 7. Payment behaviour (cash only; credit notes are not payments and are left out):
 *    a SETTLEMENT CHUNK is an amount of a payment applied to an invoice by (3) or (4); it is dated
 *    at the payment's day. For chunks dated in the trailing 12 months:
 *    onTimeRatio12m = sum(chunks paid on or before the due day) / sum(chunks);
 *    avgDaysBeyondTerms12m = sum(chunk x max(0, payDay - dueDay)) / sum(chunks)
 *    (amount-weighted, on-time chunks count 0 days); null when there is no chunk.
 *    This is the classic "payments applied to invoices" view: a part payment counts for its part,
 *    a payment that completes an old invoice late counts late, cash paid before an invoice's due
 *    day counts on time.
 * 8. firstActivityAt / lastActivityAt: start (00:00 UTC) of the day of the earliest / latest
 *    record of any type (day resolution keeps the state bounded under deletions).
 *
 * ── Incremental form: why it equals the set-wise function ───────────────────────────────────
 * Each external id has an AppliedEntry document: the applied version of the record with that id
 * (or null) and the list of settling payments/credit notes that reference that id (sorted by id).
 * Both parts are functions of the set, whatever the arrival order: a payment for an unknown
 * invoice creates the invoice id's entry as a placeholder holding itself; the invoice's apply
 * reads that entry as its `previous`. The state is the SUM over entries of contribution(entry),
 * a pure function of the entry (./ledger/contrib.ts): an invoice entry adds its unsettled
 * remainder (after (3)) to a ladder by due day, its excesses to the credit/cash pools by day,
 * and its direct cash chunks to the month buckets [settled, onTime, lateAmountDays]; an entry
 * without an invoice adds its referencing settlements to `held`. Day maps are stored as
 * "YYYY-MM" -> [value per day of month] (dozens of keys, not one per day). Applying a record =
 * subtract the old contribution of the (at most 3) touched entries, add the new ones, so every
 * permutation/duplication gives the same state, and unapply/correction are exact. summarize()
 * then runs (4) as a FIFO merge of two day-sorted lists — same-day invoices share their due day,
 * so every aggregate of (4) is determined by the day-keyed totals.
 *
 * Reads per record: customer doc (state) + own entry + at most one referenced invoice entry.
 * One exception: a correction that MOVES a settlement off invoice X (other invoice, no reference,
 * other type) also needs X's entry (previousReferencedEntryId) — 4 reads, still constant.
 * CPU: O(state size + settlements of the touched invoice) per apply; summarize O(state size).
 * Measured (test "cost"): 10,000 records over 3 years -> 15-22 KB of state JSON (11-14 KB after
 * compactLedger), ~0.1 ms per applyRecord, ~1 ms per summarize on Node 20.
 *
 * ── Bounding the state (compaction) ─────────────────────────────────────────────────────────
 * Without compaction the day maps grow with history: one value per active day (activity), per
 * due day of an invoice not fully settled by reference (ladder), per day of unreferenced cash
 * (pools); month buckets grow by one key a month. compactLedger(state, asOf, 24) folds what
 * is older than 24 whole months before asOf: drops month buckets no 12-month window at/after asOf
 * reads, removes the old ladder/pool prefix that FIFO-settle each other (exact), and keeps only
 * the earliest and latest old activity day. summarize is unchanged for every asOf' >= asOf.
 * After a fold, a record dated before the cutoff that is added, corrected or deleted still keeps
 * all balances, unapplied cash, exposure and 12-month figures exact; only its position inside
 * the folded history (aging day, which FIFO chunk) is approximated. Properties (a)-(e) are
 * tested unfolded; a separate property tests the fold (exact after, totals exact on changes).
 * The daily monitor calls it on every visit (compactLedgerIfDue: a fold when the cutoff has moved
 * past compactedBefore and something is older than it; services/monitoring.ts).
 *
 * Firestore notes: exempt the state field from single-field indexing (its arrays and month keys
 * are never queried). An invoice entry grows with the number of payments referencing it.
 * Stale versions: applyRecord treats the version it is given as current; the service must not
 * re-apply an older version after a newer one (compare the transaction document's version first).
 */
export {
  type AppliedEntry,
  type AppliedVersion,
  type LedgerRecord,
  type LedgerRecordType,
  type LedgerState,
  type ReferencingSettlement,
  LedgerError,
  MAX_RECORD_AMOUNT,
  ORDER_STATUSES,
  PAYMENT_STATUSES,
  RECORD_TYPES,
} from "./ledger/model.js";
export { type LedgerRejection, type ValidationContext, validateRecord } from "./ledger/validate.js";
export { disputedOn, emptyLedger, isEmptyEntry } from "./ledger/contrib.js";
export { type DisputeChange, closeDisputeOnEntry, disputableAmount, openDisputeOnEntry } from "./ledger/disputes.js";
export {
  type ApplyResult,
  type EntryWrite,
  type UnapplyResult,
  applyRecord,
  previousReferencedEntryId,
  referencedEntryId,
  unapplyRecord,
  unapplyReferencedEntryId,
} from "./ledger/apply.js";
export {
  type AgingBuckets,
  type LedgerAggregates,
  type MonthSettlement,
  DEFAULT_COMPACTION_MONTHS,
  compactLedger,
  compactLedgerIfDue,
  settledByMonth,
  summarize,
} from "./ledger/summarize.js";
export { recomputeFromHistory } from "./ledger/oracle.js";
