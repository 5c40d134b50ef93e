/** Inputs of the audit callables (docs/API.md). Strict: unknown keys are rejected. */
import { z } from "zod";
import { id, requestId } from "./common.js";

/** `system`, `customer_{id}`, `application_{id}` or `group_{id}` — the chains that exist (data/paths.ts auditChainId). */
export const auditChainIdSchema = z
  .string()
  .max(160)
  .regex(
    /^(system|customer_[A-Za-z0-9_-]{1,128}|application_[A-Za-z0-9_-]{1,128}|group_[A-Za-z0-9_-]{1,128})$/,
    "must be system, customer_{id}, application_{id} or group_{id}",
  );

export const verifyAuditTrailInput = z
  .object({
    customerId: id.optional(),
    chainId: auditChainIdSchema.optional(),
    requestId: requestId.optional(),
  })
  .strict()
  .refine((v) => v.customerId === undefined || v.chainId === undefined, {
    message: "give customerId or chainId, not both",
    path: ["chainId"],
  });

export type VerifyAuditTrailInput = z.infer<typeof verifyAuditTrailInput>;
