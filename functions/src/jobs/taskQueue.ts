/**
 * Enqueueing onto a function's Cloud Tasks queue (firebase-admin/functions). A task id makes
 * the enqueue idempotent: a second enqueue with the same id reports "exists" (Cloud Tasks
 * keeps the name reserved for a while after the task ran).
 */
import { regionName } from "../config.js";
import { app } from "../data/firebase.js";
import type { Enqueue } from "../services/jobKit.js";

export function taskQueueEnqueuer<T extends object>(functionName: string, region: string = regionName()): Enqueue<T> {
  return async (payload, opts) => {
    const { getFunctions } = await import("firebase-admin/functions"); // loaded by the functions that enqueue, not by every cold start
    const queue = getFunctions(app()).taskQueue<T & Record<string, unknown>>(
      `locations/${region}/functions/${functionName}`,
    );
    try {
      const options = {
        ...(opts?.id ? { id: opts.id } : {}),
        ...(opts?.scheduleAt !== undefined ? { scheduleTime: new Date(opts.scheduleAt) } : {}),
      };
      await queue.enqueue(payload as T & Record<string, unknown>, Object.keys(options).length ? options : undefined);
      return "enqueued";
    } catch (err) {
      const code = String((err as { code?: unknown })?.code ?? "");
      if (code.endsWith("task-already-exists")) return "exists";
      throw err;
    }
  };
}

/**
 * The task queue, or — where none can be reached: the Functions code running without the Cloud
 * Tasks emulator, as under firebase-functions-test — the task's work run here and now. The local
 * stack's Functions emulator sets CLOUD_TASKS_EMULATOR_HOST, and production has real queues.
 */
export function taskQueueOrInline<T extends object>(
  functionName: string,
  inline: (payload: T) => Promise<unknown>,
  env: Record<string, string | undefined> = process.env,
): Enqueue<T> {
  const emulated = env.FUNCTIONS_EMULATOR === "true" || Boolean(env.FIRESTORE_EMULATOR_HOST);
  if (emulated && !env.CLOUD_TASKS_EMULATOR_HOST) return async (payload) => (await inline(payload), "enqueued");
  return taskQueueEnqueuer<T>(functionName);
}

/** Time left for a handler: its timeout minus a margin, capped by the policy's time budget. */
export function deadlineFor(timeoutSeconds: number, budgetSeconds: number, start: number = Date.now()): number {
  return start + Math.min(timeoutSeconds - 60, budgetSeconds) * 1000;
}
