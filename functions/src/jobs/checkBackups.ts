/** Every 30 minutes: follow running exports to success or failure; alert when no export succeeded within the policy's period (+48 h). */
import { onSchedule } from "firebase-functions/v2/scheduler";
import { AUDITED } from "../config.js";
import { backupLimitsFor } from "../domain/backup.js";
import { checkBackups as checkBackupRuns } from "../services/backup.js";
import { loadPolicy } from "../services/policy.js";

export const checkBackups = onSchedule(
  { ...AUDITED, schedule: "every 30 minutes", timeZone: "UTC", timeoutSeconds: 120, retryCount: 0 },
  async () => {
    const now = Date.now();
    const policy = await loadPolicy(now);
    await checkBackupRuns({ now, limits: backupLimitsFor(policy.backup.exportEveryDays) });
  },
);
