import { beforeEach, describe, expect, it } from "vitest";
import { getFirestore } from "firebase-admin/firestore";
import * as fns from "../../functions/src/index.js";
import { clearPolicyCache } from "../../functions/src/services/policy.js";
import { DEFAULT_POLICY } from "../../functions/src/domain/policy.js";
import { runJobNow, schedulerJobName, type SchedulerPort } from "../../functions/src/services/jobs.js";
import { approvedCustomer } from "../support/workflow.js";
import { call, callError, firestoreServer, users } from "../support/callables.js";
import { creditFile } from "../support/credit-file.js";

const db = () => getFirestore();
const DAY = 86_400_000;

const newCustomer = approvedCustomer;

beforeEach(async () => {
  await firestoreServer().clear();
  clearPolicyCache();
});

describe("runJobNow on the local stack", () => {
  it("dailyMonitoring ages the due customers now: an invoice 65 days past due puts the file on automatic hold with alerts", async () => {
    const id = await newCustomer();
    const now = Date.now();
    const iso = (ms: number) => new Date(ms).toISOString();
    await call(
      fns.recordTransactions,
      {
        customerId: id,
        transactions: [
          {
            externalId: "INV-OLD",
            type: "invoice",
            amount: 5_000_00,
            issuedAt: iso(now - 95 * DAY),
            dueAt: iso(now - 65 * DAY),
          },
        ],
      },
      users.integration,
    );
    await db()
      .doc(`customers/${id}`)
      .update({ nextAgingAt: new Date(now - 1000) });
    const r = await call(fns.runJobNow, { job: "dailyMonitoring" }, users.admin);
    expect(r).toMatchObject({ started: true, job: "dailyMonitoring", mode: "local" });
    expect(r.summary.processed).toBe(1);
    const c = await creditFile(id);
    expect(c).toMatchObject({ status: "on_hold", statusKind: "automatic" });
    expect(c.openAlerts).toMatchObject({ overdue_30: true, overdue_60: true });
    expect((await call(fns.checkOrder, { customerId: id, orderAmount: 100 }, users.analyst)).decision).toBe("review");
    const audit = (await db().collection("audit/system/entries").get()).docs.map((d) => d.data().action);
    expect(audit).toContain("job.run");
  });

  it("asOf runs a job on a controlled clock: 70 days on, the unpaid invoice has put the file on hold", async () => {
    const id = await newCustomer();
    const now = Date.now();
    const iso = (ms: number) => new Date(ms).toISOString();
    await call(
      fns.recordTransactions,
      {
        customerId: id,
        transactions: [
          { externalId: "INV-1", type: "invoice", amount: 5_000_00, issuedAt: iso(now), dueAt: iso(now + 5 * DAY) },
        ],
      },
      users.integration,
    );
    const r = await call(fns.runJobNow, { job: "dailyMonitoring", asOf: iso(now + 70 * DAY) }, users.admin);
    expect(r.summary.processed).toBe(1);
    expect(await creditFile(id)).toMatchObject({ status: "on_hold", statusKind: "automatic" });
    const err = await callError(fns.runJobNow, { job: "dailyMonitoring", asOf: "not-a-date" }, users.admin);
    expect(err.message).toContain("asOf");
    await expect(
      runJobNow({ job: "dailyMonitoring", asOf: now }, users.admin as never, now, DEFAULT_POLICY, {
        scheduler: { run: async () => {}, pause: async () => {}, resume: async () => {} },
        local: false,
      }),
    ).rejects.toThrow(/local stack/);
  });

  it("monthlyReassessment reviews every due active customer once", async () => {
    const a = await newCustomer();
    await db()
      .doc(`customers/${a}`)
      .update({ nextReviewAt: new Date(Date.now() - 1000) });
    const r = await call(fns.runJobNow, { job: "monthlyReassessment" }, users.admin);
    expect(r.summary.reviewed).toBe(1);
    expect((await db().collection(`customers/${a}/reviews`).get()).size).toBeGreaterThanOrEqual(1);
    const again = await call(fns.runJobNow, { job: "monthlyReassessment" }, users.admin);
    expect(again.summary.reviewed).toBe(0);
  });

  it("dailyBackup runs the export against a local folder and records the run", async () => {
    await newCustomer();
    const r = await call(fns.runJobNow, { job: "dailyBackup" }, users.admin);
    expect(r.summary.status).toBe("running");
    const runs = await db().collection("backups").get();
    expect(runs.size).toBe(1);
  });

  it("only admins; pause/resume need Cloud Scheduler; bad job names the field", async () => {
    for (const who of [users.manager, users.analyst, users.auditor]) {
      expect((await callError(fns.runJobNow, { job: "dailyMonitoring" }, who)).code).toBe("permission-denied");
    }
    expect((await callError(fns.runJobNow, { job: "dailyMonitoring", action: "pause" }, users.admin)).code).toBe(
      "failed-precondition",
    );
    const err = await callError(fns.runJobNow, { job: "everything" }, users.admin);
    expect(err.code).toBe("invalid-argument");
    expect(err.message).toContain("job");
  });
});

describe("runJobNow in production asks Cloud Scheduler", () => {
  it("runs, pauses and resumes the deployed job by its Firebase scheduler name", async () => {
    const calls: string[] = [];
    const scheduler: SchedulerPort = {
      run: async (n) => void calls.push(`run ${n}`),
      pause: async (n) => void calls.push(`pause ${n}`),
      resume: async (n) => void calls.push(`resume ${n}`),
    };
    const now = Date.now();
    expect(
      await runJobNow({ job: "monthlyReassessment" }, users.admin as never, now, DEFAULT_POLICY, {
        scheduler,
        local: false,
      }),
    ).toMatchObject({ started: true, mode: "cloud-scheduler" });
    await runJobNow({ job: "dailyBackup", action: "pause" }, users.admin as never, now, DEFAULT_POLICY, {
      scheduler,
      local: false,
    });
    await runJobNow({ job: "dailyBackup", action: "resume" }, users.admin as never, now, DEFAULT_POLICY, {
      scheduler,
      local: false,
    });
    expect(calls).toEqual([
      "run projects/demo-credit/locations/us-central1/jobs/firebase-schedule-monthlyReassessment-us-central1",
      "pause projects/demo-credit/locations/us-central1/jobs/firebase-schedule-dailyBackup-us-central1",
      "resume projects/demo-credit/locations/us-central1/jobs/firebase-schedule-dailyBackup-us-central1",
    ]);
    expect(schedulerJobName("p", "europe-west1", "dailyMonitoring")).toBe(
      "projects/p/locations/europe-west1/jobs/firebase-schedule-dailyMonitoring-europe-west1",
    );
  });
});
