/**
 * The credit policy in force: a pure read. `config/creditPolicy` (an override of the defaults
 * in code) is validated as a whole and cached per instance for a short time, so hot paths
 * (checkOrder) cost no extra read. An invalid document is never used: the last valid override
 * (config/creditPolicyLastGood) or the defaults stay in force. Keeping the last valid override,
 * auditing an edit and raising or resolving the `policy_invalid` alert are the `policyWritten`
 * trigger's (services/policyWatch.ts): it sees every write, once.
 */
import { readLastGoodPolicy, readPolicyDocument } from "../data/policy.js";
import { DEFAULT_POLICY, resolvePolicy } from "../domain/policy.js";
import type { CreditPolicy } from "../schemas/policy.js";
import { logs } from "../logs.js";
import { clearFxCache } from "./fx.js";

const TTL_MS = 60_000;
let cached: { policy: CreditPolicy; loadedAt: number } | null = null;

/** Forget the cached policy, and the FX table validated against it. */
export function clearPolicyCache(): void {
  cached = null;
  clearFxCache();
}

export async function loadPolicy(now: number = Date.now()): Promise<CreditPolicy> {
  if (cached && now - cached.loadedAt < TTL_MS) return cached.policy;
  const stored = await readPolicyDocument();
  const resolved = resolvePolicy(stored.override);
  let policy: CreditPolicy;
  if (resolved.ok) {
    policy = resolved.policy;
  } else {
    const fallback = resolvePolicy(await readLastGoodPolicy());
    policy = fallback.ok ? fallback.policy : DEFAULT_POLICY;
  }
  cached = { policy, loadedAt: now };
  logs.policyLoaded(policy.version);
  return policy;
}
