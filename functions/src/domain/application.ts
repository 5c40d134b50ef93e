/** A credit application and its life: submitted → under_review → approved | rejected. */
import type { Grade, Tier } from "../schemas/policy.js";
import type { DecisionMemo } from "./decisions.js";
import type { FinancialStatement } from "./financials.js";
import type { FraudSignal, IdentityCollision } from "./fraud.js";
import type { LimitBound } from "./limits.js";
import type { ReasonCode, FactorResult } from "./scoring.js";

export type ApplicationStatus = "submitted" | "under_review" | "approved" | "rejected";

export interface Contact {
  name: string;
  email: string;
  phone: string;
}

export interface CompanyProfile {
  name: string;
  registrationNo: string;
  country: string;
  industry: string;
  foundedYear: number;
  address: string;
  bankAccount?: string | undefined;
}

export interface CreditApplication {
  applicantUid: string;
  status: ApplicationStatus;
  company: CompanyProfile;
  contacts: Contact[];
  requestedLimit: number;
  currency: string;
  paymentTermsDays: number;
  financials: FinancialStatement | null;
  tradeReferences: Array<{ name: string; contact?: string | undefined; yearsTrading?: number | undefined }>;
  submittedAt: number;
  updatedAt: number;
  reviewedAt: number | null;
  reviewedBy: string | null;
  decidedAt: number | null;
  decidedBy: string | null;
  decidedByRole?: string | null;
  decision: "approve" | "reject" | null;
  approvedLimit: number | null;
  customerId: string | null;
}

/**
 * The department's half of an application (applications/{id}/private/assessment), kept apart
 * from what the applicant reads: the review, and once decided the decision memo (note, reason
 * codes, who decided in which role, when), which credit staff and auditors read.
 */
export interface ApplicationReview extends Partial<DecisionMemo> {
  identityCollisions: IdentityCollision[];
  score: number | null;
  confidence: number | null;
  grade: Grade | null;
  tier: Tier | null;
  recommendedLimit: number | null;
  limitBounds: LimitBound[];
  reasons: ReasonCode[];
  factors: FactorResult[];
  flags: string[];
  fraudSignals: FraudSignal[];
  fraudHold: boolean;
  reviewedAt: number | null;
  reviewedBy: string | null;
}

export function canReview(status: ApplicationStatus): boolean {
  return status === "submitted" || status === "under_review";
}

export function canDecide(status: ApplicationStatus): boolean {
  return status === "under_review";
}
