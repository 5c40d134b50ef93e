/** One shard of the monthly reassessment: {job: "reassess", asOf, shard, part?}. Idempotent; retried on failure. */
import { onTaskDispatched } from "firebase-functions/v2/tasks";
import { z } from "zod";
import { AUDITED } from "../config.js";
import { loadPolicy } from "../services/policy.js";
import { reassessShard, reassessTaskId, runMonthlyReassessment, type ReassessTask } from "../services/reassessment.js";
import { deadlineFor, taskQueueEnqueuer } from "./taskQueue.js";

const TIMEOUT_SECONDS = 540;
const payload = z.object({
  job: z.literal("reassess"),
  asOf: z.number().int().nonnegative(),
  /** Absent: a batch enqueued before shards existed — it schedules the month's shard tasks. */
  shard: z.number().int().nonnegative().optional(),
  part: z.number().int().nonnegative().optional(),
});

export const reassessBatch = onTaskDispatched(
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
    const enqueue = taskQueueEnqueuer<ReassessTask>("reassessBatch");
    const deadline = deadlineFor(TIMEOUT_SECONDS, policy.jobs.timeBudgetSeconds, start);
    if (task.shard === undefined) {
      await runMonthlyReassessment(task.asOf, policy, { enqueue, deadline });
      return;
    }
    const run = await reassessShard({ ...task, shard: task.shard }, policy, { deadline });
    // Failed customers stay due: this task fails and its retry (same payload) takes them and the
    // rest. Only a task that cannot fail any more hands its rest on (never a retry beside a continuation).
    if (run.failed.length > 0) throw new Error(`reassessment failed for ${run.failed.length} customer(s)`);
    if (run.continuation)
      await enqueue(run.continuation, {
        id: reassessTaskId(run.continuation.asOf, run.continuation.shard, run.continuation.part),
      });
  },
);
