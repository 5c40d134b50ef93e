/** The daily job: the work queue (nextAgingAt), paging without cursors, the deadline hand-off, idempotence. */
import { beforeEach, describe, expect, it } from "vitest";
import { getFirestore, Timestamp } from "firebase-admin/firestore";
import * as fns from "../../functions/src/index.js";
import { DEFAULT_POLICY } from "../../functions/src/domain/policy.js";
import { monitorCustomer, runDailyMonitoring, type MonitorTask } from "../../functions/src/services/monitoring.js";
import { clearPolicyCache } from "../../functions/src/services/policy.js";
import { call, firestoreServer, users } from "../support/callables.js";
import { application } from "../support/fixtures.js";
import { cloneCreditFile, creditFile, updateCreditFile } from "../support/credit-file.js";

const db = () => getFirestore();
const P = DEFAULT_POLICY;
const DAY = 86_400_000;
const HOUR = 3_600_000;

async function newCustomer(limit = 40_000_00) {
  const { applicationId } = await call(fns.submitCreditApplication, application({ requestedLimit: limit }), users.applicant);
  await call(fns.reviewCreditApplication, { applicationId }, users.analyst);
  const r = await call(fns.decideCreditApplication, { applicationId, decision: "approve", approvedLimit: limit, note: "ok" }, users.manager);
  return r.customerId as string;
}

/** n copies of one real credit file (own audit chains), all due for aging at `dueAt`. */
async function portfolio(n: number, dueAt: number): Promise<string[]> {
  const first = await newCustomer();
  const ids = Array.from({ length: n }, (_, i) => `c${String(i).padStart(3, "0")}`);
  await cloneCreditFile(first, ids.map((id, i) => ({ id, head: { nextAgingAt: Timestamp.fromMillis(dueAt - (i % 5) * HOUR) } })));
  return ids;
}

function stubQueue() {
  const tasks: MonitorTask[] = [];
  return { tasks, enqueue: async (t: MonitorTask) => (tasks.push(t), "enqueued" as const) };
}

async function preconditionsEnforced(): Promise<boolean> {
  const ref = db().doc("probe/precondition");
  await ref.set({ v: 1 });
  const snap = await ref.get();
  await ref.set({ v: 2 });
  try {
    await ref.update({ v: 3 }, { lastUpdateTime: snap.updateTime! });
    return false;
  } catch {
    return true;
  }
}

const dueCount = async (now: number) => (await db().collection("customers").where("nextAgingAt", "<=", Timestamp.fromMillis(now)).count().get()).data().count;

beforeEach(() => {
  firestoreServer().clear();
  clearPolicyCache();
});

describe("runDailyMonitoring", () => {
  it("pages through 25 due customers with pageSize 10 (no cursor): all processed, none twice, nothing enqueued", async () => {
    const now = Math.floor(Date.now() / DAY) * DAY + 2 * DAY + HOUR;
    const ids = await portfolio(25, now - HOUR);
    const q = stubQueue();
    const run = await runDailyMonitoring(now, P, { pageSize: 10, deadline: Number.MAX_SAFE_INTEGER, enqueue: q.enqueue });
    // 25 copies + the template customer itself
    expect(run).toMatchObject({ processed: 26, skipped: 0, failed: [], pages: 3, continued: false });
    expect(q.tasks).toEqual([]);
    expect(await dueCount(now)).toBe(0);
    for (const id of ids) {
      const c = await creditFile(id);
      expect(c.nextAgingAt.toMillis()).toBe(Math.floor(now / DAY) * DAY + DAY);
    }
    // Delivered again (a retried schedule or task): nothing is due, nothing is written.
    const again = await runDailyMonitoring(now, P, { pageSize: 10, deadline: Number.MAX_SAFE_INTEGER, enqueue: q.enqueue });
    expect(again).toMatchObject({ processed: 0, pages: 0, continued: false });
  });

  it("at the deadline, hands the rest to the task queue; the task finishes the day", async () => {
    const now = Math.floor(Date.now() / DAY) * DAY + 2 * DAY + HOUR;
    await portfolio(25, now - HOUR);
    const q = stubQueue();
    // The clock is past the deadline as soon as the first page is done.
    const run = await runDailyMonitoring(now, P, { pageSize: 10, deadline: 0, clock: () => 1, enqueue: q.enqueue, concurrency: 1 });
    expect(run.pages).toBe(1);
    expect(run.processed).toBe(10);
    expect(run.continued).toBe(true);
    expect(q.tasks).toEqual([{ job: "monitor", asOf: now }]);
    expect(await dueCount(now)).toBe(16);
    // The task (same asOf) takes the rest.
    const rest = await runDailyMonitoring(q.tasks[0]!.asOf, P, { pageSize: 10, deadline: Number.MAX_SAFE_INTEGER, enqueue: q.enqueue });
    expect(rest.processed).toBe(16);
    expect(await dueCount(now)).toBe(0);
  });

  it("a customer that fails stays due and does not block the queue", async () => {
    const now = Math.floor(Date.now() / DAY) * DAY + 2 * DAY + HOUR;
    await portfolio(12, now - HOUR);
    // A corrupt ledger: summarising it throws for this customer only.
    await updateCreditFile("c000", { ledger: { v: 99 } });
    const q = stubQueue();
    const run = await runDailyMonitoring(now, P, { pageSize: 5, deadline: Number.MAX_SAFE_INTEGER, enqueue: q.enqueue });
    expect(run.failed).toEqual(["c000"]);
    expect(run.processed).toBe(12);
    expect(run.continued).toBe(false);
    expect(await dueCount(now)).toBe(1);
  });

  it("monitorCustomer with onlyIfDue skips a customer already aged today (double delivery)", async () => {
    const now = Math.floor(Date.now() / DAY) * DAY + 2 * DAY + HOUR;
    const [id] = await portfolio(1, now - HOUR);
    expect((await monitorCustomer(id!, now, P, { onlyIfDue: true })).outcome).toBe("monitored");
    const before = (await db().doc(`customers/${id}`).get()).updateTime!.toMillis();
    expect((await monitorCustomer(id!, now, P, { onlyIfDue: true })).outcome).toBe("skipped");
    expect((await db().doc(`customers/${id}`).get()).updateTime!.toMillis()).toBe(before);
    expect((await monitorCustomer("nope", now, P)).outcome).toBe("missing");
  });

  it("a stale page snapshot is detected and redone from a fresh read", async () => {
    const now = Math.floor(Date.now() / DAY) * DAY + 2 * DAY + HOUR;
    const [id] = await portfolio(1, now - HOUR);
    const stale = await db().doc(`customers/${id}`).get();
    // Someone monitors it first (e.g. a concurrent task); then the stale snapshot is used.
    await monitorCustomer(id!, now, P);
    const r = await monitorCustomer(id!, now, P, { onlyIfDue: true, snapshot: stale });
    // Production and the official emulator enforce the lastUpdateTime precondition: the commit
    // fails and the fresh re-read says "skipped". The in-process Firestore does not enforce it.
    expect(r.outcome).toBe((await preconditionsEnforced()) ? "skipped" : "monitored");
  });
});
