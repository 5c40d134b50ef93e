/** One part of a policy what-if over a large portfolio: {simulationId, part}. Idempotent by part; retried on failure. */
import { onTaskDispatched } from "firebase-functions/v2/tasks";
import { z } from "zod";
import { AUDITED } from "../config.js";
import { loadPolicy } from "../services/policy.js";
import { runSimulationPart, type SimulationTask } from "../services/simulation.js";
import { deadlineFor, taskQueueEnqueuer } from "./taskQueue.js";

const TIMEOUT_SECONDS = 540;
const payload = z.object({ simulationId: z.string().min(1).max(128), part: z.number().int().nonnegative() });

export const simulatePolicyBatch = onTaskDispatched(
  {
    ...AUDITED,
    timeoutSeconds: TIMEOUT_SECONDS,
    memory: "512MiB",
    retryConfig: { maxAttempts: 5, minBackoffSeconds: 30 },
    rateLimits: { maxConcurrentDispatches: 2 },
  },
  async (req) => {
    const start = Date.now();
    const task = payload.parse(req.data);
    const policy = await loadPolicy(start);
    await runSimulationPart(task, {
      deadline: deadlineFor(TIMEOUT_SECONDS, policy.jobs.timeBudgetSeconds, start),
      enqueue: taskQueueEnqueuer<SimulationTask>("simulatePolicyBatch"),
    });
  },
);
