/**
 * Credit groups: setting a group (name, limit, members) and the claim updates the order check,
 * block releases and the ledger make when a member's committed exposure passes its claim
 * (domain/groups.ts explains the claims). Every group change is audited in the group's chain and
 * in each joining or leaving member's chain, in one transaction.
 */
import type { Transaction } from "firebase-admin/firestore";
import { AuditAppender, chains, headOf } from "../data/audit.js";
import { readCustomer, writeCustomer, type CustomerRead } from "../data/customers.js";
import { firestore } from "../data/firebase.js";
import { groupFromSnapshot, groupRefs, groupToStored, writeClaim } from "../data/groups.js";
import { idempotencyKey, priorResult, recordResult } from "../data/requests.js";
import { committedExposure, type CustomerFile } from "../domain/customer.js";
import { CreditDeskError, invalid, notFound, precondition } from "../domain/errors.js";
import {
  claimChange,
  groupPosition,
  groupTotals,
  releaseStep,
  type CreditGroup,
  type GroupClaim,
  type GroupPosition,
  type MemberGroupState,
} from "../domain/groups.js";
import { canConvert, fxRateMissing, policyInCurrency, type FxTable } from "../domain/money.js";
import { withinAuthority, type Caller } from "../domain/roles.js";
import type { SetCreditGroupInput } from "../schemas/callables.js";
import type { CreditPolicy } from "../schemas/policy.js";
import { logs } from "../logs.js";
import { loadFxTable } from "./fx.js";
import { authorityNote, conversionOf } from "./money.js";
import { HOUR_MS } from "../domain/time.js";

// ---------------------------------------------------------------- claims (shared by checks, releases, the ledger)

/** A member's claim to write with its transaction: the group head's entry and the member's mirror. */
export interface ClaimUpdate {
  groupId: string;
  memberId: string;
  claim: GroupClaim;
  totals: Pick<CreditGroup, "exposure" | "availableCredit" | "exposureInBase">;
  mirror: MemberGroupState;
  direction: "raise" | "lower";
}

/**
 * The claim a member's new committed exposure calls for, judged against the group head as read
 * in this transaction (null: leave it). A member the head does not list (left the group) has none.
 */
export function claimUpdateFor(
  groupId: string,
  group: CreditGroup,
  memberId: string,
  memberCurrency: string,
  committed: number,
  policy: CreditPolicy,
  fx: FxTable,
  now: number,
): ClaimUpdate | null {
  if (!group.memberIds.includes(memberId)) return null;
  const step = releaseStep(group, memberCurrency, policy.creditGroups.claimReleaseShare, fx);
  const held = group.claims[memberId];
  const change = claimChange(
    held ? { claim: held.amount, releaseStep: step, changedAt: held.changedAt ?? 0 } : null,
    committed,
    now,
    holdMs(policy),
  );
  if (!change) return null;
  const claim = { amount: change.claim, currency: memberCurrency, changedAt: now };
  const claims = { ...group.claims, [memberId]: claim };
  return {
    groupId,
    memberId,
    claim,
    totals: groupTotals({ ...group, claims }, policy.baseCurrency, fx),
    mirror: { groupId, claim: change.claim, releaseStep: step, changedAt: now },
    direction: change.direction,
  };
}

const holdMs = (policy: CreditPolicy) => policy.creditGroups.claimHoldHours * HOUR_MS;

/** Write a claim update (the caller puts `creditGroup: update.mirror` in its write of the member). */
export function writeClaimUpdate(tx: Transaction, u: ClaimUpdate, now: number): void {
  writeClaim(tx, u.groupId, u.memberId, u.claim, u.totals, now);
}

/** The group as one member's order check sees it, with the member's committed exposure (except one order). */
export function positionFor(
  groupId: string,
  group: CreditGroup,
  customer: CustomerFile,
  customerId: string,
  now: number,
  fx: FxTable,
  exceptOrderRef?: string,
): GroupPosition {
  return groupPosition(
    groupId,
    group,
    customerId,
    customer.currency,
    committedExposure(customer, now, exceptOrderRef),
    fx,
  );
}

/**
 * The ledger's and the daily monitor's hook (services/transactions.ts, services/monitoring.ts):
 * given the member's file after the change (the monitor: as it is, its lapsed reservations no
 * longer counting), decide from the mirror alone whether the group head must be touched; only
 * then read it (one more read, in the read phase). Constant cost: zero or one read and write.
 */
export async function readClaimUpdate(
  tx: Transaction,
  customerId: string,
  before: CustomerFile,
  after: CustomerFile,
  now: number,
  policy: CreditPolicy,
): Promise<ClaimUpdate | null> {
  const groupId = before.groupId ?? null;
  if (!groupId) return null;
  const committed = committedExposure(after, now);
  const mirror = before.creditGroup?.groupId === groupId ? before.creditGroup : null;
  if (!claimChange(mirror, committed, now, holdMs(policy))) return null;
  const group = groupFromSnapshot(await tx.get(groupRefs.group(groupId)));
  if (!group) return null;
  const fx = await loadFxTable(now, policy);
  if (!canConvert(fx, before.currency) || !canConvert(fx, group.currency)) return null; // counted at the next set, never guessed
  return claimUpdateFor(groupId, group, customerId, before.currency, committed, policy, fx, now);
}

// ---------------------------------------------------------------- setCreditGroup

export interface SetCreditGroupResult {
  groupId: string;
  currency: string;
  groupLimit: number;
  memberIds: string[];
  added: string[];
  removed: string[];
  /** The members' committed exposure now, in the group currency. */
  exposure: number;
  availableCredit: number;
}

/**
 * Create a credit group or replace its name, limit, currency and members (a manager within
 * authority for the limit, or an admin). A customer belongs to one group at most. Every member's
 * claim starts at its committed exposure now (read here), so the group head is exact after a set.
 */
export async function setCreditGroup(
  input: SetCreditGroupInput,
  caller: Caller,
  now: number,
  policy: CreditPolicy,
  fx?: FxTable,
): Promise<SetCreditGroupResult> {
  if (input.memberIds.length > policy.creditGroups.maxMembers)
    throw invalid(
      "memberIds",
      `at most ${policy.creditGroups.maxMembers} members per group (policy creditGroups.maxMembers)`,
    );
  const table = fx ?? (await loadFxTable(now, policy));
  const db = firestore();
  const groupRef = groupRefs.group(input.groupId);
  const key = idempotencyKey("setCreditGroup", caller.uid, input);
  const result = await db.runTransaction(async (tx) => {
    const [prior, groupSnap] = await Promise.all([priorResult<SetCreditGroupResult>(tx, key), tx.get(groupRef)]);
    if (prior !== undefined) return prior;
    const before = groupFromSnapshot(groupSnap);
    const currency = input.currency ?? before?.currency ?? policy.baseCurrency;
    if (!canConvert(table, currency))
      throw invalid("currency", `${currency} has no exchange rate in the FX table in force (config/fxRates)`);
    // Authority for a new or higher group limit, in the base currency converted into the group's.
    const raises = !before || currency !== before.currency || input.groupLimit > before.groupLimit;
    if (
      raises &&
      !withinAuthority(caller.role, input.groupLimit, policyInCurrency(policy, currency, table).authority)
    ) {
      throw new CreditDeskError(
        "permission-denied",
        `a group limit of ${input.groupLimit} minor units of ${currency} is above the ${caller.role} approval authority${authorityNote(policy, currency)}`,
        { field: "groupLimit" },
      );
    }
    const oldMembers = before?.memberIds ?? [];
    const everyone = [...new Set([...oldMembers, ...input.memberIds])];
    const reads = await Promise.all(everyone.map((id) => readCustomer(tx, id)));
    const files = new Map<string, CustomerRead>(everyone.map((id, i) => [id, reads[i]!]));
    for (const id of input.memberIds) {
      const f = files.get(id)!.file;
      if (!f) throw notFound("customer", id);
      if (f.groupId && f.groupId !== input.groupId) {
        throw precondition(`customer ${id} belongs to credit group ${f.groupId}: take it out of that group first`, {
          reason: "MEMBER_OF_ANOTHER_GROUP",
          customerId: id,
          groupId: f.groupId,
        });
      }
      if (!canConvert(table, f.currency)) throw fxRateMissing(f.currency, table);
    }
    const added = input.memberIds.filter((id) => !oldMembers.includes(id));
    const removed = oldMembers.filter((id) => !input.memberIds.includes(id));

    // Every member's claim is its committed exposure now: the head is exact after a set.
    const claims: Record<string, GroupClaim> = {};
    for (const id of input.memberIds) {
      const f = files.get(id)!.file!;
      claims[id] = { amount: committedExposure(f, now), currency: f.currency, changedAt: now };
    }
    const shape = { claims, currency, groupLimit: input.groupLimit };
    const totals = groupTotals(shape, policy.baseCurrency, table);
    const group: CreditGroup = {
      name: input.name,
      currency,
      groupLimit: input.groupLimit,
      memberIds: input.memberIds,
      claims,
      ...totals,
      createdAt: before?.createdAt ?? now,
      updatedAt: now,
    };
    const groupAudit = new AuditAppender(tx, chains.group(input.groupId), headOf(groupSnap.data()), now, {
      deferHead: true,
    });
    const view = (g: Pick<CreditGroup, "name" | "currency" | "groupLimit" | "memberIds"> | null) =>
      g ? { name: g.name, currency: g.currency, groupLimit: g.groupLimit, memberIds: g.memberIds } : null;
    groupAudit.append({
      action: before ? "group.update" : "group.create",
      actor: caller,
      target: groupRef.path,
      before: view(before),
      after: { ...view(group), added, removed, exposure: totals.exposure, ...conversionOf(policy, currency, table) },
      reason: input.reason,
      requestId: input.requestId ?? null,
    });
    tx.set(groupRef, { ...groupToStored(group), ...groupAudit.headFields });

    // Members: joining and leaving ones are audited in their own chains; every member's mirror is refreshed.
    for (const id of everyone) {
      const read = files.get(id)!;
      const f = read.file;
      if (!f) continue; // a former member whose file is gone: nothing to update
      const joining = added.includes(id);
      const leaving = removed.includes(id);
      const mirror: MemberGroupState | null = leaving
        ? null
        : {
            groupId: input.groupId,
            claim: claims[id]!.amount,
            releaseStep: releaseStep(group, f.currency, policy.creditGroups.claimReleaseShare, table),
            changedAt: now,
          };
      const patch: Record<string, unknown> = { creditGroup: mirror };
      if (joining || leaving) {
        patch.groupId = leaving ? null : input.groupId;
        const audit = new AuditAppender(tx, chains.customer(id), headOf(read.head.data()), now, { deferHead: true });
        audit.append({
          action: joining ? "customer.group_join" : "customer.group_leave",
          actor: caller,
          target: read.head.ref.path,
          before: { groupId: f.groupId ?? null },
          after: { groupId: leaving ? null : input.groupId },
          reason: input.reason,
          requestId: input.requestId ?? null,
        });
        Object.assign(patch, audit.headFields);
        patch.updatedAt = now;
      }
      writeCustomer(tx, id, patch, read);
    }
    const out: SetCreditGroupResult = {
      groupId: input.groupId,
      currency,
      groupLimit: input.groupLimit,
      memberIds: input.memberIds,
      added,
      removed,
      exposure: totals.exposure,
      availableCredit: totals.availableCredit,
    };
    recordResult(tx, key, out, now);
    return out;
  });
  logs.creditGroupSet(input.groupId, result.memberIds.length, result.added.length, result.removed.length);
  return result;
}
