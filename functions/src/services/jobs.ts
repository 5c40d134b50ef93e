/**
 * runJobNow: an admin starts a scheduled job at once, or pauses / resumes its schedule.
 * In production the deployed job is asked to run through Cloud Scheduler (the same code
 * path as its schedule, with its own timeout and retries); on the local stack, where
 * there is no Cloud Scheduler, the job's service runs here and then (local/jobs.ts). Audited in the
 * system chain either way.
 */
import type { CloudSchedulerClient } from "@google-cloud/scheduler";
import { regionName, runtimeConfig } from "../config.js";
import { AuditAppender, chains, headOf } from "../data/audit.js";
import { firestore } from "../data/firebase.js";
import { idempotencyKey, recordPending, recordResult, requestState } from "../data/requests.js";
import { precondition } from "../domain/errors.js";
import type { Caller } from "../domain/roles.js";
import type { RunJobNowInput } from "../schemas/callables.js";
import type { CreditPolicy } from "../schemas/policy.js";
import { alertExpiringAcknowledgements } from "./confidentiality.js";
import type { Enqueue } from "./jobKit.js";
import { runMonthlyReassessment, type ReassessTask } from "./reassessment.js";
import { writeMonthlySnapshot } from "./reports.js";
import { logs } from "../logs.js";

export type JobName = RunJobNowInput["job"];
export type JobAction = NonNullable<RunJobNowInput["action"]>;

/** The Cloud Scheduler job Firebase creates for a 2nd-gen scheduled function. */
export function schedulerJobName(projectId: string, region: string, job: JobName): string {
  return `projects/${projectId}/locations/${region}/jobs/firebase-schedule-${job}-${region}`;
}

export interface SchedulerPort {
  run(name: string): Promise<void>;
  pause(name: string): Promise<void>;
  resume(name: string): Promise<void>;
}

/**
 * Cloud Scheduler's client, loaded on first use: it is the heaviest module the functions use
 * (~0.2 s to load on this machine) and every function's cold start loads index.js, while only
 * runJobNow in production needs it.
 */
export function cloudScheduler(): SchedulerPort {
  let client: Promise<CloudSchedulerClient> | undefined;
  const c = () => (client ??= import("@google-cloud/scheduler").then((m) => new m.CloudSchedulerClient()));
  return {
    run: async (name) => void (await (await c()).runJob({ name })),
    pause: async (name) => void (await (await c()).pauseJob({ name })),
    resume: async (name) => void (await (await c()).resumeJob({ name })),
  };
}

export interface RunJobResult {
  started: boolean;
  job: JobName;
  action: JobAction;
  mode: "cloud-scheduler" | "local";
  /** Local runs: what the job did (counts only). */
  summary?: Record<string, unknown>;
}

/**
 * The monthly schedule, step by step: the portfolio report's snapshot of the month just closed
 * (first: the reviews enqueued next move the heads' review fields on), the reassessment batches,
 * and alerts on confidentiality acknowledgements that expire within the policy's warning days.
 * Every step is idempotent; a step that fails is logged, the others still run, and the schedule
 * then fails so that Cloud Scheduler runs it again.
 */
export async function runMonthlySchedule(now: number, policy: CreditPolicy, deps: { enqueue: Enqueue<ReassessTask> }) {
  let failed: unknown = null;
  const step = async <T>(name: string, fn: () => Promise<T>): Promise<T | null> => {
    try {
      return await fn();
    } catch (err) {
      logs.jobStepFailed("monthlyReassessment", name, err);
      failed ??= err;
      return null;
    }
  };
  const snapshot = await step("reportSnapshot", () => writeMonthlySnapshot(now, policy));
  const run = await step("reassessment", () => runMonthlyReassessment(now, policy, deps));
  const acknowledgementAlerts = await step("acknowledgements", () => alertExpiringAcknowledgements(now, policy));
  if (failed !== null) throw failed;
  return { ...run!, acknowledgementAlerts: acknowledgementAlerts!, snapshot: snapshot! };
}

export async function runJobNow(
  input: RunJobNowInput,
  caller: Caller,
  now: number,
  policy: CreditPolicy,
  deps: { scheduler?: SchedulerPort; local?: boolean } = {},
): Promise<RunJobResult> {
  const action: JobAction = input.action ?? "run";
  const local = deps.local ?? runtimeConfig().emulated;
  if (local && action !== "run")
    throw precondition("pause and resume act on Cloud Scheduler, which the local stack does not have");
  if (!local && input.asOf !== undefined)
    throw precondition("asOf is for the local stack: a deployed job runs at its own time");
  const runAt = input.asOf ?? now;
  const db = firestore();
  const chain = chains.system();
  const key = idempotencyKey("runJobNow", caller.uid, input);
  const mode = local ? ("local" as const) : ("cloud-scheduler" as const);
  // The intent on record first (audited), so a run that fails half-way is on the trail; with a
  // requestId it stays pending until the run is confirmed, and a retry runs it again (every job
  // is idempotent) rather than answering with a run that did not happen.
  const step1 = await db.runTransaction(async (tx) => {
    const [state, head] = await Promise.all([
      key ? requestState<RunJobResult, null>(tx, key) : Promise.resolve({ state: "new" as const }),
      tx.get(chain.headDoc),
    ]);
    if (state.state !== "new") return state;
    new AuditAppender(tx, chain, headOf(head.data()), now).append({
      action: `job.${action}`,
      actor: caller,
      target: `jobs/${input.job}`,
      before: null,
      after: { job: input.job, action, mode, asOf: input.asOf ?? null },
      reason: null,
      requestId: input.requestId ?? null,
    });
    if (key) recordPending(tx, key, null, now);
    return state;
  });
  if (step1.state === "done") return step1.result;
  const result = await runJob(input, action, runAt, policy, local, deps.scheduler);
  if (key) await db.runTransaction(async (tx) => recordResult(tx, key, result, now));
  return result;
}

async function runJob(
  input: RunJobNowInput,
  action: JobAction,
  runAt: number,
  policy: CreditPolicy,
  local: boolean,
  scheduler?: SchedulerPort,
): Promise<RunJobResult> {
  if (local) {
    const { runJobLocally } = await import("../local/jobs.js");
    const summary = await runJobLocally(input.job, runAt, policy);
    return { started: true, job: input.job, action, mode: "local", summary };
  }
  const name = schedulerJobName(runtimeConfig().projectId, regionName(), input.job);
  await (scheduler ?? cloudScheduler())[action](name);
  return { started: action === "run", job: input.job, action, mode: "cloud-scheduler" };
}
