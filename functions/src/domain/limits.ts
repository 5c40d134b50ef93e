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

const clampMoney = (x: number) => (Number.isFinite(x) ? Math.max(0, Math.min(Number.MAX_SAFE_INTEGER, Math.floor(x))) : 0);

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
export type LimitRequestSource = "user" | "policy_incentive" | "policy_penalty";

/** A limit change request (limitRequests/{id}); system proposals have deterministic ids. */
export interface LimitRequest {
  customerId: string;
  currentLimit: number;
  newLimit: number;
  /** Temporary limits add to the approved limit until they expire. */
  kind: "permanent" | "temporary";
  expiresAt: number | null;
  reason: string;
  requestedBy: string;
  requestedByRole: string | null;
  source: LimitRequestSource;
  status: LimitRequestStatus;
  createdAt: number;
  updatedAt: number;
  decidedAt: number | null;
  decidedBy: string | null;
  note: string | null;
}

/** The id of a policy proposal: one per customer, kind of proposal and month. */
export function proposalId(customerId: string, source: Exclude<LimitRequestSource, "user">, asOf: number): string {
  const d = new Date(asOf);
  return `${customerId}_${source}_${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, "0")}`;
}
