/**
 * The credit status has two parts, each with its reason: what a person set (a manual hold or
 * suspension, a fraud hold) and what the policy's penalties set (an automatic hold or
 * suspension). The status in force is the harsher of the two, so a manual hold never stops a
 * penalty from escalating to suspension, and both reasons are kept (`statusParts` in the
 * confidential credit state; `status`, `statusKind` and `statusReason` say which one is in force).
 * A person lifts only the manual part; the automatic part lifts only with the cure the policy
 * names (domain/monitoring.ts). Pure.
 */
import type { CreditStatus } from "./customer.js";

export type HeldStatus = Exclude<CreditStatus, "active">;

export interface StatusPart {
  status: HeldStatus;
  reason: string;
}

export interface StatusParts {
  manual: StatusPart | null;
  automatic: StatusPart | null;
}

export interface StatusInForce {
  status: CreditStatus;
  /** Which part is in force (null: active). When both hold the same status, the manual one. */
  statusKind: "manual" | "automatic" | null;
  statusReason: string | null;
}

const RANK: Record<CreditStatus, number> = { active: 0, on_hold: 1, suspended: 2 };

export function harsher(a: CreditStatus, b: CreditStatus): CreditStatus {
  return RANK[a] >= RANK[b] ? a : b;
}

/** The parts of a file's status; files from before the parts existed are read from status and statusKind. */
export function statusPartsOf(c: {
  status: CreditStatus;
  statusKind: "manual" | "automatic" | null;
  statusReason: string | null;
  statusParts?: StatusParts | null;
}): StatusParts {
  if (c.statusParts) return { manual: c.statusParts.manual ?? null, automatic: c.statusParts.automatic ?? null };
  if (c.status === "active") return { manual: null, automatic: null };
  const part: StatusPart = {
    status: c.status,
    reason: c.statusReason ?? (c.statusKind === "automatic" ? "PENALTY" : "MANUAL"),
  };
  return c.statusKind === "automatic" ? { manual: null, automatic: part } : { manual: part, automatic: null };
}

export function statusInForce(parts: StatusParts): StatusInForce {
  const m = parts.manual;
  const a = parts.automatic;
  if (!m && !a) return { status: "active", statusKind: null, statusReason: null };
  if (m && (!a || RANK[m.status] >= RANK[a.status]))
    return { status: m.status, statusKind: "manual", statusReason: m.reason };
  return { status: a!.status, statusKind: "automatic", statusReason: a!.reason };
}

/** The fields a status change writes: the parts and what is in force. */
export function statusFields(parts: StatusParts): StatusInForce & { statusParts: StatusParts } {
  return { ...statusInForce(parts), statusParts: parts };
}
