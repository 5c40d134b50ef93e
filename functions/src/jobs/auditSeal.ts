/** Every day at 00:30 UTC: seal the heads of the audit chains that changed, after sweeping them (services/auditSeal.ts). */
import { onSchedule } from "firebase-functions/v2/scheduler";
import { AUDITED } from "../config.js";
import { runAuditSeal } from "../services/auditSeal.js";

const TIMEOUT_SECONDS = 540;

export const auditSeal = onSchedule(
  {
    ...AUDITED,
    schedule: "every day 00:30",
    timeZone: "UTC",
    timeoutSeconds: TIMEOUT_SECONDS,
    memory: "512MiB",
    retryCount: 1,
  },
  async () => {
    const now = Date.now();
    await runAuditSeal({ now, deadline: now + (TIMEOUT_SECONDS - 60) * 1000 });
  },
);
