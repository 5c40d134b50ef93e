/**
 * The credit policy in force. Read from `config/creditPolicy` (an override of the
 * defaults in code), validated as a whole, cached per instance for a short time so hot
 * paths (checkOrder) cost no extra read. An invalid document is never used: the last
 * valid override (kept at config/creditPolicyLastGood) or the defaults stay in force,
 * the error is logged with the offending paths, and a `policy_invalid` alert is raised.
 */
import { readLastGoodPolicy, readPolicyDocument, writeLastGoodPolicy } from "../data/policy.js";
import { canonicalJson } from "../domain/audit.js";
import { DEFAULT_POLICY, resolvePolicy } from "../domain/policy.js";
import type { CreditPolicy } from "../schemas/policy.js";
import { logs } from "../logs.js";
import { raiseAlert, resolveAlertCondition } from "./alerts.js";
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
    if (stored.override) {
      const lastGood = await readLastGoodPolicy();
      if (canonicalJson(lastGood) !== canonicalJson(stored.override)) await writeLastGoodPolicy(stored.override, stored.updateTime);
    }
    // Valid again (a fix, a revert to the last good version, or the document deleted): close the alert.
    await resolveAlertCondition({ type: "policy_invalid", subject: { kind: "system", id: "creditPolicy" } }, "POLICY_VALID_AGAIN", now);
  } else {
    logs.policyInvalid(resolved.issues);
    await raiseAlert(
      {
        type: "policy_invalid",
        subject: { kind: "system", id: "creditPolicy" },
        code: "POLICY_INVALID",
        details: { paths: resolved.issues.map((i) => i.path).slice(0, 10).join(",") },
      },
      now,
    );
    const fallback = resolvePolicy(await readLastGoodPolicy());
    policy = fallback.ok ? fallback.policy : DEFAULT_POLICY;
  }
  cached = { policy, loadedAt: now };
  logs.policyLoaded(policy.version);
  return policy;
}
