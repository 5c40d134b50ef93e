/**
 * Inputs of every callable (API.md). Strict objects: unknown keys are rejected, so a
 * misspelt field is an error that names it rather than a silent default.
 */
import { z } from "zod";
import { ROLES } from "../domain/roles.js";
import { amount, country, currency, id, isoDate, note, positiveAmount, requestId, shortText, signedAmount } from "./common.js";

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

export const contactInput = z
  .object({
    name: shortText(200),
    email: z.string().trim().max(254).email("must be an e-mail address"),
    phone: z.string().trim().min(3).max(40).regex(/^[+0-9 ()./-]+$/, "must be a phone number"),
  })
  .strict();

const currentYear = () => new Date().getUTCFullYear();

export const submitCreditApplicationInput = z
  .object({
    company: z
      .object({
        name: shortText(200),
        registrationNo: shortText(64),
        country,
        industry: shortText(60),
        foundedYear: z.number().int().min(1800).refine((y) => y <= currentYear(), "must not be in the future"),
        address: shortText(500),
        bankAccount: z.string().trim().min(4).max(64).optional(),
      })
      .strict(),
    contacts: z.array(contactInput).min(1).max(10),
    requestedLimit: positiveAmount,
    currency,
    paymentTermsDays: z.number().int().min(0).max(365),
    financials: statementInput.optional(),
    tradeReferences: z
      .array(z.object({ name: shortText(200), contact: shortText(254).optional(), yearsTrading: z.number().int().min(0).max(200).optional() }).strict())
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
    ownerUid: id.optional(),
    requestId: requestId.optional(),
  })
  .strict();

export const checkOrderInput = z.object({ customerId: id, orderAmount: positiveAmount }).strict();

export const updateFinancialsInput = z.object({ customerId: id, statement: statementInput, requestId: requestId.optional() }).strict();

export const reassessCustomerInput = z.object({ customerId: id, requestId: requestId.optional() }).strict();

export const setUserRoleInput = z
  .object({ uid: z.string().min(1).max(128), role: z.enum(ROLES).nullable(), requestId: requestId.optional() })
  .strict();

export type SubmitCreditApplicationInput = z.infer<typeof submitCreditApplicationInput>;
export type DecideCreditApplicationInput = z.infer<typeof decideCreditApplicationInput>;
export type StatementInput = z.infer<typeof statementInput>;
