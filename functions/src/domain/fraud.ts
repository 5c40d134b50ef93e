/**
 * Fraud signals: patterns a person should look at before credit is extended. Each
 * signal has a weight from the policy; above the threshold the subject is held.
 * Pure: the caller supplies identity collisions found through the identity index.
 */
import type { FinancialStatement } from "./financials.js";
import { checkStatement } from "./financials.js";

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
    LARGE_FIRST_ORDER: 40,
    ORDER_AFTER_BANK_CHANGE: 60,
  },
  holdThreshold: 50,
  youngBusinessLargeRequest: 50_000_00,
};

export type IdentityKind = "registration" | "email" | "phone" | "bank_account";

export interface IdentityCollision {
  kind: IdentityKind;
  /** "customer:ID" or "application:ID" */
  other: string;
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

export function applicationSignals(input: ApplicationFraudInput, policy: FraudPolicy, balanceTolerance: { absolute: number; relative: number }): FraudSignal[] {
  const signals: FraudSignal[] = [];
  const byKind = new Map<IdentityKind, string[]>();
  for (const c of input.collisions) byKind.set(c.kind, [...(byKind.get(c.kind) ?? []), c.other]);
  for (const [kind, related] of byKind) {
    const code = COLLISION_CODE[kind];
    signals.push({ code, weight: policy.weights[code], related: [...new Set(related)].sort() });
  }
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
