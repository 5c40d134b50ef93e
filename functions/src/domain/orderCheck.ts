/**
 * The order check with a hold: what `checkOrder({reserve: true})` does to a credit file. An
 * approved order reserves its amount; an order the check does not approve is blocked for a
 * person (one open block per order). A member of a credit group is checked against the group's
 * available credit too (the caller reads the group head: domain/groups.ts). Pure: ids and the
 * clock come in.
 */
import type { CreditPolicy } from "../schemas/policy.js";
import {
  availableCredit,
  checkOrderAgainstTerms,
  type CreditTerms,
  type GroupCredit,
  type OrderCheck,
} from "./customer.js";
import { CreditDeskError } from "./errors.js";
import { liveReservations, type OpenBlocks, type Reservation, type Reservations } from "./orders.js";
import { HOUR_MS } from "./time.js";

export interface HeldOrder {
  orderRef: string;
  amount: number;
}

export interface OrderHold {
  /** The answer: the check's decision and reasons; available credit after the hold. */
  check: OrderCheck;
  reservations: Reservations;
  openBlocks: OpenBlocks;
  /** This order's reservation when approved (new, re-sized, or the one it already had). */
  reservation: Reservation | null;
  /** This order's open block when not approved. */
  block: { blockId: string; isNew: boolean } | null;
  /** A reservation this order had that no longer holds (the re-check did not approve it). */
  releasedReservation: Reservation | null;
  /** An open block of this order closed because a re-check approved it. */
  closedBlockId: string | null;
  /** Nothing changed: the same reservation or block already stood (a retried check). */
  unchanged: boolean;
}

export interface HoldIds {
  reservationId: string;
  blockId: string;
}

const REJECT_OR_REVIEW = new Set(["review", "reject"]);

export function holdForOrder(
  terms: CreditTerms & { openBlocks?: OpenBlocks | null },
  order: HeldOrder,
  asOf: number,
  policy: CreditPolicy,
  ids: HoldIds,
  by: string,
  group?: GroupCredit | null,
): OrderHold {
  const cap = policy.orderCheck.maxOpenOrders;
  const reservations = liveReservations(terms.reservations, asOf);
  const openBlocks: OpenBlocks = { ...(terms.openBlocks ?? {}) };
  const existing = reservations[order.orderRef] ?? null;
  let check = checkOrderAgainstTerms(terms, order.amount, asOf, policy, order.orderRef, group);
  const othersReserved = Object.keys(reservations).filter((ref) => ref !== order.orderRef).length;
  if (check.decision === "approve" && othersReserved >= cap) {
    check = { ...check, decision: "review", reasons: ["TOO_MANY_OPEN_RESERVATIONS"] };
  }
  const expired = Object.keys(terms.reservations ?? {}).length !== Object.keys(reservations).length;

  if (check.decision === "approve") {
    const blocked = openBlocks[order.orderRef] ?? null;
    if (blocked) delete openBlocks[order.orderRef];
    if (existing && existing.amount === order.amount && !blocked) {
      return {
        check: { ...check, availableCredit: availableCredit({ ...terms, reservations }, asOf) },
        reservations,
        openBlocks,
        reservation: existing,
        block: null,
        releasedReservation: null,
        closedBlockId: null,
        unchanged: !expired,
      };
    }
    const reservation: Reservation = {
      reservationId: existing?.reservationId ?? ids.reservationId,
      amount: order.amount,
      createdAt: asOf,
      expiresAt: asOf + policy.orderCheck.reservationHours * HOUR_MS,
      createdBy: by,
    };
    reservations[order.orderRef] = reservation;
    return {
      check: { ...check, availableCredit: availableCredit({ ...terms, reservations }, asOf) },
      reservations,
      openBlocks,
      reservation,
      block: null,
      releasedReservation: null,
      closedBlockId: blocked?.blockId ?? null,
      unchanged: false,
    };
  }

  if (!REJECT_OR_REVIEW.has(check.decision)) throw new Error(`unexpected order decision ${check.decision}`);
  if (existing) delete reservations[order.orderRef];
  const open = openBlocks[order.orderRef];
  if (!open && Object.keys(openBlocks).length >= cap) {
    throw new CreditDeskError(
      "resource-exhausted",
      `orderRef: this customer has ${cap} open blocked orders already; release, reject or cancel some first`,
      {
        field: "orderRef",
        reason: "TOO_MANY_OPEN_BLOCKS",
      },
    );
  }
  const blockId = open?.blockId ?? ids.blockId;
  const unchanged = open !== undefined && open.amount === order.amount && !existing && !expired;
  openBlocks[order.orderRef] = { blockId, amount: order.amount, createdAt: open?.createdAt ?? asOf };
  return {
    check: { ...check, availableCredit: availableCredit({ ...terms, reservations }, asOf) },
    reservations,
    openBlocks,
    reservation: null,
    block: { blockId, isNew: !open },
    releasedReservation: existing,
    closedBlockId: null,
    unchanged,
  };
}
