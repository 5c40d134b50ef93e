/**
 * Credit held for orders: reservations made at the order check, and orders blocked for a
 * person to release or reject. Pure: the clock and ids are passed in.
 *
 * A reservation holds an approved order's amount from the order check until the order is
 * recorded (then the ledger counts it: never twice), cancelled, or its time runs out. Expiry is
 * read from the stored time: an expired reservation stops counting at once, whether or not a
 * job has tidied it away. Both maps live on the customer document, keyed by the ERP's order
 * reference, and are bounded by the policy (`orderCheck.maxOpenOrders`).
 */

export interface Reservation {
  reservationId: string;
  amount: number;
  createdAt: number;
  expiresAt: number;
  /** Who reserved (the order check's caller, or the person who released a block). */
  createdBy: string;
}

/** An order blocked at the order check, waiting for a person (orderBlocks/{blockId}). */
export interface OpenBlock {
  blockId: string;
  amount: number;
  createdAt: number;
}

export type Reservations = Record<string, Reservation>;
export type OpenBlocks = Record<string, OpenBlock>;

export interface HeldCredit {
  reservations?: Reservations | null;
}

/** Reservations still holding credit at `asOf`. */
export function liveReservations(reservations: Reservations | null | undefined, asOf: number): Reservations {
  const out: Reservations = {};
  for (const [orderRef, r] of Object.entries(reservations ?? {})) if (r.expiresAt > asOf) out[orderRef] = r;
  return out;
}

/** Credit held by live reservations at `asOf` (optionally leaving one order out: a re-check of it). */
export function reservedAmount(
  reservations: Reservations | null | undefined,
  asOf: number,
  exceptOrderRef?: string,
): number {
  let sum = 0;
  for (const [orderRef, r] of Object.entries(reservations ?? {}))
    if (r.expiresAt > asOf && orderRef !== exceptOrderRef) sum += r.amount;
  return sum;
}

export type BlockStatus = "open" | "released" | "rejected" | "cancelled" | "bypassed";

/** orderBlocks/{blockId}: an order the check did not approve, and what a person decided. */
export interface OrderBlock {
  customerId: string;
  /** The owning sales rep of the customer when blocked (who may read it). */
  ownerUid: string | null;
  orderRef: string;
  amount: number;
  currency: string;
  /** The order check's answer and reasons. */
  decision: "review" | "reject";
  reasons: string[];
  requestedBy: string;
  requestedByRole: string | null;
  status: BlockStatus;
  createdAt: number;
  updatedAt: number;
  decidedAt: number | null;
  decidedBy: string | null;
  decidedByRole: string | null;
  /** The decision memo (domain/decisions.ts): why it was released, rejected, cancelled or bypassed. */
  note: string | null;
  reasonCodes?: string[];
  reservationId: string | null;
  /** A person's release or rejection: its month and seconds since the block (the portfolio report's turnaround). */
  decidedMonth?: string;
  turnaroundSeconds?: number;
}

/**
 * Who may release a block: the check's hard stops (a suspended file) need a manager or an admin;
 * otherwise any approver within authority for the order's amount.
 */
export function releaseNeedsManager(block: Pick<OrderBlock, "decision">): boolean {
  return block.decision === "reject";
}
