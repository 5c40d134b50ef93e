/**
 * Orders against the credit limit: the order check (read-only, one document read; or, with
 * `reserve`, one transaction that holds the credit or blocks the order), cancelling a
 * reservation, and a person releasing or rejecting a blocked order. Every hold, block, release,
 * rejection and cancellation is audited in the customer's chain in the same transaction.
 */
import { decisionTiming } from "../domain/reports.js";
import type { DocumentReference, Transaction } from "firebase-admin/firestore";
import { alertRefFor, raisedAlertDoc } from "../data/alerts.js";
import { AuditAppender, chains, headOf } from "../data/audit.js";
import {
  customerFromSnapshots,
  customerRefs,
  readCustomer,
  readCustomerHead,
  writeCustomer,
} from "../data/customers.js";
import { firestore } from "../data/firebase.js";
import { groupFromSnapshot, groupRefs } from "../data/groups.js";
import { newReservationId, orderBlockFromSnapshot, orderBlockRefs, orderBlockToStored } from "../data/orders.js";
import { idempotencyKey, priorResult, recordResult } from "../data/requests.js";
import {
  availableCredit,
  checkOrderAgainstTerms,
  committedExposure,
  effectiveLimit,
  type CustomerFile,
  type OrderCheck,
} from "../domain/customer.js";
import { personMemo } from "../domain/decisions.js";
import { CreditDeskError, denied, notFound, precondition } from "../domain/errors.js";
import { alertTransitions } from "../domain/monitoring.js";
import type { GroupPosition } from "../domain/groups.js";
import { holdForOrder } from "../domain/orderCheck.js";
import {
  liveReservations,
  releaseNeedsManager,
  reservedAmount,
  type OrderBlock,
  type Reservation,
  type Reservations,
} from "../domain/orders.js";
import { policyInCurrency, type FxTable } from "../domain/money.js";
import { withinAuthority, type Caller } from "../domain/roles.js";
import type { CancelReservationInput, CheckOrderInput, ReleaseOrderBlockInput } from "../schemas/callables.js";
import type { CreditPolicy } from "../schemas/policy.js";
import { logs } from "../logs.js";
import { assertInScope } from "./customers.js";
import { loadFxTable } from "./fx.js";
import { claimUpdateFor, positionFor, writeClaimUpdate, type ClaimUpdate } from "./groups.js";
import { authorityNote, conversionOf } from "./money.js";
import { HOUR_MS } from "../domain/time.js";

export interface OrderCheckResult extends OrderCheck {
  reservationId?: string;
  /** When the reservation lapses unless the order is recorded (ISO-8601). */
  expiresAt?: string;
  blockId?: string;
  /** A member of a credit group: the group's available credit, in the customer's and the group's currency. */
  group?: { groupId: string; availableCredit: number; groupAvailableCredit: number; currency: string };
}

const groupAnswer = (p: GroupPosition): NonNullable<OrderCheckResult["group"]> => ({
  groupId: p.groupId,
  availableCredit: p.availableInMemberCurrency,
  groupAvailableCredit: p.available,
  currency: p.currency,
});

const iso = (ms: number) => new Date(ms).toISOString();

/** The customer head's fields that follow the holds (the report's `reserved`, the available credit). */
function holdPatch(
  customer: CustomerFile,
  reservations: Reservations,
  openBlocks: CustomerFile["openBlocks"],
  now: number,
) {
  const next = { ...customer, reservations };
  return {
    reservations,
    openBlocks: openBlocks ?? {},
    reserved: reservedAmount(reservations, now),
    availableCredit: availableCredit(next, now),
    updatedAt: now,
  };
}

export async function checkOrder(
  input: CheckOrderInput,
  caller: Caller,
  now: number,
  policy: CreditPolicy,
): Promise<OrderCheckResult> {
  if (!input.reserve) {
    // One read: the head. A member of a credit group: a second, the group's head.
    const customer = await readCustomerHead(input.customerId);
    if (!customer) throw notFound("customer", input.customerId);
    assertInScope(customer, caller, input.customerId);
    const group = customer.groupId ? groupFromSnapshot(await groupRefs.group(customer.groupId).get()) : null;
    const position = group
      ? positionFor(
          customer.groupId!,
          group,
          customer,
          input.customerId,
          now,
          await loadFxTable(now, policy),
          input.orderRef,
        )
      : null;
    const result: OrderCheckResult = checkOrderAgainstTerms(
      customer,
      input.orderAmount,
      now,
      policy,
      input.orderRef,
      position,
    );
    if (position) result.group = groupAnswer(position);
    logs.orderChecked(input.customerId, result.decision);
    return result;
  }
  const orderRef = input.orderRef!; // the schema requires it with `reserve`
  const db = firestore();
  const key = idempotencyKey("checkOrder", caller.uid, input);
  const custRef = customerRefs.customer(input.customerId);
  const ids = { reservationId: newReservationId(), blockId: orderBlockRefs.newBlock().id };
  const result = await db.runTransaction(async (tx) => {
    // The head: every field of the check and the hold is on it; a group member's group head next.
    const [prior, snap] = await Promise.all([priorResult<OrderCheckResult>(tx, key), tx.get(custRef)]);
    if (prior !== undefined) return prior;
    const customer = customerFromSnapshots(snap, null);
    if (!customer) throw notFound("customer", input.customerId);
    assertInScope(customer, caller, input.customerId);
    const groupId = customer.groupId ?? null;
    const group = groupId ? groupFromSnapshot(await tx.get(groupRefs.group(groupId))) : null;
    const fx = group ? await loadFxTable(now, policy) : null;
    const position = group ? positionFor(groupId!, group, customer, input.customerId, now, fx!, orderRef) : null;
    const hold = holdForOrder(
      customer,
      { orderRef, amount: input.orderAmount },
      now,
      policy,
      ids,
      caller.uid,
      position,
    );
    const out: OrderCheckResult = { ...hold.check };
    // The group holds the reservation too: the member's claim rises with it (domain/groups.ts).
    let claim: ClaimUpdate | null = null;
    if (group) {
      const after = { ...customer, reservations: hold.reservations };
      claim = claimUpdateFor(
        groupId!,
        group,
        input.customerId,
        customer.currency,
        committedExposure(after, now),
        policy,
        fx!,
        now,
      );
      out.group = groupAnswer(positionFor(groupId!, group, after, input.customerId, now, fx!));
    }
    if (hold.reservation) {
      out.reservationId = hold.reservation.reservationId;
      out.expiresAt = iso(hold.reservation.expiresAt);
    }
    if (hold.block) out.blockId = hold.block.blockId;
    if (!hold.unchanged) {
      const audit = new AuditAppender(tx, chains.customer(input.customerId), headOf(snap.data()), now, {
        deferHead: true,
      });
      if (hold.block) {
        const blockRef = orderBlockRefs.block(hold.block.blockId);
        const fields = {
          amount: input.orderAmount,
          decision: hold.check.decision as OrderBlock["decision"],
          reasons: hold.check.reasons,
          updatedAt: now,
        };
        if (hold.block.isNew) {
          const block: OrderBlock = {
            customerId: input.customerId,
            ownerUid: customer.ownerUid,
            orderRef,
            currency: customer.currency,
            ...fields,
            requestedBy: caller.uid,
            requestedByRole: caller.role,
            status: "open",
            createdAt: now,
            decidedAt: null,
            decidedBy: null,
            decidedByRole: null,
            note: null,
            reasonCodes: [],
            reservationId: null,
          };
          tx.create(blockRef, orderBlockToStored(block));
        } else {
          tx.update(blockRef, orderBlockToStored(fields));
        }
        audit.append({
          action: "order.block",
          actor: caller,
          target: blockRef.path,
          before: hold.releasedReservation
            ? { reservationId: hold.releasedReservation.reservationId, reserved: hold.releasedReservation.amount }
            : null,
          after: {
            blockId: hold.block.blockId,
            orderRef,
            amount: input.orderAmount,
            decision: hold.check.decision,
            reasons: hold.check.reasons,
          },
          reason: hold.check.reasons.join(","),
          requestId: input.requestId ?? null,
        });
      } else if (hold.reservation) {
        if (hold.closedBlockId) {
          tx.update(
            orderBlockRefs.block(hold.closedBlockId),
            orderBlockToStored({
              status: "cancelled",
              ...personMemo(caller, now, "APPROVED_ON_RECHECK", [], ["APPROVED_ON_RECHECK"]),
              updatedAt: now,
            }),
          );
        }
        audit.append({
          action: "order.reserve",
          actor: caller,
          target: custRef.path,
          before: { availableCredit: availableCredit(customer, now) },
          after: {
            orderRef,
            reservationId: hold.reservation.reservationId,
            amount: hold.reservation.amount,
            expiresAt: iso(hold.reservation.expiresAt),
            availableCredit: hold.check.availableCredit,
            ...(hold.closedBlockId ? { closedBlockId: hold.closedBlockId } : {}),
            ...(out.group ? { groupId: out.group.groupId, groupAvailableCredit: out.group.groupAvailableCredit } : {}),
            ...(claim ? { groupClaim: claim.claim.amount } : {}),
          },
          reason: hold.check.reasons.join(","),
          requestId: input.requestId ?? null,
        });
      }
      if (claim) writeClaimUpdate(tx, claim, now);
      writeCustomer(
        tx,
        input.customerId,
        {
          ...holdPatch(customer, hold.reservations, hold.openBlocks, now),
          ...(claim ? { creditGroup: claim.mirror } : {}),
          ...audit.headFields,
        },
        undefined,
        { head: snap },
      );
    }
    recordResult(tx, key, out, now);
    return out;
  });
  logs.orderChecked(input.customerId, result.decision);
  return result;
}

export interface CancelReservationResult {
  released: boolean;
  blockCancelled: boolean;
}

/** The ERP or a person cancels an order: its reservation stops holding credit, an open block of it closes. */
export async function cancelReservation(
  input: CancelReservationInput,
  caller: Caller,
  now: number,
): Promise<CancelReservationResult> {
  const db = firestore();
  const key = idempotencyKey("cancelReservation", caller.uid, input);
  const custRef = customerRefs.customer(input.customerId);
  return db.runTransaction(async (tx) => {
    const [prior, snap] = await Promise.all([priorResult<CancelReservationResult>(tx, key), tx.get(custRef)]);
    if (prior !== undefined) return prior;
    const customer = customerFromSnapshots(snap, null);
    if (!customer) throw notFound("customer", input.customerId);
    assertInScope(customer, caller, input.customerId);
    const reservations = { ...(customer.reservations ?? {}) };
    const openBlocks = { ...(customer.openBlocks ?? {}) };
    const reservation = reservations[input.orderRef] ?? null;
    const block = openBlocks[input.orderRef] ?? null;
    const live = reservation !== null && reservation.expiresAt > now;
    const out: CancelReservationResult = { released: live, blockCancelled: block !== null };
    if (reservation || block) {
      delete reservations[input.orderRef];
      delete openBlocks[input.orderRef];
      if (block)
        tx.update(
          orderBlockRefs.block(block.blockId),
          orderBlockToStored({
            status: "cancelled",
            ...personMemo(caller, now, "ORDER_CANCELLED", [], ["ORDER_CANCELLED"]),
            updatedAt: now,
          }),
        );
      const audit = new AuditAppender(tx, chains.customer(input.customerId), headOf(snap.data()), now, {
        deferHead: true,
      });
      audit.append({
        action: "order.cancel",
        actor: caller,
        target: custRef.path,
        before: {
          reservationId: reservation?.reservationId ?? null,
          reserved: live ? reservation!.amount : 0,
          blockId: block?.blockId ?? null,
        },
        after: { orderRef: input.orderRef, released: out.released, blockCancelled: out.blockCancelled },
        reason: null,
        requestId: input.requestId ?? null,
      });
      writeCustomer(
        tx,
        input.customerId,
        { ...holdPatch(customer, liveReservations(reservations, now), openBlocks, now), ...audit.headFields },
        undefined,
        { head: snap },
      );
    }
    recordResult(tx, key, out, now);
    return out;
  });
}

export interface ReleaseOrderBlockResult {
  status: "released" | "rejected";
  blockId: string;
  reservationId?: string;
  expiresAt?: string;
}

const MANAGERS = new Set(["manager", "admin"]);

/**
 * A person decides a blocked order: release (the order's amount is reserved, even beyond the
 * available credit — the decision accepts that risk, and an over-limit file raises its alert)
 * or reject. Four eyes: never whoever ran the check; within authority for the order's amount;
 * a hard stop (a suspended file) only by a manager or an admin.
 */
export async function releaseOrderBlock(
  input: ReleaseOrderBlockInput,
  caller: Caller,
  now: number,
  policy: CreditPolicy,
  fx?: FxTable,
): Promise<ReleaseOrderBlockResult> {
  const table = fx ?? (await loadFxTable(now, policy));
  const db = firestore();
  const key = idempotencyKey("releaseOrderBlock", caller.uid, input);
  const blockRef = orderBlockRefs.block(input.blockId);
  const reservationId = newReservationId();
  return db.runTransaction(async (tx) => {
    const [prior, blockSnap] = await Promise.all([priorResult<ReleaseOrderBlockResult>(tx, key), tx.get(blockRef)]);
    if (prior !== undefined) return prior;
    const block = orderBlockFromSnapshot(blockSnap);
    if (!block) throw notFound("blocked order", input.blockId);
    const overLimitRef = alertRefFor({ kind: "customer", id: block.customerId }, "over_limit");
    const [read, overLimitSnap] = await Promise.all([readCustomer(tx, block.customerId), tx.get(overLimitRef)]);
    const customer = read.file;
    const snap = read.head;
    if (!customer) throw notFound("customer", block.customerId);
    const groupId = customer.groupId ?? null;
    const group =
      groupId && input.decision === "release" ? groupFromSnapshot(await tx.get(groupRefs.group(groupId))) : null;
    if (block.status !== "open") throw precondition(`blocked order is already ${block.status}`);
    if (block.requestedBy === caller.uid)
      throw precondition("four-eyes rule: whoever ran the order check cannot release or reject its block");
    const openBlocks = { ...(customer.openBlocks ?? {}) };
    delete openBlocks[block.orderRef];
    const reservations = liveReservations(customer.reservations, now);
    // The turnaround (block to decision) and its month, for the portfolio report's release turnaround.
    const decided = {
      ...personMemo(caller, now, input.note, input.reasonCodes, [
        input.decision === "release" ? "ORDER_RELEASED" : "ORDER_REJECTED",
      ]),
      ...decisionTiming(block.createdAt, now),
      updatedAt: now,
    };
    const audit = new AuditAppender(tx, chains.customer(block.customerId), headOf(snap.data()), now, {
      deferHead: true,
    });
    let out: ReleaseOrderBlockResult;
    let openAlerts = customer.openAlerts;
    let claim: ClaimUpdate | null = null;
    if (input.decision === "reject") {
      tx.update(blockRef, orderBlockToStored({ status: "rejected", ...decided }));
      audit.append({
        action: "order.block_reject",
        actor: caller,
        target: blockRef.path,
        before: { status: "open" },
        after: { status: "rejected", orderRef: block.orderRef, amount: block.amount, reasonCodes: decided.reasonCodes },
        reason: input.note,
        requestId: input.requestId ?? null,
      });
      out = { status: "rejected", blockId: input.blockId };
    } else {
      if (releaseNeedsManager(block) && !MANAGERS.has(caller.role ?? "")) {
        throw denied(`releasing an order the check rejected (${block.reasons.join(", ")}) needs a manager or an admin`);
      }
      // Authority is in the base currency, converted into the order's at decision time.
      if (!withinAuthority(caller.role, block.amount, policyInCurrency(policy, block.currency, table).authority)) {
        throw new CreditDeskError(
          "permission-denied",
          `an order of ${block.amount} minor units of ${block.currency} is above the ${caller.role} approval authority${authorityNote(policy, block.currency)}`,
        );
      }
      const others = Object.keys(reservations).filter((ref) => ref !== block.orderRef).length;
      if (others >= policy.orderCheck.maxOpenOrders) {
        throw precondition(
          `this customer has ${others} live reservations; record or cancel orders before releasing more`,
          { reason: "TOO_MANY_OPEN_RESERVATIONS" },
        );
      }
      const reservation: Reservation = {
        reservationId,
        amount: block.amount,
        createdAt: now,
        expiresAt: now + policy.orderCheck.reservationHours * HOUR_MS,
        createdBy: caller.uid,
      };
      reservations[block.orderRef] = reservation;
      tx.update(blockRef, orderBlockToStored({ status: "released", reservationId, ...decided }));
      const after = { ...customer, reservations };
      audit.append({
        action: "order.block_release",
        actor: caller,
        target: blockRef.path,
        before: { status: "open", availableCredit: availableCredit(customer, now) },
        after: {
          status: "released",
          orderRef: block.orderRef,
          amount: block.amount,
          reservationId,
          expiresAt: iso(reservation.expiresAt),
          availableCredit: availableCredit(after, now),
          reasonCodes: decided.reasonCodes,
          ...conversionOf(policy, block.currency, table),
        },
        reason: input.note,
        requestId: input.requestId ?? null,
      });
      openAlerts = writeOverLimitAlert(tx, audit, block.customerId, after, overLimitSnap.data(), caller, now);
      // The released order holds the group's credit too (even beyond it: the decision accepts that).
      claim = group
        ? claimUpdateFor(
            groupId!,
            group,
            block.customerId,
            customer.currency,
            committedExposure(after, now),
            policy,
            table,
            now,
          )
        : null;
      if (claim) writeClaimUpdate(tx, claim, now);
      out = { status: "released", blockId: input.blockId, reservationId, expiresAt: iso(reservation.expiresAt) };
    }
    writeCustomer(
      tx,
      block.customerId,
      {
        ...holdPatch(customer, reservations, openBlocks, now),
        openAlerts: openAlerts ?? {},
        ...(claim ? { creditGroup: claim.mirror } : {}),
        ...audit.headFields,
      },
      read,
    );
    recordResult(tx, key, out, now);
    return out;
  });
}

/** A release beyond the limit in force raises `over_limit` (resolved by monitoring or the ledger when cured). */
function writeOverLimitAlert(
  tx: Transaction,
  audit: AuditAppender,
  customerId: string,
  after: CustomerFile,
  existing: FirebaseFirestore.DocumentData | undefined,
  actor: Caller,
  now: number,
): CustomerFile["openAlerts"] {
  const over = committedExposure(after, now) > effectiveLimit(after, now);
  if (!over) return after.openAlerts;
  const t = alertTransitions(after.openAlerts, [
    { type: "over_limit", state: "on", code: "OVER_LIMIT_BY_RELEASE", details: {} },
  ]);
  const doc = t.raise.length
    ? raisedAlertDoc(
        existing,
        { type: "over_limit", subject: { kind: "customer", id: customerId }, code: "OVER_LIMIT_BY_RELEASE" },
        now,
      )
    : null;
  if (doc) {
    const ref: DocumentReference = alertRefFor({ kind: "customer", id: customerId }, "over_limit");
    tx.set(ref, doc);
    audit.append({
      action: "alert.raise",
      actor,
      target: ref.path,
      before: null,
      after: { type: "over_limit", code: "OVER_LIMIT_BY_RELEASE", status: "open" },
      reason: "OVER_LIMIT_BY_RELEASE",
      requestId: null,
    });
  }
  return t.openAlerts;
}
