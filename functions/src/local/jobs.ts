/**
 * The local stack's runs of the scheduled jobs (runJobNow under the emulators, tests): the same
 * services as production, with the Cloud Tasks fan-out replaced by an in-memory queue worked
 * here and then. Production never loads this module.
 */
import os from "node:os";
import path from "node:path";
import { BACKUP_BUCKET, runtimeConfig } from "../config.js";
import type { CreditPolicy } from "../schemas/policy.js";
import { runDailyBackup } from "../services/backup.js";
import { runMonthlySchedule, type JobName } from "../services/jobs.js";
import {
  monitorShard,
  scheduleDailyMonitoring,
  type MonitorTask,
  type MonitorShardOptions,
} from "../services/monitoring.js";
import {
  reassessShard,
  runMonthlyReassessment,
  type MonthlyRun,
  type ReassessTask,
  type ReassessShardOptions,
} from "../services/reassessment.js";
import { localBackupPorts } from "./backupPorts.js";

/** The local stack's run of a job: the service, with task fan-out done inline. */
export async function runJobLocally(job: JobName, now: number, policy: CreditPolicy): Promise<Record<string, unknown>> {
  switch (job) {
    case "dailyMonitoring": {
      // The shards' tasks and their continuations run one after another here instead of on Cloud Tasks.
      const run = await runDailyMonitoring(now, policy, { deadline: Date.now() + 8 * 60_000 });
      return { processed: run.processed, skipped: run.skipped, failed: run.failed.length, tasks: run.tasks };
    }
    case "monthlyReassessment": {
      const tasks: ReassessTask[] = [];
      const run = await runMonthlySchedule(now, policy, { enqueue: async (t) => (tasks.push(t), "enqueued") });
      let reviewed = 0;
      let tasksRun = 0;
      for (let t = tasks.shift(); t !== undefined; t = tasks.shift()) {
        const r = await reassessShard(t, policy);
        reviewed += r.reviewed;
        tasksRun++;
        if (r.continuation) tasks.push(r.continuation);
      }
      return { ...run, tasksRun, reviewed };
    }
    case "dailyBackup": {
      const bucket = BACKUP_BUCKET.value() || "gs://local-backups";
      const root = path.join(os.tmpdir(), "credit-desk-backups");
      const r = await runDailyBackup({
        now,
        bucket,
        ports: localBackupPorts(root, runtimeConfig().projectId),
        retentionDays: policy.backup.retentionDays,
      });
      return { backupId: r.start.backupId, status: r.start.status, errorCode: r.start.errorCode, folder: root };
    }
  }
}

/**
 * A day's monitoring run here and now, every shard one after the other (runJobNow on the local
 * stack, tests): the schedule's tasks and their continuations go to an in-memory queue.
 */
export async function runDailyMonitoring(
  now: number,
  policy: CreditPolicy,
  opts: Omit<MonitorShardOptions, "deadline"> & { deadline?: number } = {},
): Promise<{ processed: number; skipped: number; failed: string[]; tasks: number }> {
  const queue: MonitorTask[] = [];
  await scheduleDailyMonitoring(now, policy, { enqueue: async (t) => (queue.push(t), "enqueued"), clock: opts.clock });
  const total = { processed: 0, skipped: 0, failed: [] as string[], tasks: 0 };
  for (let task = queue.shift(); task !== undefined; task = queue.shift()) {
    const run = await monitorShard(task, policy, { ...opts, deadline: opts.deadline ?? Number.POSITIVE_INFINITY });
    total.tasks++;
    total.processed += run.processed;
    total.skipped += run.skipped;
    total.failed.push(...run.failed);
    if (run.continuation && total.tasks < 10_000) queue.push(run.continuation);
  }
  return total;
}

/** A month's reassessment here and now, every shard one after the other (runJobNow on the local stack, tests). */
export async function runMonthlyReassessmentLocally(
  now: number,
  policy: CreditPolicy,
  opts: ReassessShardOptions = {},
): Promise<{ run: MonthlyRun; reviewed: number; failed: string[]; tasks: number }> {
  const queue: ReassessTask[] = [];
  const run = await runMonthlyReassessment(now, policy, { enqueue: async (t) => (queue.push(t), "enqueued") });
  const out = { run, reviewed: 0, failed: [] as string[], tasks: 0 };
  for (let task = queue.shift(); task !== undefined; task = queue.shift()) {
    const r = await reassessShard(task, policy, opts);
    out.tasks++;
    out.reviewed += r.reviewed;
    out.failed.push(...r.failed);
    if (r.continuation && out.tasks < 10_000) queue.push(r.continuation);
  }
  return out;
}
