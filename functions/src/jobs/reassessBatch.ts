/** One reassessment batch: {job: "reassess", asOf, batch, part?, quota?}. Idempotent; retried on failure. */
import { onTaskDispatched } from "firebase-functions/v2/tasks";
import { z } from "zod";
import { AUDITED } from "../config.js";
import { loadPolicy } from "../services/policy.js";
import { reassessBatch as runBatch, type ReassessTask } from "../services/reassessment.js";
import { deadlineFor, taskQueueEnqueuer } from "./taskQueue.js";

const TIMEOUT_SECONDS = 540;
const payload = z.object({
  job: z.literal("reassess"),
  asOf: z.number().int().nonnegative(),
  batch: z.number().int().nonnegative(),
  part: z.number().int().nonnegative().optional(),
  quota: z.number().int().positive().optional(),
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
    const run = await runBatch(task.asOf, policy, {
      batch: task.batch,
      part: task.part ?? 0,
      quota: task.quota ?? policy.jobs.batchSize,
      deadline: deadlineFor(TIMEOUT_SECONDS, policy.jobs.timeBudgetSeconds, start),
      enqueue: taskQueueEnqueuer<ReassessTask>("reassessBatch"),
    });
    // Failed customers stay due: a retry of this task (same payload) takes them again.
    if (run.failed.length > 0) throw new Error(`reassessment failed for ${run.failed.length} customer(s)`);
  },
);
