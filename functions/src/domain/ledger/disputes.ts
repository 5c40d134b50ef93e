/**
 * Disputes as ledger state: an open dispute is a field of its invoice's applied entry
 * (`disputes: {disputeId: amount}`), so the state stays the sum of its entries' contributions
 * and opening or closing a dispute costs the invoice's entry and the state — constant, whatever
 * the history. While open, the disputed part of what remains of the invoice sits in
 * `state.disputed` by the invoice's due day: in the open balance and exposure, out of penalty
 * aging and out of the FIFO (cash paid on account is not applied to a disputed amount). Closing
 * puts it back on the ladder at the invoice's own due day: aging resumes from the original date.
 */
import { addEntry, assertState, cloneEntry, cloneState, disputedOn } from "./contrib.js";
import { type AppliedEntry, type LedgerState, LedgerError, addInt } from "./model.js";

export interface DisputeChange {
  state: LedgerState;
  entry: AppliedEntry;
}

/**
 * What of an invoice can still be disputed: its amount less the settlements that name it and
 * less its open disputes (cash paid on account is not known per invoice, and is not counted).
 * Throws unless the entry is an applied invoice.
 */
export function disputableAmount(entry: AppliedEntry | null, invoiceId: string): number {
  if (!entry || entry.applied?.type !== "invoice")
    throw new LedgerError(
      "not_an_invoice",
      "invoiceExternalId",
      `${invoiceId} is not a recorded invoice of this customer`,
    );
  let settled = 0;
  for (const r of entry.referencedBy) settled = addInt(settled, r.amount);
  return Math.max(0, entry.applied.amount - settled - disputedOn(entry));
}

function replaceEntry(state: LedgerState, before: AppliedEntry, after: AppliedEntry): LedgerState {
  assertState(state);
  const next = cloneState(state);
  addEntry(next, before, -1);
  addEntry(next, after, 1);
  return next;
}

/** Open a dispute of `amount` on the invoice of `entry` (1 ≤ amount ≤ disputableAmount). */
export function openDisputeOnEntry(
  state: LedgerState,
  entry: AppliedEntry | null,
  invoiceId: string,
  disputeId: string,
  amount: number,
): DisputeChange {
  const open = disputableAmount(entry, invoiceId);
  if (!Number.isSafeInteger(amount) || amount <= 0)
    throw new LedgerError("invalid_amount", "amount", "must be a positive integer amount");
  if (amount > open)
    throw new LedgerError(
      "amount_above_open",
      "amount",
      `is more than what of the invoice is open and undisputed (${open})`,
    );
  if (entry!.disputes && Object.hasOwn(entry!.disputes, disputeId))
    throw new LedgerError("dispute_exists", "disputeId", `${disputeId} is already open on ${invoiceId}`);
  const after = cloneEntry(entry!);
  after.disputes = { ...(after.disputes ?? {}), [disputeId]: amount };
  return { state: replaceEntry(state, entry!, after), entry: after };
}

/**
 * Close a dispute: its amount leaves `disputed` and what of it is still open ages again from
 * the invoice's due day. A dispute the entry does not hold (already closed, or the invoice was
 * deleted) changes nothing.
 */
export function closeDisputeOnEntry(
  state: LedgerState,
  entry: AppliedEntry | null,
  disputeId: string,
): DisputeChange | null {
  if (!entry?.disputes || !Object.hasOwn(entry.disputes, disputeId)) return null;
  const after = cloneEntry(entry);
  const rest = { ...entry.disputes };
  delete rest[disputeId];
  if (Object.keys(rest).length > 0) after.disputes = rest;
  else delete after.disputes;
  return { state: replaceEntry(state, entry, after), entry: after };
}
