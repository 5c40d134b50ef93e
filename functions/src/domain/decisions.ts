/**
 * Decision memos. Every decided document (an application's department half, a limit request,
 * a blocked order, a status change, …) keeps why it was decided on itself, for credit staff and
 * auditors to read without the audit trail: the decider's note, reason codes, who decided in
 * which role, and when. A decision the policy made names the rule as `decidedBy`
 * (`policy:decrease`) and has no role. Pure: the clock comes in.
 */
import type { Caller } from "./roles.js";

export interface DecisionMemo {
  note: string | null;
  /** Machine-readable reasons: the decider's codes first, then the codes the decision itself implies. */
  reasonCodes: string[];
  decidedBy: string | null;
  decidedByRole: string | null;
  decidedAt: number | null;
}

export const MAX_REASON_CODES = 10;
export const REASON_CODE = /^[A-Z][A-Z0-9_]{1,63}$/;

/** Unique codes, the person's first, at most MAX_REASON_CODES. */
export function mergeReasonCodes(...lists: Array<readonly string[] | null | undefined>): string[] {
  const out: string[] = [];
  for (const list of lists)
    for (const c of list ?? []) if (!out.includes(c) && out.length < MAX_REASON_CODES) out.push(c);
  return out;
}

/** A person's decision. */
export function personMemo(
  caller: Caller,
  now: number,
  note: string,
  personCodes: readonly string[] | undefined,
  implied: readonly string[] = [],
): DecisionMemo {
  return {
    note,
    reasonCodes: mergeReasonCodes(personCodes, implied),
    decidedBy: caller.uid,
    decidedByRole: caller.role,
    decidedAt: now,
  };
}

/** A decision the policy or the system made (no person, no role): the rule is `by`. */
export function systemMemo(
  by: string,
  now: number,
  reasonCodes: readonly string[],
  note: string | null = null,
): DecisionMemo {
  return { note, reasonCodes: mergeReasonCodes(reasonCodes), decidedBy: by, decidedByRole: null, decidedAt: now };
}

/** A memo not written yet (an undecided document). */
export const NO_MEMO: DecisionMemo = {
  note: null,
  reasonCodes: [],
  decidedBy: null,
  decidedByRole: null,
  decidedAt: null,
};
