/**
 * Fraud signals: patterns a person should look at before credit is extended. Each
 * signal has a weight from the policy; above the threshold the subject is held.
 * Pure: the caller supplies identity collisions found through the identity index.
 */
import type { FinancialStatement } from "./financials.js";
import { checkStatement } from "./financials.js";
import { DAY_MS } from "./time.js";

export type FraudSignalCode =
  | "IDENTITY_COLLISION_REGISTRATION"
  | "IDENTITY_COLLISION_EMAIL"
  | "IDENTITY_COLLISION_PHONE"
  | "IDENTITY_COLLISION_BANK_ACCOUNT"
  | "STATEMENT_UNBALANCED"
  | "YOUNG_BUSINESS_LARGE_REQUEST"
  | "ORDER_VELOCITY_SPIKE"
  | "LARGE_FIRST_ORDER"
  | "ORDER_AFTER_BANK_CHANGE";

export interface FraudSignal {
  code: FraudSignalCode;
  weight: number;
  /** Ids of the other subjects involved (never the colliding values themselves). */
  related?: string[];
}

export interface FraudPolicy {
  weights: Record<FraudSignalCode, number>;
  holdThreshold: number;
  /** A request at or above this (minor units) is "large" for a business under a year old. */
  youngBusinessLargeRequest: number;
  /**
   * How much a collision with another applicant's pending application weighs, as a share of the
   * signal's weight: which of the two is the impostor is not known yet, and an impostor who
   * applies first must not get the rightful owner held.
   */
  pendingApplicationShare: number;
  /** Open (submitted or under review) applications one applicant may have at once. */
  maxOpenApplications: number;
}

export const DEFAULT_FRAUD_POLICY: FraudPolicy = {
  weights: {
    IDENTITY_COLLISION_REGISTRATION: 60,
    IDENTITY_COLLISION_EMAIL: 30,
    IDENTITY_COLLISION_PHONE: 30,
    IDENTITY_COLLISION_BANK_ACCOUNT: 60,
    STATEMENT_UNBALANCED: 40,
    YOUNG_BUSINESS_LARGE_REQUEST: 40,
    ORDER_VELOCITY_SPIKE: 50,
    LARGE_FIRST_ORDER: 50,
    ORDER_AFTER_BANK_CHANGE: 60,
  },
  holdThreshold: 50,
  youngBusinessLargeRequest: 50_000_00,
  pendingApplicationShare: 0.25,
  maxOpenApplications: 3,
};

export type IdentityKind = "registration" | "email" | "phone" | "bank_account";

export interface IdentityCollision {
  kind: IdentityKind;
  /** "customer:ID" or "application:ID" */
  other: string;
  /**
   * The other side's standing when the collision was weighed: a customer (whatever its status:
   * an applicant using an existing customer's identity), an application still pending, or gone
   * (rejected, withdrawn or deleted: it no longer counts). Absent: weighed as a customer.
   */
  standing?: CollisionStanding;
}

export type CollisionStanding = "customer" | "application_pending" | "gone";

/** The share of a collision signal's weight the other side's standing carries. */
export function collisionShare(
  standing: CollisionStanding | undefined,
  policy: Pick<FraudPolicy, "pendingApplicationShare">,
): number {
  if (standing === "gone") return 0;
  if (standing === "application_pending") return policy.pendingApplicationShare;
  return 1;
}

const COLLISION_CODE: Record<IdentityKind, FraudSignalCode> = {
  registration: "IDENTITY_COLLISION_REGISTRATION",
  email: "IDENTITY_COLLISION_EMAIL",
  phone: "IDENTITY_COLLISION_PHONE",
  bank_account: "IDENTITY_COLLISION_BANK_ACCOUNT",
};

/** Normalise an identity value so trivial variations collide (case, spaces, punctuation). */
export function normaliseIdentity(kind: IdentityKind, value: string): string {
  const v = value.trim().toLowerCase();
  switch (kind) {
    case "email":
      return v;
    case "phone":
      return v.replace(/[^0-9+]/g, "");
    default:
      return v.replace(/[^0-9a-z]/g, "");
  }
}

export interface ApplicationFraudInput {
  foundedYear: number;
  requestedLimit: number;
  statement: FinancialStatement | null;
  collisions: IdentityCollision[];
  asOf: number;
}

/**
 * One signal per kind of identity another application or customer already uses, weighed by the
 * strongest standing among the others using it (a pending application counts a share, a gone one
 * not at all).
 */
export function collisionSignals(
  collisions: IdentityCollision[],
  policy: Pick<FraudPolicy, "weights" | "pendingApplicationShare">,
): FraudSignal[] {
  const signals: FraudSignal[] = [];
  const byKind = new Map<IdentityKind, { related: string[]; share: number }>();
  for (const c of collisions) {
    const share = collisionShare(c.standing, policy);
    if (share === 0) continue;
    const k = byKind.get(c.kind) ?? { related: [], share: 0 };
    byKind.set(c.kind, { related: [...k.related, c.other], share: Math.max(k.share, share) });
  }
  for (const [kind, { related, share }] of byKind) {
    const code = COLLISION_CODE[kind];
    signals.push({
      code,
      weight: Math.round(policy.weights[code] * share * 100) / 100,
      related: [...new Set(related)].sort(),
    });
  }
  return signals;
}

export function applicationSignals(
  input: ApplicationFraudInput,
  policy: FraudPolicy,
  balanceTolerance: { absolute: number; relative: number },
): FraudSignal[] {
  const signals = collisionSignals(input.collisions, policy);
  if (input.statement && !checkStatement(input.statement, balanceTolerance).balanced) {
    signals.push({ code: "STATEMENT_UNBALANCED", weight: policy.weights.STATEMENT_UNBALANCED });
  }
  const age = new Date(input.asOf).getUTCFullYear() - input.foundedYear;
  if (age < 1 && input.requestedLimit >= policy.youngBusinessLargeRequest) {
    signals.push({ code: "YOUNG_BUSINESS_LARGE_REQUEST", weight: policy.weights.YOUNG_BUSINESS_LARGE_REQUEST });
  }
  return signals;
}

export function fraudScore(signals: FraudSignal[]): number {
  return signals.reduce((s, x) => s + x.weight, 0);
}

export function shouldHold(signals: FraudSignal[], policy: FraudPolicy): boolean {
  return fraudScore(signals) >= policy.holdThreshold;
}

/** Order amounts by UTC day (key: day number), the last `keepDays` days only. */
export type RecentOrders = Record<string, number>;

export function addRecentOrder(
  recent: RecentOrders,
  issuedAt: number,
  amount: number,
  asOf: number,
  keepDays = 91,
): RecentOrders {
  const out: RecentOrders = {};
  const today = Math.floor(asOf / DAY_MS);
  for (const [k, v] of Object.entries(recent)) if (today - Number(k) < keepDays) out[k] = v;
  const day = Math.floor(issuedAt / DAY_MS);
  if (today - day < keepDays) out[String(day)] = (out[String(day)] ?? 0) + amount;
  return out;
}

export interface OrderFraudInput {
  orderAmount: number;
  orderIssuedAt: number;
  asOf: number;
  /** Including this order. */
  recentOrders: RecentOrders;
  creditLimit: number;
  customerSince: number;
  /** Orders in the last 12 months before this one. */
  priorOrders: number;
  bankAccountChangedAt: number | null;
}

export interface VelocityPolicy {
  multiple: number;
  limitShare: number;
  newCustomerDays: number;
  largeFirstOrderShare: number;
  bankChangeWindowDays: number;
}

/**
 * Signals on an applied order: a 7-day volume spike against the trailing weekly average
 * (and large against the limit), a large first order from a new customer, and a large
 * order soon after the bank details changed.
 */
export function orderSignals(
  input: OrderFraudInput,
  velocity: VelocityPolicy,
  weights: FraudPolicy["weights"],
): FraudSignal[] {
  const signals: FraudSignal[] = [];
  const today = Math.floor(input.asOf / DAY_MS);
  let last7 = 0;
  let prior = 0;
  for (const [k, v] of Object.entries(input.recentOrders)) {
    const age = today - Number(k);
    if (age < 7) last7 += v;
    else if (age < 91) prior += v;
  }
  const weeklyAverage = prior / 12;
  const large = input.creditLimit > 0 && input.orderAmount > velocity.limitShare * input.creditLimit;
  if (
    weeklyAverage > 0 &&
    last7 > velocity.multiple * weeklyAverage &&
    last7 > velocity.limitShare * input.creditLimit
  ) {
    signals.push({ code: "ORDER_VELOCITY_SPIKE", weight: weights.ORDER_VELOCITY_SPIKE });
  }
  const isNew = input.asOf - input.customerSince < velocity.newCustomerDays * DAY_MS;
  if (
    isNew &&
    input.priorOrders === 0 &&
    input.creditLimit > 0 &&
    input.orderAmount > velocity.largeFirstOrderShare * input.creditLimit
  ) {
    signals.push({ code: "LARGE_FIRST_ORDER", weight: weights.LARGE_FIRST_ORDER });
  }
  if (
    large &&
    input.bankAccountChangedAt !== null &&
    input.orderIssuedAt - input.bankAccountChangedAt <= velocity.bankChangeWindowDays * DAY_MS &&
    input.orderIssuedAt >= input.bankAccountChangedAt
  ) {
    signals.push({ code: "ORDER_AFTER_BANK_CHANGE", weight: weights.ORDER_AFTER_BANK_CHANGE });
  }
  return signals;
}
