/**
 * A customer's group commit: {customerId, bucket} — after the period `bucket` ends, apply every
 * record written straight to Firestore and marked pending in it, in one transaction
 * (services/transactions.ts `drainPendingRecords`). Idempotent (a second run finds nothing
 * pending); retried on transient failures; more than one drain's worth goes on in the next period.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { onTaskDispatched } from "firebase-functions/v2/tasks";
import { z } from "zod";
import { AUDITED } from "../config.js";
import { loadPolicy } from "../services/policy.js";
import { drainAt, drainBucket, drainPendingRecords, drainTaskId, type DrainTask } from "../services/transactions.js";
import { taskQueueEnqueuer } from "./taskQueue.js";

const payload = z.object({ customerId: z.string().min(1).max(1500), bucket: z.number().int().nonnegative() });

export const applyPendingRecords = onTaskDispatched(
  {
    ...AUDITED,
    timeoutSeconds: 120,
    retryConfig: { maxAttempts: 50, minBackoffSeconds: 1, maxBackoffSeconds: 300 },
    rateLimits: { maxConcurrentDispatches: 200 },
  },
  async (req) => {
    const task = payload.parse(req.data);
    const policy = await loadPolicy(Date.now());
    // Cloud Tasks dispatches at the scheduled time; a queue that dispatches at once (the local
    // emulator) waits here for the period to end, so every record marked in it is seen.
    const wait = drainAt(task.bucket, policy) - Date.now();
    if (wait > 0) await sleep(Math.min(wait, policy.ledger.groupCommitSeconds * 1000 + 1000));
    const run = await drainPendingRecords(task.customerId, Date.now(), policy);
    if (run.more) {
      const bucket = drainBucket(Date.now(), policy) + 1;
      const next: DrainTask = { customerId: task.customerId, bucket };
      await taskQueueEnqueuer<DrainTask>("applyPendingRecords")(next, {
        id: drainTaskId(task.customerId, bucket),
        scheduleAt: drainAt(bucket, policy),
      });
    }
  },
);
