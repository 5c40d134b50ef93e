/**
 * The credit file's head, in the credit department's words, and the pure rules that read
 * it: effective limit, available credit, the order check. Epoch milliseconds for time,
 * integer minor units for money.
 */
import type { CreditPolicy, Grade, Tier } from "../schemas/policy.js";
import type { LedgerAggregates } from "./ledger.js";
import { limitInForce, type TemporaryLimit } from "./limits.js";
import { reservedAmount, type OpenBlocks, type Reservations } from "./orders.js";
import type { FinancialStatement } from "./financials.js";
import type { MemberGroupState } from "./groups.js";
import type { FinancialScores, PaymentBehaviour, TradingRelationship } from "./scoring.js";
import type { DisputeBook } from "./disputes.js";
import type { StatusParts } from "./status.js";
import { DAY_MS } from "./time.js";

/** A manager's documented override of the class, in force until `expiresAt` (then back to the computed class). */
export interface ClassOverride {
  overrideId: string;
  tier: Tier;
  reason: string;
  expiresAt: number;
  decidedBy: string;
  decidedByRole: string | null;
  decidedAt: number;
}

export type CreditStatus = "active" | "on_hold" | "suspended";

/** Running aggregates kept on the customer document: what the ledger summarizes (domain/ledger.ts). */
export type { AgingBuckets } from "./ledger.js";
export type CustomerAggregates = LedgerAggregates;

export const EMPTY_AGGREGATES: CustomerAggregates = {
  openInvoiceBalance: 0,
  openOrders: 0,
  exposure: 0,
  unappliedCash: 0,
  awaitingInvoice: 0,
  aging: { current: 0, d1_30: 0, d31_60: 0, d61_90: 0, d90plus: 0, disputed: 0 },
  oldestDaysPastDue: 0,
  onTimeRatio12m: null,
  avgDaysBeyondTerms12m: null,
  volume12m: 0,
  orderCount12m: 0,
  dishonouredPayments: 0,
  dishonouredUnreplaced: 0,
  lastDishonouredAt: null,
  payments12m: 0,
  invoiceCount12m: 0,
  firstActivityAt: null,
  lastActivityAt: null,
};

export type { TemporaryLimit } from "./limits.js";

/** What the order check reads: all of it on the credit file's head (one document read). */
export interface CreditTerms {
  status: CreditStatus;
  creditLimit: number;
  temporaryLimit: TemporaryLimit | null;
  tier: Tier;
  grade: Grade;
  /** Open invoices + open orders (the ledger's exposure). */
  exposure: number;
  oldestDaysPastDue: number;
  /** Credit held for approved orders not recorded yet (domain/orders.ts). */
  reservations?: Reservations | null;
}

/** The limit in force: the approved limit, or an unexpired temporary limit above it. */
export function effectiveLimit(t: Pick<CreditTerms, "creditLimit" | "temporaryLimit">, asOf: number): number {
  return limitInForce(t, asOf);
}

/** Exposure plus the credit live reservations hold: what the limit in force must cover. */
export function committedExposure(
  t: Pick<CreditTerms, "exposure" | "reservations">,
  asOf: number,
  exceptOrderRef?: string,
): number {
  return t.exposure + reservedAmount(t.reservations, asOf, exceptOrderRef);
}

/**
 * Available credit = limit in force − exposure (open invoices + open orders) − live reservations;
 * negative when over limit.
 */
export function availableCredit(
  t: Pick<CreditTerms, "creditLimit" | "temporaryLimit" | "exposure" | "reservations">,
  asOf: number,
  exceptOrderRef?: string,
): number {
  return effectiveLimit(t, asOf) - committedExposure(t, asOf, exceptOrderRef);
}

export type OrderDecision = "approve" | "review" | "reject";

export interface OrderCheck {
  decision: OrderDecision;
  availableCredit: number;
  reasons: string[];
}

/**
 * The group's side of an order check: the credit of its group still available to this customer,
 * in the customer's currency (domain/groups.ts `groupPosition`, without this order's own
 * reservation).
 */
export interface GroupCredit {
  availableInMemberCurrency: number;
}

/**
 * Answer an order from the customer's terms (and its group's available credit, when it belongs to
 * one). `orderRef` names the order when it is checked again: its own reservation is not counted
 * against it.
 */
export function checkOrderAgainstTerms(
  t: CreditTerms,
  orderAmount: number,
  asOf: number,
  policy: CreditPolicy,
  orderRef?: string,
  group?: GroupCredit | null,
): OrderCheck {
  const available = availableCredit(t, asOf, orderRef);
  const limit = effectiveLimit(t, asOf);
  const committed = committedExposure(t, asOf, orderRef);
  const reasons: string[] = [];
  let decision: OrderDecision = "approve";
  const worst = (d: OrderDecision) => {
    const rank = { approve: 0, review: 1, reject: 2 } as const;
    if (rank[d] > rank[decision]) decision = d;
  };
  if (t.status === "suspended") {
    reasons.push("CREDIT_SUSPENDED");
    worst("reject");
  }
  if (t.status === "on_hold") {
    reasons.push("CREDIT_ON_HOLD");
    worst("review");
  }
  if (limit <= 0) {
    reasons.push("NO_CREDIT_LIMIT");
    worst("review");
  } else if (committed + orderAmount > limit * policy.orderCheck.reviewUtilization) {
    reasons.push("EXCEEDS_AVAILABLE_CREDIT");
    worst("review");
  }
  if (group && orderAmount > group.availableInMemberCurrency) {
    reasons.push("EXCEEDS_GROUP_AVAILABLE_CREDIT");
    worst("review");
  }
  if (t.oldestDaysPastDue > policy.penalties.noIncreaseAfterDays) {
    reasons.push("INVOICES_PAST_DUE");
    worst("review");
  }
  if (t.tier === "risky" && decision === "approve") {
    reasons.push("RISKY_TIER");
    worst("review");
  }
  if (reasons.length === 0) reasons.push("WITHIN_AVAILABLE_CREDIT");
  return { decision, availableCredit: available, reasons };
}

export function behaviourFrom(a: CustomerAggregates): PaymentBehaviour | null {
  const hasHistory = a.firstActivityAt !== null;
  if (!hasHistory) return null;
  return {
    onTimeRatio12m: a.onTimeRatio12m,
    avgDaysBeyondTerms12m: a.avgDaysBeyondTerms12m,
    oldestDaysPastDue: a.oldestDaysPastDue,
    dishonouredPayments: a.dishonouredPayments,
    payments12m: a.payments12m ?? 0,
    // Aggregates stored before replacements were tracked: a dishonour counts as not replaced.
    dishonouredUnreplaced: a.dishonouredUnreplaced ?? (a.dishonouredPayments > 0 ? 1 : 0),
  };
}

export function tradingFrom(a: CustomerAggregates, creditLimit: number): TradingRelationship | null {
  if (a.firstActivityAt === null) return null;
  return {
    firstActivityAt: a.firstActivityAt,
    volume12m: a.volume12m,
    orderCount12m: a.orderCount12m,
    creditLimit,
    invoiceCount12m: a.invoiceCount12m ?? 0,
  };
}

/** Start of the next UTC day: the daily monitoring's next look at this customer. */
export function nextDay(asOf: number): number {
  return Math.floor(asOf / DAY_MS) * DAY_MS + DAY_MS;
}

/** First day of the next UTC month: the monthly reassessment's next look. */
export function nextMonth(asOf: number): number {
  const d = new Date(asOf);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/** The customer document (credit file head) as the domain sees it. */
export interface CustomerFile extends CreditTerms {
  /** The ledger's summary (confidential: payment behaviour); its top-level copies are reportFields. */
  aggregates: CustomerAggregates;
  name: string;
  registrationNo: string;
  country: string;
  industry: string;
  foundedYear: number;
  address: string;
  currency: string;
  /** Why the status is what it is; `automatic` holds lift themselves when cured, `manual` only by a person. */
  statusReason: string | null;
  statusKind: "manual" | "automatic" | null;
  /** The credit group the customer belongs to (creditGroups/{groupId}); on the head: the order check reads it. */
  groupId?: string | null;
  /** The customer's claim on its group, mirrored from the group head (domain/groups.ts; confidential). */
  creditGroup?: MemberGroupState | null;
  /** A person's status decision in force (customers/{id}/statusChanges/{id}: its memo). */
  statusChangeId?: string | null;
  ownerUid: string | null;
  score: number;
  confidence: number;
  /** Financial factor scores of the last usable statement (no figures), for rescoring without the statement. */
  financialScores: FinancialScores | null;
  paymentTermsDays: number;
  availableCredit: number;
  applicationId: string | null;
  flags: { fraudHold: boolean; noLimitIncrease: boolean; extendedTermsEligible: boolean };
  createdAt: number;
  updatedAt: number;
  assessedAt: number;
  lastReviewedAt: number | null;
  nextReviewAt: number;
  nextAgingAt: number;
  /** Opaque running state of the transaction ledger (domain/ledger.ts). */
  ledger?: unknown;
  /** Order amounts by day over the last 91 days (velocity checks). */
  recentOrders?: Record<string, number>;
  /** Open blocked orders by order reference (orderBlocks/{blockId}; bounded by the policy). */
  openBlocks?: OpenBlocks | null;
  /** Credit held by live reservations when the document was last written (report field). */
  reserved?: number;
  /** The bank account the customer pays from (updateCustomerProfile; confidential). */
  bankAccount?: string | null;
  /** When the customer's bank details last changed (updateCustomerProfile: the fraud window reads it). */
  bankAccountChangedAt?: number | null;
  /**
   * Alert types of this customer: true = open; false = resolved by a person while the
   * condition still held (not raised again until it clears). Read without the alerts.
   */
  openAlerts?: Partial<Record<string, boolean>>;
  /** The monitor's memory between runs (domain/monitoring.ts). */
  monitor?: { penaltyLevel?: 0 | 1 | 2 | 3; penaltyProposedAt?: number | null; lastIncentiveAt?: number | null };
  /** Period end of the latest statement (statements_stale). */
  latestStatementAt?: number | null;
  /** The latest statement itself (kept with the confidential state so a review reads one document). */
  latestStatement?: FinancialStatement | null;
  /** What the last review concluded: score_drop and tier_downgrade compare against these. */
  lastReviewScore?: number | null;
  lastReviewTier?: Tier | null;
  /** The grade of the last review: a lower grade at the next one cuts the limit (limitReview). */
  lastReviewGrade?: Grade | null;
  /** The manual and the automatic part of the status, each with its reason (domain/status.ts). */
  statusParts?: StatusParts | null;
  /** Open disputes and the 12-month dispute record (domain/disputes.ts). */
  disputes?: DisputeBook | null;
  /** A manager's override of the class, with its reason, until it expires. */
  classOverride?: ClassOverride | null;
  /** Why the class is below what the grade gives (codes of the class rules), or that it is overridden. */
  classReasons?: string[];
}

/**
 * Top-level copies of the aggregates the portfolio report sums (Firestore aggregation
 * queries sum top-level fields; the in-process Firestore cannot sum nested ones). Every
 * write of `aggregates` carries them: data/customers.ts `writeCustomer` adds them itself.
 */
export function reportFields(a: CustomerAggregates) {
  return {
    exposure: a.exposure,
    oldestDaysPastDue: a.oldestDaysPastDue,
    openInvoiceBalance: a.openInvoiceBalance,
    volume12m: a.volume12m,
    notYetDue: a.aging.current,
    pastDue1to30: a.aging.d1_30,
    pastDue31to60: a.aging.d31_60,
    pastDue61to90: a.aging.d61_90,
    pastDue90plus: a.aging.d90plus,
    disputed: a.aging.disputed ?? 0,
  };
}

/** The file with new aggregates and their top-level copies (the head's exposure and aging follow). */
export function withAggregates<T extends CustomerFile>(file: T, aggregates: CustomerAggregates): T {
  return { ...file, aggregates, ...reportFields(aggregates) };
}
