/**
 * The decided documents of credit judgement and their pure rules: disputes (disputes/{id}),
 * payment-terms changes (termsChanges/{id}) and class overrides (classOverrides/{id}). Each
 * keeps its decision memo on itself. Pure: the clock comes in.
 */
import type { CreditPolicy, Tier } from "../schemas/policy.js";
import type { CustomerFile } from "./customer.js";
import type { DisputeOutcome } from "./disputes.js";
import type { DecisionMemo } from "./decisions.js";
import { CreditDeskError, invalid, precondition } from "./errors.js";
import { DAY_MS } from "./time.js";

/** The decision memo every decided document carries. */
export interface DisputeDoc extends DecisionMemo {
  customerId: string;
  /** The customer's sales rep when the dispute was opened (who else may read it). */
  ownerUid: string | null;
  invoiceExternalId: string;
  amount: number;
  currency: string;
  reason: string;
  status: "open" | "resolved";
  outcome: DisputeOutcome | null;
  /** What the resolution credited (a credit note in the ledger), null while open. */
  creditedAmount: number | null;
  creditNoteExternalId: string | null;
  openedBy: string;
  openedByRole: string | null;
  openedAt: number;
  updatedAt: number;
}

export interface TermsChangeDoc extends DecisionMemo {
  customerId: string;
  ownerUid: string | null;
  /** The terms when the request was made (a decision refuses a request whose basis changed). */
  currentTermsDays: number;
  paymentTermsDays: number;
  direction: "longer" | "shorter";
  reason: string;
  requestedBy: string;
  requestedByRole: string | null;
  status: "pending" | "approved" | "rejected";
  createdAt: number;
  updatedAt: number;
}

export interface ClassOverrideDoc extends DecisionMemo {
  customerId: string;
  tier: Tier;
  /** The class the file had when it was overridden. */
  computedTier: Tier;
  reason: string;
  expiresAt: number;
  createdAt: number;
}

/** The credit note a dispute's resolution records: a deterministic id, so the ERP may send the same record. */
export function disputeCreditNoteId(disputeId: string): string {
  return `DSP-${disputeId}`;
}

/**
 * What a resolution credits and what the customer loses: customer_right credits the disputed
 * amount (or `creditedAmount`, up to it), customer_wrong credits nothing, partial credits
 * `creditedAmount` (more than 0, less than the disputed amount).
 */
export function disputeResolution(
  amount: number,
  outcome: DisputeOutcome,
  creditedAmount: number | undefined,
): { credited: number; lost: number } {
  if (outcome === "customer_wrong") {
    if (creditedAmount !== undefined && creditedAmount !== 0)
      throw invalid("creditedAmount", "must be absent (or 0) when the customer was wrong");
    return { credited: 0, lost: amount };
  }
  if (outcome === "customer_right") {
    const credited = creditedAmount ?? amount;
    if (credited <= 0 || credited > amount)
      throw invalid("creditedAmount", `must be more than 0 and at most the disputed amount (${amount})`);
    return { credited, lost: 0 };
  }
  if (creditedAmount === undefined) throw invalid("creditedAmount", "is required for a partial outcome");
  if (creditedAmount <= 0 || creditedAmount >= amount)
    throw invalid(
      "creditedAmount",
      `must be more than 0 and less than the disputed amount (${amount}) for a partial outcome`,
    );
  return { credited: creditedAmount, lost: amount - creditedAmount };
}

/**
 * A payment-terms change: shorter terms lower the risk and take effect at once; longer terms
 * are an incentive — the customer must be eligible (policy incentives: the monitor's
 * extendedTermsEligible, no penalty, no fraud hold, active), at most `extendedTermsDays` longer
 * than now and within `paymentTerms.maxDays` — and wait for a second person.
 */
export function termsChangeCheck(
  customer: Pick<CustomerFile, "paymentTermsDays" | "flags" | "status">,
  paymentTermsDays: number,
  policy: CreditPolicy,
): { direction: "longer" | "shorter"; reasonCodes: string[] } {
  const current = customer.paymentTermsDays;
  if (paymentTermsDays === current) throw invalid("paymentTermsDays", "is the customer's payment terms already");
  if (paymentTermsDays > policy.paymentTerms.maxDays)
    throw invalid("paymentTermsDays", `must be at most ${policy.paymentTerms.maxDays} days (policy)`);
  if (paymentTermsDays < current) return { direction: "shorter", reasonCodes: ["TERMS_SHORTENED"] };
  const inc = policy.incentives;
  if (paymentTermsDays - current > inc.extendedTermsDays) {
    throw invalid(
      "paymentTermsDays",
      `may extend the terms by at most ${inc.extendedTermsDays} days (policy), to ${current + inc.extendedTermsDays}`,
    );
  }
  const why: string[] = [];
  if (!customer.flags.extendedTermsEligible) why.push("NOT_ELIGIBLE_FOR_EXTENDED_TERMS");
  if (customer.flags.noLimitIncrease) why.push("PENALTY_IN_FORCE");
  if (customer.flags.fraudHold) why.push("FRAUD_HOLD");
  if (customer.status !== "active") why.push("NOT_ACTIVE");
  if (why.length > 0) {
    throw precondition(
      `extended terms need an eligible customer: ${inc.extendedTermsTiers.join("/")} class, ${inc.onTimeMonths} months paid on time, no penalty (${why.join(", ")})`,
      { reason: why[0], reasons: why },
    );
  }
  return { direction: "longer", reasonCodes: ["EXTENDED_TERMS_INCENTIVE", `ON_TIME_${inc.onTimeMonths}_MONTHS`] };
}

/** An override's expiry: in the future, and at most `classification.overrideMaxDays` ahead. */
export function checkOverrideExpiry(expiresAt: number, now: number, policy: CreditPolicy): void {
  if (expiresAt <= now) throw invalid("expiresAt", "must be in the future");
  const max = policy.classification.overrideMaxDays;
  if (expiresAt - now > max * DAY_MS)
    throw new CreditDeskError(
      "invalid-argument",
      `expiresAt: must be at most ${max} days ahead (policy); review the class again then`,
      { field: "expiresAt" },
    );
}
