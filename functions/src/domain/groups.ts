/**
 * Credit groups: a parent and its subsidiaries under one group limit, beside each member's own
 * limit. Pure: the FX table and the clock come in.
 *
 * How the group's exposure is kept without a hot document. The group head
 * (creditGroups/{groupId}) holds, per member, a **claim**: an amount of the member's currency
 * that is never below the member's committed exposure (open invoices + open orders + live
 * reservations) at any commit. The group's committed exposure, as every check counts it, is the
 * sum of the other members' claims plus the checking member's own committed exposure, fresh
 * from its credit file.
 *  - A claim is **raised at once**, in the same transaction as whatever takes the member above it
 *    (a reservation, a released block, a recorded order or invoice): the group never counts less
 *    than is committed, and two members reserving at the same time serialize on the group head.
 *  - A claim is **lowered lazily**: only when the member's committed exposure has fallen at least
 *    `creditGroups.claimReleaseShare` of the group limit below it (payments, cancellations, lapsed
 *    reservations) *and* the claim has not changed for `creditGroups.claimHoldHours`. So a claim is
 *    the member's high-water mark of the last day or so: until it is lowered the group counts a
 *    little more than is committed — the conservative side — and a member whose exposure goes up
 *    and down with its orders and payments does not write the group head on each swing.
 * So a member's order reserved at the check and then recorded, invoiced and paid writes the group
 * head when the reservation takes the member above its high-water mark, and when a day's payments
 * have freed a release step — not on every record. The member's file mirrors its claim
 * (`creditGroup`), so the ledger path knows without reading the group head whether it must touch it.
 *
 * Rounding: claims convert into the group's currency rounding up, available credit converts into
 * a member's currency rounding down (domain/money.ts): the group is never counted as having more.
 */
import { convertMinor, type FxTable } from "./money.js";

export interface GroupClaim {
  /** Minor units of the member's currency. */
  amount: number;
  currency: string;
  /** When the claim last changed (a lower waits claimHoldHours after it). */
  changedAt: number;
}

/** creditGroups/{groupId}: the group head. */
export interface CreditGroup {
  name: string;
  /** The currency of the group limit (the policy's base currency unless set otherwise). */
  currency: string;
  groupLimit: number;
  memberIds: string[];
  claims: Record<string, GroupClaim>;
  /** Sum of the claims in the group currency when last written (report order; checks recompute). */
  exposure: number;
  availableCredit: number;
  /** The same sum in the policy's base currency when last written (ranks groups across currencies). */
  exposureInBase: number;
  createdAt: number;
  updatedAt: number;
}

/** The member's mirror of its claim, on its credit file (confidential state). */
export interface MemberGroupState {
  groupId: string;
  claim: number;
  /** How far committed exposure must fall below the claim before the claim is lowered (member currency). */
  releaseStep: number;
  changedAt: number;
}

/** Sum of the claims of every member but `except`, in the group currency (each rounded up). */
export function othersClaimed(
  group: Pick<CreditGroup, "claims" | "currency">,
  except: string | null,
  fx: FxTable,
): number {
  let sum = 0;
  for (const [memberId, c] of Object.entries(group.claims)) {
    if (memberId === except) continue;
    sum += convertMinor(c.amount, c.currency, group.currency, fx, "up");
  }
  return sum;
}

export interface GroupPosition {
  groupId: string;
  currency: string;
  groupLimit: number;
  /** The group's committed exposure in its currency: others' claims + this member's committed now. */
  committed: number;
  /** groupLimit − committed, in the group currency (negative when over). */
  available: number;
  /** The same available credit in the member's currency (rounded down). */
  availableInMemberCurrency: number;
}

/** The group seen from one member whose committed exposure (member currency) is `memberCommitted`. */
export function groupPosition(
  groupId: string,
  group: Pick<CreditGroup, "claims" | "currency" | "groupLimit">,
  memberId: string,
  memberCurrency: string,
  memberCommitted: number,
  fx: FxTable,
): GroupPosition {
  const committed =
    othersClaimed(group, memberId, fx) + convertMinor(memberCommitted, memberCurrency, group.currency, fx, "up");
  const available = group.groupLimit - committed;
  return {
    groupId,
    currency: group.currency,
    groupLimit: group.groupLimit,
    committed,
    available,
    availableInMemberCurrency: convertMinor(available, group.currency, memberCurrency, fx, "down"),
  };
}

/** The release step of a member: the policy's share of the group limit, in the member's currency. */
export function releaseStep(
  group: Pick<CreditGroup, "groupLimit" | "currency">,
  memberCurrency: string,
  share: number,
  fx: FxTable,
): number {
  const step = Math.floor(group.groupLimit * share);
  return Math.max(1, convertMinor(step, group.currency, memberCurrency, fx, "down"));
}

/**
 * Does a member's claim change now that its committed exposure is `committed`? Raised whenever
 * exceeded; lowered when it has fallen a release step or more below and has held for `holdMs`;
 * otherwise left alone.
 */
export function claimChange(
  current: { claim: number; releaseStep: number; changedAt: number } | null,
  committed: number,
  now: number,
  holdMs: number,
): { claim: number; direction: "raise" | "lower" } | null {
  const claim = current?.claim ?? 0;
  if (committed > claim) return { claim: committed, direction: "raise" };
  const held = current === null || now - current.changedAt >= holdMs;
  if (held && claim - committed >= Math.max(1, current?.releaseStep ?? 1))
    return { claim: committed, direction: "lower" };
  return null;
}

/** The group head's running figures from its claims (group currency, and base currency for ranking). */
export function groupTotals(
  group: Pick<CreditGroup, "claims" | "currency" | "groupLimit">,
  baseCurrency: string,
  fx: FxTable,
): Pick<CreditGroup, "exposure" | "availableCredit" | "exposureInBase"> {
  const exposure = othersClaimed(group, null, fx);
  return {
    exposure,
    availableCredit: group.groupLimit - exposure,
    exposureInBase: convertMinor(exposure, group.currency, baseCurrency, fx, "up"),
  };
}
