/** On the 1st of every month at 03:00 UTC: enqueue the reassessment batches, alert on expiring acknowledgements (services/jobs.ts). */
import { onSchedule } from "firebase-functions/v2/scheduler";
import { AUDITED } from "../config.js";
import { loadPolicy } from "../services/policy.js";
import { runMonthlySchedule } from "../services/jobs.js";
import type { ReassessTask } from "../services/reassessment.js";
import { taskQueueEnqueuer } from "./taskQueue.js";

export const monthlyReassessment = onSchedule(
  { ...AUDITED, schedule: "0 3 1 * *", timeZone: "UTC", timeoutSeconds: 300, retryCount: 2 },
  async () => {
    const now = Date.now();
    const policy = await loadPolicy(now);
    await runMonthlySchedule(now, policy, { enqueue: taskQueueEnqueuer<ReassessTask>("reassessBatch") });
  },
);
