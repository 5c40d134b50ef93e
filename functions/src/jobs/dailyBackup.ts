/** Every day at 02:00 UTC: follow up running exports, start one when the policy's period has passed (weekly by default), retention. */
import { onSchedule } from "firebase-functions/v2/scheduler";
import { AUDITED, BACKUP_BUCKET } from "../config.js";
import { backupLimitsFor } from "../domain/backup.js";
import { runDailyBackup } from "../services/backup.js";
import { loadPolicy } from "../services/policy.js";

export const dailyBackup = onSchedule(
  { ...AUDITED, schedule: "every day 02:00", timeZone: "UTC", timeoutSeconds: 300, retryCount: 0 },
  async (event) => {
    const now = Date.now();
    const scheduledAt = Date.parse(event.scheduleTime);
    const policy = await loadPolicy(now);
    await runDailyBackup({
      now,
      scheduledAt: Number.isFinite(scheduledAt) ? scheduledAt : undefined,
      bucket: BACKUP_BUCKET.value(),
      retentionDays: policy.backup.retentionDays,
      exportEveryDays: policy.backup.exportEveryDays,
      limits: backupLimitsFor(policy.backup.exportEveryDays),
    });
  },
);
