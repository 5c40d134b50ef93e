/** Every 30 minutes: follow running exports to success or failure; alert when no recent export succeeded. */
import { onSchedule } from "firebase-functions/v2/scheduler";
import { AUDITED, REGION } from "../config.js";
import { checkBackups as checkBackupRuns } from "../services/backup.js";

export const checkBackups = onSchedule(
  { ...AUDITED, schedule: "every 30 minutes", timeZone: "UTC", region: REGION, timeoutSeconds: 120, memory: "256MiB", retryCount: 0 },
  async () => {
    await checkBackupRuns({ now: Date.now() });
  },
);
