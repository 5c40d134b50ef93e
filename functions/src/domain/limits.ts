/**
 * Credit limit recommendation: min(trading need, financial capacity, grade cap), rounded
 * down to the policy's rounding unit; a new customer is also bounded by what it asked for
 * and by the starter cap. Every bound is reported so the recommendation explains itself.
 * Integer minor units throughout.
 */
import type { CreditPolicy, Grade } from "../schemas/policy.js";
import type { FinancialStatement } from "./financials.js";

export interface LimitInput {
  grade: Grade;
  /** Statement, only when its balance sheet balances (else null). */
  statement: FinancialStatement | null;
  paymentTermsDays: number;
  /** Purchases over the trailing 12 months (existing customers). */
  volume12m: number;
  /** New customer (application): bounded by the request and the starter cap. */
  isNew: boolean;
  requestedLimit: number | null;
}

export interface LimitBound {
  name: "tradingNeed" | "financialCapacity" | "gradeCap" | "requested" | "starterCap";
  amount: number;
}

export interface LimitRecommendation {
  recommendedLimit: number;
  bounds: LimitBound[];
  /** The bound that decided the recommendation. */
  bindingBound: LimitBound["name"];
}

const clampMoney = (x: number) =>
  Number.isFinite(x) ? Math.max(0, Math.min(Number.MAX_SAFE_INTEGER, Math.floor(x))) : 0;

export function tradingNeed(volume12m: number, paymentTermsDays: number, bufferDays: number): number {
  // Monthly purchases outstanding over the terms plus a buffer: volume/12 × (terms + buffer)/30.
  return clampMoney((volume12m * (paymentTermsDays + bufferDays)) / (12 * 30));
}

export function financialCapacity(statement: FinancialStatement | null, limits: CreditPolicy["limits"]): number {
  if (!statement) return limits.noStatementCapacity;
  return clampMoney(Math.min(statement.equity * limits.equityShare, statement.revenue * limits.revenueShare));
}

export function recommendLimit(input: LimitInput, policy: CreditPolicy): LimitRecommendation {
  const l = policy.limits;
  const bounds: LimitBound[] = [];
  // A new customer has no trading volume: its need is what it asked for.
  const need = input.isNew
    ? clampMoney(input.requestedLimit ?? 0)
    : tradingNeed(input.volume12m, input.paymentTermsDays, l.needBufferDays);
  bounds.push({ name: "tradingNeed", amount: need });
  bounds.push({ name: "financialCapacity", amount: financialCapacity(input.statement, l) });
  bounds.push({ name: "gradeCap", amount: l.gradeCaps[input.grade] });
  if (input.isNew) {
    bounds.push({ name: "requested", amount: clampMoney(input.requestedLimit ?? 0) });
    bounds.push({ name: "starterCap", amount: l.starterCap });
  }
  let binding = bounds[0]!;
  for (const b of bounds) if (b.amount < binding.amount) binding = b;
  const recommendedLimit = Math.floor(binding.amount / l.roundingUnit) * l.roundingUnit;
  return { recommendedLimit, bounds, bindingBound: binding.name };
}

export type LimitRequestStatus = "pending" | "approved" | "rejected";
export type LimitRequestSource = "user" | "policy_incentive" | "policy_penalty" | "policy_review";
export type LimitRequestKind = "permanent" | "temporary";

/**
 * A temporary limit: the total limit in force (not an amount on top) until it expires. The
 * limit in force is max(approved limit, unexpired temporary limit), so every figure in force
 * was approved as such by someone with the authority for it.
 */
export interface TemporaryLimit {
  limit: number;
  expiresAt: number;
}

/** The limits of a credit file: the approved (permanent) limit and a temporary limit, if any. */
export interface Limits {
  creditLimit: number;
  temporaryLimit: TemporaryLimit | null;
}

/** The temporary limit still in force at `asOf` (null once expired). */
export function temporaryLimitInForce(l: Pick<Limits, "temporaryLimit">, asOf: number): TemporaryLimit | null {
  const t = l.temporaryLimit;
  return t && t.expiresAt > asOf ? t : null;
}

/** The limit in force: the approved limit, or an unexpired temporary limit above it. */
export function limitInForce(l: Limits, asOf: number): number {
  const t = temporaryLimitInForce(l, asOf);
  return t && t.limit > l.creditLimit ? t.limit : l.creditLimit;
}

/** What a limit request asks for: a new approved limit, or a temporary limit until `expiresAt`. */
export interface LimitTarget {
  kind: LimitRequestKind;
  newLimit: number;
  expiresAt: number | null;
}

export type LimitDirection = "increase" | "decrease";

export type LimitChangePlan =
  | { ok: true; direction: LimitDirection; next: Limits }
  | { ok: false; field: "newLimit" | "expiresAt"; message: string };

/**
 * Classify a limit request against the limits in force and compute the limits it leads to.
 * A permanent request is compared with the approved limit; a temporary one with the temporary
 * limit in force. Anything that raises the approved limit, raises the temporary limit or
 * extends its expiry is an increase (an approver, within authority, never the requester);
 * only a change that raises nothing is a decrease.
 */
export function planLimitChange(current: Limits, target: LimitTarget, asOf: number): LimitChangePlan {
  const temp = temporaryLimitInForce(current, asOf);
  if (target.kind === "permanent") {
    if (target.newLimit === current.creditLimit)
      return { ok: false, field: "newLimit", message: "is the approved limit already" };
    const direction: LimitDirection = target.newLimit > current.creditLimit ? "increase" : "decrease";
    // A temporary limit at or below the new approved limit no longer adds anything: it ends.
    const keepTemp = temp !== null && temp.limit > target.newLimit ? temp : null;
    return { ok: true, direction, next: { creditLimit: target.newLimit, temporaryLimit: keepTemp } };
  }
  if (target.expiresAt === null || target.expiresAt <= asOf)
    return { ok: false, field: "expiresAt", message: "must be in the future" };
  if (target.newLimit <= current.creditLimit)
    return { ok: false, field: "newLimit", message: "a temporary limit must be above the approved limit" };
  const next: Limits = {
    creditLimit: current.creditLimit,
    temporaryLimit: { limit: target.newLimit, expiresAt: target.expiresAt },
  };
  if (temp === null || target.newLimit > temp.limit || target.expiresAt > temp.expiresAt)
    return { ok: true, direction: "increase", next };
  if (target.newLimit === temp.limit && target.expiresAt === temp.expiresAt)
    return { ok: false, field: "newLimit", message: "is the temporary limit in force already" };
  return { ok: true, direction: "decrease", next };
}

/**
 * Has what a request was based on changed by the time it is decided? A permanent request rests
 * on the approved limit; a temporary one also on the temporary limit in force.
 */
export function basisChanged(kind: LimitRequestKind, basis: Limits, current: Limits, asOf: number): boolean {
  if (basis.creditLimit !== current.creditLimit) return true;
  if (kind === "permanent") return false;
  const a = temporaryLimitInForce(basis, asOf);
  const b = temporaryLimitInForce(current, asOf);
  return (a?.limit ?? null) !== (b?.limit ?? null) || (a?.expiresAt ?? null) !== (b?.expiresAt ?? null);
}

/** A limit change request (limitRequests/{id}); system proposals have deterministic ids. */
export interface LimitRequest {
  customerId: string;
  /** The approved limit when the request was made. */
  currentLimit: number;
  /** The limits the request was based on (decisions refuse a request whose basis changed). */
  basis?: Limits;
  newLimit: number;
  /** Temporary limits are in force, in place of a lower approved limit, until they expire. */
  kind: LimitRequestKind;
  expiresAt: number | null;
  reason: string;
  requestedBy: string;
  requestedByRole: string | null;
  source: LimitRequestSource;
  status: LimitRequestStatus;
  createdAt: number;
  updatedAt: number;
  /** The decision memo (domain/decisions.ts): when, by whom in which role, the note and reason codes. */
  decidedAt: number | null;
  decidedBy: string | null;
  decidedByRole?: string | null;
  note: string | null;
  /** The decision memo's reason codes (policy proposals: why the policy proposed or applied it). */
  reasonCodes?: string[];
}

/** The id of a policy proposal: one per customer, kind of proposal and month. */
export function proposalId(customerId: string, source: Exclude<LimitRequestSource, "user">, asOf: number): string {
  const d = new Date(asOf);
  return `${customerId}_${source}_${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, "0")}`;
}
