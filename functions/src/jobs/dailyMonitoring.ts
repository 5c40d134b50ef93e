/** Every day at 01:00 UTC: enqueue the day's monitoring, one task per shard (services/monitoring.ts). */
import { onSchedule } from "firebase-functions/v2/scheduler";
import { AUDITED } from "../config.js";
import { scheduleDailyMonitoring, type MonitorTask } from "../services/monitoring.js";
import { loadPolicy } from "../services/policy.js";
import { deadlineFor, taskQueueEnqueuer } from "./taskQueue.js";

const TIMEOUT_SECONDS = 540;

export const dailyMonitoring = onSchedule(
  {
    ...AUDITED,
    schedule: "every day 01:00",
    timeZone: "UTC",
    timeoutSeconds: TIMEOUT_SECONDS,
    memory: "512MiB",
    retryCount: 1,
  },
  async () => {
    const now = Date.now();
    const policy = await loadPolicy(now);
    await scheduleDailyMonitoring(now, policy, {
      deadline: deadlineFor(TIMEOUT_SECONDS, policy.jobs.timeBudgetSeconds, now),
      enqueue: taskQueueEnqueuer<MonitorTask>("monitorBatch"),
    });
  },
);
