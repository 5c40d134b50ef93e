/** Every 30 minutes: follow running exports to success or failure; alert when no recent export succeeded. */
import { onSchedule } from "firebase-functions/v2/scheduler";
import { AUDITED } from "../config.js";
import { checkBackups as checkBackupRuns } from "../services/backup.js";

export const checkBackups = onSchedule(
  { ...AUDITED, schedule: "every 30 minutes", timeZone: "UTC", timeoutSeconds: 120, retryCount: 0 },
  async () => {
    await checkBackupRuns({ now: Date.now() });
  },
);
