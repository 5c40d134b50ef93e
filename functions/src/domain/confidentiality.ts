/**
 * Acknowledged confidentiality (seed §5.1, 六.1): a staff role takes effect only while its
 * holder has acknowledged the confidentiality policy in force. The acknowledgement travels as
 * the custom claim `ack: {v, until}` (policy version, epoch seconds), checked by the callables
 * and by the security rules. Pure: the clock is passed in.
 */
import type { Role } from "./roles.js";

/** The roles that read or decide credit data: each needs a current acknowledgement. */
export const STAFF_ROLES: readonly Role[] = ["sales", "analyst", "manager", "auditor", "admin"];

export interface AckClaim {
  /** The confidentiality policy version acknowledged. */
  v: number;
  /** Until when (epoch seconds, as custom claims and the rules' arithmetic like it). */
  until: number;
}

export type AckProblem = "missing" | "outdated" | "expired";

export function needsAcknowledgement(role: Role | null): boolean {
  return role !== null && STAFF_ROLES.includes(role);
}

/** What is wrong with a token's acknowledgement, or null when it is current. */
export function acknowledgementProblem(claim: unknown, version: number, nowMs: number): AckProblem | null {
  const c = claim as Partial<AckClaim> | null | undefined;
  if (!c || typeof c !== "object" || typeof c.v !== "number" || typeof c.until !== "number") return "missing";
  if (c.v !== version) return "outdated";
  if (c.until * 1000 <= nowMs) return "expired";
  return null;
}

/** The claim an acknowledgement at `nowMs` earns (valid for `validityDays`). */
export function acknowledgementClaim(version: number, nowMs: number, validityDays: number): AckClaim {
  return { v: version, until: Math.floor(nowMs / 1000) + validityDays * 86_400 };
}
