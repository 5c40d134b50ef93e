/** Continuation of the daily monitoring: {job: "monitor", asOf} — takes the customers still due at asOf. */
import { onTaskDispatched } from "firebase-functions/v2/tasks";
import { z } from "zod";
import { AUDITED } from "../config.js";
import { runDailyMonitoring, type MonitorTask } from "../services/monitoring.js";
import { loadPolicy } from "../services/policy.js";
import { deadlineFor, taskQueueEnqueuer } from "./taskQueue.js";

const TIMEOUT_SECONDS = 540;
const payload = z.object({ job: z.literal("monitor"), asOf: z.number().int().nonnegative() });

export const monitorBatch = onTaskDispatched(
  {
    ...AUDITED,
    timeoutSeconds: TIMEOUT_SECONDS,
    memory: "512MiB",
    retryConfig: { maxAttempts: 5, minBackoffSeconds: 30 },
    rateLimits: { maxConcurrentDispatches: 6 },
  },
  async (req) => {
    const start = Date.now();
    const task = payload.parse(req.data);
    const policy = await loadPolicy(start);
    const run = await runDailyMonitoring(task.asOf, policy, {
      deadline: deadlineFor(TIMEOUT_SECONDS, policy.jobs.timeBudgetSeconds, start),
      enqueue: taskQueueEnqueuer<MonitorTask>("monitorBatch"),
    });
    // Failed customers stay due: a retry of this task takes them again.
    if (run.failed.length > 0) throw new Error(`monitoring failed for ${run.failed.length} customer(s)`);
  },
);
