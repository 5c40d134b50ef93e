/** One shard of the daily monitoring: {job: "monitor", asOf, shard, part?, refresh?} — its customers due at asOf. */
import { onTaskDispatched } from "firebase-functions/v2/tasks";
import { z } from "zod";
import { AUDITED } from "../config.js";
import { monitorShard, monitorTaskId, scheduleDailyMonitoring, type MonitorTask } from "../services/monitoring.js";
import { loadPolicy } from "../services/policy.js";
import { deadlineFor, taskQueueEnqueuer } from "./taskQueue.js";

const TIMEOUT_SECONDS = 540;
const payload = z.object({
  job: z.literal("monitor"),
  asOf: z.number().int().nonnegative(),
  /** Absent: a continuation enqueued before shards existed — it schedules the day's shard tasks. */
  shard: z.number().int().nonnegative().optional(),
  part: z.number().int().nonnegative().optional(),
  refresh: z.boolean().optional(),
});

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
    const enqueue = taskQueueEnqueuer<MonitorTask>("monitorBatch");
    if (task.shard === undefined) {
      await scheduleDailyMonitoring(task.asOf, policy, {
        enqueue,
        deadline: deadlineFor(TIMEOUT_SECONDS, policy.jobs.timeBudgetSeconds, start),
      });
      return;
    }
    const run = await monitorShard({ ...task, shard: task.shard }, policy, {
      deadline: deadlineFor(TIMEOUT_SECONDS, policy.jobs.timeBudgetSeconds, start),
    });
    // Failed customers stay due: this task fails and its retry takes them and the rest. Only a
    // pass that cannot fail any more hands its rest on, so a retry and a continuation never overlap.
    if (run.failed.length > 0) throw new Error(`monitoring failed for ${run.failed.length} customer(s)`);
    if (run.continuation) await enqueue(run.continuation, { id: monitorTaskId(run.continuation) });
  },
);
