/** Every day at 00:20 UTC: is the FX table in force older than the policy allows? (`fx_rates_stale`) */
import { onSchedule } from "firebase-functions/v2/scheduler";
import { AUDITED } from "../config.js";
import { checkFxRates as check } from "../services/fx.js";
import { loadPolicy } from "../services/policy.js";

export const checkFxRates = onSchedule(
  { ...AUDITED, schedule: "every day 00:20", timeZone: "UTC", timeoutSeconds: 60, retryCount: 1 },
  async () => {
    const now = Date.now();
    await check(now, await loadPolicy(now));
  },
);
