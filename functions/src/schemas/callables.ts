/**
 * Inputs of every callable (docs/API.md). Strict objects: unknown keys are rejected, so a
 * misspelt field is an error that names it rather than a silent default.
 */
import { z } from "zod";
import { ROLES } from "../domain/roles.js";
import {
  amount,
  country,
  currency,
  id,
  industry,
  isoDate,
  note,
  positiveAmount,
  reasonCodes,
  requestId,
  shortText,
  signedAmount,
} from "./common.js";
import { tierSchema } from "./policy.js";
import { DISPUTE_OUTCOMES } from "../domain/disputes.js";

export const statementInput = z
  .object({
    periodEnd: isoDate,
    currency,
    totalAssets: signedAmount,
    currentAssets: signedAmount,
    totalLiabilities: signedAmount,
    currentLiabilities: signedAmount,
    equity: signedAmount,
    retainedEarnings: signedAmount,
    revenue: signedAmount,
    ebit: signedAmount,
    netIncome: signedAmount,
  })
  .strict();

/** Printable text: no control characters (line breaks, NUL, escape sequences) in names. */
const printable = (max: number) => shortText(max).regex(/^[^\p{Cc}\p{Cf}]*$/u, "must not contain control characters");

export const contactInput = z
  .object({
    name: printable(200),
    email: z.string().trim().max(254).email("must be an e-mail address"),
    phone: z
      .string()
      .trim()
      .min(3)
      .max(40)
      .regex(/^[+0-9 ()./-]+$/, "must be a phone number"),
  })
  .strict();

/** A bank account as the ERP or an applicant sends it (IBAN or local account number). */
export const bankAccount = z.string().trim().min(4).max(64);

const currentYear = () => new Date().getUTCFullYear();

export const submitCreditApplicationInput = z
  .object({
    company: z
      .object({
        name: shortText(200),
        registrationNo: shortText(64),
        country,
        industry,
        foundedYear: z
          .number()
          .int()
          .min(1800)
          .refine((y) => y <= currentYear(), "must not be in the future"),
        address: shortText(500),
        bankAccount: bankAccount.optional(),
      })
      .strict(),
    contacts: z.array(contactInput).min(1).max(10),
    requestedLimit: positiveAmount,
    currency,
    paymentTermsDays: z.number().int().min(0).max(365),
    financials: statementInput.optional(),
    tradeReferences: z
      .array(
        z
          .object({
            name: shortText(200),
            contact: shortText(254).optional(),
            yearsTrading: z.number().int().min(0).max(200).optional(),
          })
          .strict(),
      )
      .max(10)
      .optional(),
    requestId: requestId.optional(),
  })
  .strict();

export const reviewCreditApplicationInput = z.object({ applicationId: id, requestId: requestId.optional() }).strict();

export const decideCreditApplicationInput = z
  .object({
    applicationId: id,
    decision: z.enum(["approve", "reject"]),
    approvedLimit: amount.optional(),
    paymentTermsDays: z.number().int().min(0).max(365).optional(),
    note,
    reasonCodes: reasonCodes.optional(),
    ownerUid: id.optional(),
    requestId: requestId.optional(),
  })
  .strict();

export const updateFinancialsInput = z
  .object({ customerId: id, statement: statementInput, requestId: requestId.optional() })
  .strict();

export const reassessCustomerInput = z.object({ customerId: id, requestId: requestId.optional() }).strict();

export const updateContactsInput = z
  .object({
    customerId: id,
    contacts: z.array(contactInput).min(1, "at least one contact person").max(10),
    requestId: requestId.optional(),
  })
  .strict();
export type UpdateContactsInput = z.infer<typeof updateContactsInput>;

export const acknowledgeConfidentialityInput = z
  .object({ version: z.number().int().min(1), requestId: requestId.optional() })
  .strict();
export type AcknowledgeConfidentialityInput = z.infer<typeof acknowledgeConfidentialityInput>;

export const recordTrainingInput = z
  .object({
    uid: z.string().min(1).max(128),
    course: shortText(200),
    completedAt: isoDate,
    requestId: requestId.optional(),
  })
  .strict();
export type RecordTrainingInput = z.infer<typeof recordTrainingInput>;

export const setUserRoleInput = z
  .object({ uid: z.string().min(1).max(128), role: z.enum(ROLES).nullable(), requestId: requestId.optional() })
  .strict();

export type SubmitCreditApplicationInput = z.infer<typeof submitCreditApplicationInput>;
export type DecideCreditApplicationInput = z.infer<typeof decideCreditApplicationInput>;
export type StatementInput = z.infer<typeof statementInput>;

/** An external id is also the document id of the transaction: no '/', not reserved. */
export const externalId = z
  .string()
  .min(1)
  .max(128)
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/,
    "may contain only letters, digits and _ . : - (starting with a letter or digit)",
  );

/** The ERP's order reference: the key of a reservation or a blocked order (an order's externalId by default). */
export const orderRef = externalId;

export const checkOrderInput = z
  .object({
    customerId: id,
    orderAmount: positiveAmount,
    /** Hold the credit for this order (approve) or block it for a person (review/reject). */
    reserve: z.boolean().optional(),
    orderRef: orderRef.optional(),
    requestId: requestId.optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.reserve && v.orderRef === undefined)
      ctx.addIssue({ code: "custom", path: ["orderRef"], message: "is required with reserve" });
  });
export type CheckOrderInput = z.infer<typeof checkOrderInput>;

export const cancelReservationInput = z.object({ customerId: id, orderRef, requestId: requestId.optional() }).strict();
export type CancelReservationInput = z.infer<typeof cancelReservationInput>;

export const releaseOrderBlockInput = z
  .object({
    blockId: id,
    decision: z.enum(["release", "reject"]),
    note,
    reasonCodes: reasonCodes.optional(),
    requestId: requestId.optional(),
  })
  .strict();
export type ReleaseOrderBlockInput = z.infer<typeof releaseOrderBlockInput>;

export const transactionInput = z
  .object({
    externalId,
    /** An order's reference at the order check, when it differs from its externalId (converts its reservation). */
    orderRef: orderRef.optional(),
    type: z.enum(["order", "invoice", "payment", "credit_note"]),
    amount: positiveAmount,
    currency: currency.optional(),
    issuedAt: isoDate,
    dueAt: isoDate.optional(),
    invoiceExternalId: externalId.optional(),
    status: z.enum(["open", "fulfilled", "cancelled", "dishonoured"]).optional(),
  })
  .strict();

export const MAX_TRANSACTIONS_PER_CALL = 500;

export const recordTransactionsInput = z
  .object({
    customerId: id,
    transactions: z
      .array(transactionInput)
      .min(1)
      .max(MAX_TRANSACTIONS_PER_CALL, `at most ${MAX_TRANSACTIONS_PER_CALL} records per call`)
      .superRefine((list, ctx) => {
        const seen = new Set<string>();
        list.forEach((t, i) => {
          if (seen.has(t.externalId))
            ctx.addIssue({ code: "custom", path: [i, "externalId"], message: "appears twice in this call" });
          seen.add(t.externalId);
        });
      }),
    requestId: requestId.optional(),
  })
  .strict();

export type TransactionInput = z.infer<typeof transactionInput>;
export type RecordTransactionsInput = z.infer<typeof recordTransactionsInput>;

export const requestLimitChangeInput = z
  .object({
    customerId: id,
    /** The new total limit; with `expiresAt`, a temporary limit on top of the approved one until then. */
    newLimit: amount,
    expiresAt: isoDate.optional(),
    reason: note,
    requestId: requestId.optional(),
  })
  .strict();

/**
 * The limit request is named by `limitRequestId`; `requestId` is then the idempotency key, as on
 * every other mutating callable. For one release, a call without `limitRequestId` may still name
 * the limit request by `requestId` (the old field) and then has no idempotency key.
 */
export const decideLimitChangeInput = z
  .object({
    limitRequestId: id.optional(),
    decision: z.enum(["approve", "reject"]),
    note,
    reasonCodes: reasonCodes.optional(),
    requestId: requestId.optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.limitRequestId === undefined && v.requestId === undefined)
      ctx.addIssue({ code: "custom", path: ["limitRequestId"], message: "is required" });
    if (v.limitRequestId === undefined && v.requestId !== undefined && !id.safeParse(v.requestId).success) {
      ctx.addIssue({
        code: "custom",
        path: ["requestId"],
        message: "names the limit request when limitRequestId is absent: letters, digits, _ and - only",
      });
    }
  })
  .transform(
    (
      v,
    ): {
      limitRequestId: string;
      decision: "approve" | "reject";
      note: string;
      reasonCodes?: string[] | undefined;
      requestId?: string | undefined;
    } =>
      v.limitRequestId !== undefined
        ? {
            limitRequestId: v.limitRequestId,
            decision: v.decision,
            note: v.note,
            reasonCodes: v.reasonCodes,
            requestId: v.requestId,
          }
        : { limitRequestId: v.requestId!, decision: v.decision, note: v.note, reasonCodes: v.reasonCodes },
  );

export const setCreditStatusInput = z
  .object({
    customerId: id,
    status: z.enum(["active", "on_hold", "suspended"]),
    reason: note,
    reasonCodes: reasonCodes.optional(),
    requestId: requestId.optional(),
  })
  .strict();

export const ALERT_RESOLUTIONS = ["cured", "action_taken", "false_positive", "accepted_risk"] as const;

export const resolveAlertInput = z
  .object({
    alertId: z
      .string()
      .min(1)
      .max(300)
      .regex(/^[A-Za-z0-9_-]+$/),
    resolution: z.enum(ALERT_RESOLUTIONS),
    note,
    requestId: requestId.optional(),
  })
  .strict();

export type RequestLimitChangeInput = z.infer<typeof requestLimitChangeInput>;
export type DecideLimitChangeInput = z.infer<typeof decideLimitChangeInput>;
export type SetCreditStatusInput = z.infer<typeof setCreditStatusInput>;
export type ResolveAlertInput = z.infer<typeof resolveAlertInput>;

export const PROFILE_FIELDS = [
  "name",
  "registrationNo",
  "address",
  "industry",
  "country",
  "ownerUid",
  "bankAccount",
] as const;
export type ProfileField = (typeof PROFILE_FIELDS)[number];

export const updateCustomerProfileInput = z
  .object({
    customerId: id,
    changes: z
      .object({
        name: shortText(200).optional(),
        registrationNo: shortText(64).optional(),
        address: shortText(500).optional(),
        industry: industry.optional(),
        country: country.optional(),
        /** The owning sales rep (a manager's change); null: no owner (staff only). */
        ownerUid: id.nullable().optional(),
        bankAccount: bankAccount.optional(),
      })
      .strict()
      .refine((c) => Object.values(c).some((v) => v !== undefined), { message: "name at least one field to change" }),
    /** Why the base data changes (kept in the audit entry). */
    reason: note,
    requestId: requestId.optional(),
  })
  .strict();
export type UpdateCustomerProfileInput = z.infer<typeof updateCustomerProfileInput>;

export const setCreditGroupInput = z
  .object({
    groupId: id,
    name: shortText(200),
    /** The group limit, in `currency` (the policy's base currency when left out and the group is new). */
    groupLimit: amount,
    currency: currency.optional(),
    /** The members after this call (replaces the list; [] dissolves the group). */
    memberIds: z
      .array(id)
      .max(500)
      .superRefine((list, ctx) => {
        const seen = new Set<string>();
        list.forEach((m, i) => {
          if (seen.has(m)) ctx.addIssue({ code: "custom", path: [i], message: "appears twice" });
          seen.add(m);
        });
      }),
    reason: note,
    requestId: requestId.optional(),
  })
  .strict();
export type SetCreditGroupInput = z.infer<typeof setCreditGroupInput>;

export const getPortfolioReportInput = z.object({ asOf: isoDate.optional() }).strict();

/**
 * What a candidate policy may hold: JSON (plain objects, arrays, strings, finite numbers,
 * booleans, null), at most 8 levels deep and 64 KB, and no key that names an object's machinery
 * (`__proto__`, `constructor`, `prototype`: they would be dropped on the way, and the what-if
 * would test something other than what was sent).
 */
function candidateProblem(
  v: unknown,
  path: Array<string | number> = [],
): { path: Array<string | number>; message: string } | null {
  if (v === null || typeof v === "string" || typeof v === "boolean") return null;
  if (typeof v === "number") return Number.isFinite(v) ? null : { path, message: "must be a finite number" };
  if (path.length >= 8) return { path, message: "is nested too deeply (at most 8 levels)" };
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const p = candidateProblem(v[i], [...path, i]);
      if (p) return p;
    }
    return null;
  }
  if (typeof v !== "object" || Object.getPrototypeOf(v) !== Object.prototype)
    return { path, message: "must be JSON: objects, arrays, strings, numbers, booleans and null" };
  for (const k of Object.keys(v)) {
    if (k === "__proto__" || k === "constructor" || k === "prototype")
      return { path: [...path, k], message: "is not a setting of the credit policy" };
    const p = candidateProblem((v as Record<string, unknown>)[k], [...path, k]);
    if (p) return p;
  }
  return null;
}

/** A candidate policy: a partial policy merged over the one in force, validated like it. */
export const candidatePolicy = z
  .custom<Record<string, unknown>>(
    (v) => typeof v === "object" && v !== null && !Array.isArray(v),
    "must be an object: a partial credit policy",
  )
  .superRefine((v, ctx) => {
    const problem = candidateProblem(v);
    if (problem) return void ctx.addIssue({ code: "custom", path: problem.path, message: problem.message });
    if (JSON.stringify(v).length > 65_536) ctx.addIssue({ code: "custom", message: "must be at most 64 KB of JSON" });
  })
  .meta({
    description:
      "a partial credit policy (config/creditPolicy's shape, JSON), merged over the policy in force and validated like it",
  });

export const simulatePolicyInput = z
  .object({
    policy: candidatePolicy,
    /** Evaluate only the largest exposures (at most the policy's simulation.directMaxCustomers), answered at once. */
    sampleSize: z.number().int().min(1).max(5000).optional(),
    requestId: requestId.optional(),
  })
  .strict();
export type SimulatePolicyInput = z.infer<typeof simulatePolicyInput>;

export const JOBS = ["dailyMonitoring", "monthlyReassessment", "dailyBackup"] as const;
export const runJobNowInput = z
  .object({
    job: z.enum(JOBS),
    /** run (default) now; pause or resume the job's schedule (production only). */
    action: z.enum(["run", "pause", "resume"]).optional(),
    /** Local stack only: run as of this date (a controlled clock for demos and drills). */
    asOf: isoDate.optional(),
    requestId: requestId.optional(),
  })
  .strict();
export type RunJobNowInput = z.infer<typeof runJobNowInput>;

// ---------------------------------------------------------------------------------------
// Credit judgement: disputes, class overrides, the fraud hold, payment terms

export const openDisputeInput = z
  .object({
    customerId: id,
    invoiceExternalId: externalId,
    /** The disputed part of the invoice: at most what of it is open and not disputed already. */
    amount: positiveAmount,
    reason: note,
    requestId: requestId.optional(),
  })
  .strict();
export type OpenDisputeInput = z.infer<typeof openDisputeInput>;

export const resolveDisputeInput = z
  .object({
    disputeId: id,
    outcome: z.enum(DISPUTE_OUTCOMES),
    /** customer_right: up to the disputed amount (default all of it); partial: more than 0, less than it; customer_wrong: absent. */
    creditedAmount: amount.optional(),
    note,
    requestId: requestId.optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.outcome === "partial" && v.creditedAmount === undefined)
      ctx.addIssue({ code: "custom", path: ["creditedAmount"], message: "is required for a partial outcome" });
    if (v.outcome === "customer_wrong" && v.creditedAmount !== undefined && v.creditedAmount !== 0) {
      ctx.addIssue({ code: "custom", path: ["creditedAmount"], message: "must be absent when the customer was wrong" });
    }
  });
export type ResolveDisputeInput = z.infer<typeof resolveDisputeInput>;

export const overrideClassificationInput = z
  .object({ customerId: id, tier: tierSchema, reason: note, expiresAt: isoDate, requestId: requestId.optional() })
  .strict();
export type OverrideClassificationInput = z.infer<typeof overrideClassificationInput>;

export const clearFraudHoldInput = z.object({ customerId: id, reason: note, requestId: requestId.optional() }).strict();
export type ClearFraudHoldInput = z.infer<typeof clearFraudHoldInput>;

export const requestTermsChangeInput = z
  .object({
    customerId: id,
    paymentTermsDays: z.number().int().min(0).max(365),
    reason: note,
    requestId: requestId.optional(),
  })
  .strict();
export type RequestTermsChangeInput = z.infer<typeof requestTermsChangeInput>;

export const decideTermsChangeInput = z
  .object({ termsChangeId: id, decision: z.enum(["approve", "reject"]), note, requestId: requestId.optional() })
  .strict();
export type DecideTermsChangeInput = z.infer<typeof decideTermsChangeInput>;
