/**
 * The daily job: a work queue over nextAgingAt in shards — the schedule's idempotent shard
 * tasks, paging without cursors, the deadline hand-off, failures, idempotence, disjoint
 * concurrent tasks, the due date a visit writes, old heads given a shard, a policy edit.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { Firestore, getFirestore, Timestamp } from "firebase-admin/firestore";
import * as fns from "../../functions/src/index.js";
import { DEFAULT_POLICY } from "../../functions/src/domain/policy.js";
import { shardOf, WORK_QUEUE_SHARDS } from "../../functions/src/domain/workQueue.js";
import {
  monitorCustomer,
  monitorShard,
  monitorTaskId,
  scheduleDailyMonitoring,
  type MonitorTask,
} from "../../functions/src/services/monitoring.js";
import { runDailyMonitoring } from "../../functions/src/local/jobs.js";
import { clearPolicyCache } from "../../functions/src/services/policy.js";
import { recordTransactions } from "../../functions/src/services/transactions.js";
import { ensureShards } from "../../functions/src/services/workQueues.js";
import { firestoreServer, users } from "../support/callables.js";
import { cloneCreditFile, creditFile, updateCreditFile } from "../support/credit-file.js";
import { idsInShard } from "../support/shards.js";
import { approvedCustomer } from "../support/workflow.js";

const db = () => getFirestore();
const P = DEFAULT_POLICY;
const DAY = 86_400_000;
const HOUR = 3_600_000;
/** 01:00 UTC two days on: a run after everything seeded today. */
const NOW = Math.floor(Date.now() / DAY) * DAY + 2 * DAY + HOUR;
const integration = { uid: users.integration.uid, role: "integration" as const };

/** Copies of one real credit file (own audit chains) under the given ids, all due at `dueAt`; the template removed. */
async function portfolio(ids: string[], dueAt: number): Promise<string[]> {
  const first = await approvedCustomer(40_000_00, { ownerUid: null });
  await cloneCreditFile(
    first,
    ids.map((id, i) => ({ id, head: { nextAgingAt: Timestamp.fromMillis(dueAt - (i % 5) * HOUR) } })),
  );
  await db().doc(`customers/${first}`).delete();
  await db().doc(`customers/${first}/private/creditState`).delete();
  return ids;
}

function stubQueue() {
  const ids = new Set<string>();
  const tasks: MonitorTask[] = [];
  const enqueue = async (t: MonitorTask, opts?: { id?: string }) => {
    if (opts?.id && ids.has(opts.id)) return "exists" as const;
    if (opts?.id) ids.add(opts.id);
    tasks.push(t);
    return "enqueued" as const;
  };
  return { ids, tasks, enqueue };
}

/** Counts the Admin SDK's transactions: calls, attempts (a retry is one more) and calls that failed (a refused precondition). */
async function countingTransactions<T>(
  work: () => Promise<T>,
): Promise<{ result: T; calls: number; attempts: number; failed: number; wasted: number }> {
  const orig = Firestore.prototype.runTransaction;
  const c = { calls: 0, attempts: 0, failed: 0 };
  Firestore.prototype.runTransaction = function (
    this: Firestore,
    fn: (tx: FirebaseFirestore.Transaction) => Promise<unknown>,
    opts?: unknown,
  ) {
    c.calls++;
    return (orig as (f: typeof fn, o?: unknown) => Promise<unknown>)
      .call(this, (tx) => (c.attempts++, fn(tx)), opts)
      .catch((e: unknown) => {
        c.failed++;
        throw e;
      });
  } as typeof orig;
  try {
    const result = await work();
    return { result, ...c, wasted: c.attempts - c.calls + c.failed };
  } finally {
    Firestore.prototype.runTransaction = orig;
  }
}

/**
 * Whether a write with a stale `lastUpdateTime` precondition is refused: production, the
 * official emulator and the isolated in-process Firestore do; the package's engine alone
 * (CREDIT_DESK_FIRESTORE_ISOLATION=off) does not, so the tests that rely on it skip there.
 */
const PRECONDITIONS_ENFORCED =
  process.env.CREDIT_DESK_OFFICIAL_EMULATOR === "1" || firestoreServer().server?.isolation === true;
const NO_PRECONDITIONS =
  "the in-process Firestore runs without isolation (CREDIT_DESK_FIRESTORE_ISOLATION=off): stale preconditions are not refused";
if (!PRECONDITIONS_ENFORCED)
  console.info(`monitoring.test.ts: the stale-write tests are skipped — ${NO_PRECONDITIONS}`);

const dueCount = async (now: number) =>
  (await db().collection("customers").where("nextAgingAt", "<=", Timestamp.fromMillis(now)).count().get()).data().count;
const task = (shard: number, extra: Partial<MonitorTask> = {}): MonitorTask => ({
  job: "monitor",
  asOf: NOW,
  shard,
  ...extra,
});

beforeEach(async () => {
  await firestoreServer().clear();
  clearPolicyCache();
});

describe("the daily schedule", () => {
  it("enqueues one task per shard with idempotent names; a second delivery enqueues nothing new; together they visit every due customer once", async () => {
    const ids = await portfolio(
      Array.from({ length: 20 }, (_, i) => `c${String(i).padStart(3, "0")}`),
      NOW - HOUR,
    );
    const q = stubQueue();
    const run = await scheduleDailyMonitoring(NOW, P, { enqueue: q.enqueue });
    expect(run).toEqual({
      shards: WORK_QUEUE_SHARDS,
      enqueued: WORK_QUEUE_SHARDS,
      existing: 0,
      refresh: false,
      shardsPending: false,
    });
    const day = new Date(NOW).toISOString().slice(0, 10).replace(/-/g, "");
    expect(q.ids.has(`monitor-${day}-s0`) && q.ids.has(`monitor-${day}-s${WORK_QUEUE_SHARDS - 1}`)).toBe(true);
    expect(q.tasks[5]).toEqual({ job: "monitor", asOf: NOW, shard: 5 });
    expect(await scheduleDailyMonitoring(NOW, P, { enqueue: q.enqueue })).toMatchObject({
      enqueued: 0,
      existing: WORK_QUEUE_SHARDS,
    });
    let processed = 0;
    for (const t of q.tasks) processed += (await monitorShard(t, P, { deadline: Number.MAX_SAFE_INTEGER })).processed;
    expect(processed).toBe(ids.length);
    expect(await dueCount(NOW)).toBe(0);
    expect(monitorTaskId({ asOf: NOW, shard: 7, part: 2 })).toBe(`monitor-${day}-s7-p2`);
  });
});

describe("one shard's pass", () => {
  it("pages through 25 due customers with pageSize 10 (no cursor): all processed, none twice; only its shard", async () => {
    const mine = await portfolio([...idsInShard(3, 25), ...idsInShard(4, 3, "o")], NOW - HOUR);
    const run = await monitorShard(task(3), P, { pageSize: 10, deadline: Number.MAX_SAFE_INTEGER });
    expect(run).toEqual({ processed: 25, skipped: 0, failed: [], pages: 3, continuation: null });
    expect(await dueCount(NOW)).toBe(3); // the other shard's customers
    for (const id of mine.slice(0, 25)) expect((await creditFile(id)).nextAgingAt.toMillis()).toBeGreaterThan(NOW);
    // Delivered again (a retried task): nothing is due in the shard, nothing is written.
    expect(await monitorShard(task(3), P, { pageSize: 10, deadline: Number.MAX_SAFE_INTEGER })).toMatchObject({
      processed: 0,
      pages: 0,
      continuation: null,
    });
  });

  it("at the deadline the rest becomes a continuation with its own name; it finishes the shard", async () => {
    await portfolio(idsInShard(9, 25), NOW - HOUR);
    // The clock is past the deadline as soon as the first page is done.
    const run = await monitorShard(task(9), P, { pageSize: 10, deadline: 0, clock: () => 1, concurrency: 1 });
    expect(run).toMatchObject({ pages: 1, processed: 10, failed: [] });
    expect(run.continuation).toEqual({ job: "monitor", asOf: NOW, shard: 9, part: 1 });
    expect(monitorTaskId(run.continuation!)).toMatch(/-s9-p1$/);
    expect(await dueCount(NOW)).toBe(15);
    const rest = await monitorShard(run.continuation!, P, { pageSize: 10, deadline: Number.MAX_SAFE_INTEGER });
    expect(rest).toMatchObject({ processed: 15, continuation: null });
    expect(await dueCount(NOW)).toBe(0);
  });

  it("a customer that fails stays due and does not block the queue; the task fails (its retry takes it) instead of continuing", async () => {
    const ids = await portfolio(idsInShard(11, 12), NOW - HOUR);
    // A corrupt ledger: summarising it throws for this customer only.
    await updateCreditFile(ids[0]!, { ledger: { v: 99 } });
    const run = await monitorShard(task(11), P, { pageSize: 5, deadline: Number.MAX_SAFE_INTEGER });
    expect(run.failed).toEqual([ids[0]]);
    expect(run.processed).toBe(11);
    expect(await dueCount(NOW)).toBe(1);
    // The task itself: it throws, and a failing task hands nothing on (its retry covers the rest).
    const deliver = fns.monitorBatch as unknown as { run: (req: { data: unknown }) => Promise<void> };
    await expect(deliver.run({ data: task(11) })).rejects.toThrow("monitoring failed for 1 customer(s)");
  });

  it("six tasks at once on six shards never reach for the same customer: no retried transaction, no refused precondition", async () => {
    const shards = [20, 21, 22, 23, 24, 25];
    await portfolio(
      shards.flatMap((s) => idsInShard(s, 8, `s${s}-`)),
      NOW - HOUR,
    );
    const disjoint = await countingTransactions(() =>
      Promise.all(shards.map((s) => monitorShard(task(s), P, { pageSize: 4, deadline: Number.MAX_SAFE_INTEGER }))),
    );
    expect(disjoint.result.reduce((n, r) => n + r.processed, 0)).toBe(48);
    expect(disjoint.wasted).toBe(0);
  });

  it.runIf(PRECONDITIONS_ENFORCED)(
    "six tasks at once on one shard (what unsharded batches did) collide: transactions retried or preconditions refused, each customer still visited once",
    async () => {
      const shards = [20, 21, 22, 23, 24, 25];
      await portfolio(idsInShard(30, 24), NOW - HOUR);
      const same = await countingTransactions(() =>
        Promise.all(shards.map(() => monitorShard(task(30), P, { pageSize: 8, deadline: Number.MAX_SAFE_INTEGER }))),
      );
      expect(same.result.reduce((n, r) => n + r.processed, 0)).toBe(24);
      expect(same.wasted).toBeGreaterThan(0);
    },
  );
});

describe("the due date a visit writes", () => {
  it("is the first run at which anything changes: an invoice's first day past due, not tomorrow", async () => {
    const id = await approvedCustomer(40_000_00, { ownerUid: null });
    const issued = NOW - 2 * DAY;
    const due = Math.floor(NOW / DAY) * DAY + 10 * DAY; // midnight, 10 days on
    await recordTransactions(
      {
        customerId: id,
        transactions: [{ externalId: "INV-1", type: "invoice", amount: 5_000_00, issuedAt: issued, dueAt: due }],
      } as never,
      integration,
      NOW - DAY,
      P,
    );
    // The record brought the next visit forward to the next run.
    expect((await creditFile(id)).nextAgingAt.toMillis()).toBeLessThanOrEqual(Math.floor(NOW / DAY) * DAY);
    const r = await monitorCustomer(id, NOW, P);
    // A young relationship drifts (tenure): looked at again within the look-ahead — at the latest when the invoice falls past due.
    expect(r.nextAgingAt).toBeGreaterThan(NOW);
    expect(r.nextAgingAt).toBeLessThanOrEqual(due + DAY);
  });

  it("a file with nothing that can change is not visited for maxIdleDays", async () => {
    const id = await approvedCustomer(40_000_00, { ownerUid: null });
    // No trading, an old business, no statement to turn stale, the next review beyond the horizon.
    await updateCreditFile(id, {
      nextReviewAt: Timestamp.fromMillis(NOW + 500 * DAY),
      foundedYear: 1950,
      latestStatementAt: null,
    });
    const r = await monitorCustomer(id, NOW, P);
    expect(r.nextAgingAt).toBe(Math.floor((NOW + P.monitoring.maxIdleDays * DAY) / DAY) * DAY);
  });
});

describe("keeping the queue whole", () => {
  it("heads from before shards get theirs once (recorded); a service write of one without a shard adds it", async () => {
    const [a, b] = await portfolio(["old-a", "old-b"], NOW - HOUR);
    for (const id of [a!, b!])
      await db()
        .doc(`customers/${id}`)
        .update({ shard: (await import("firebase-admin/firestore")).FieldValue.delete() });
    expect(await ensureShards(NOW, Number.MAX_SAFE_INTEGER)).toEqual({ done: true, assigned: 2 });
    expect((await creditFile(a!)).shard).toBe(shardOf(a!));
    expect(await ensureShards(NOW, Number.MAX_SAFE_INTEGER)).toEqual({ done: true, assigned: 0 });
    // A write through the services adds a missing shard by itself.
    await db()
      .doc(`customers/${b}`)
      .update({ shard: (await import("firebase-admin/firestore")).FieldValue.delete() });
    await monitorCustomer(b!, NOW, P);
    expect((await creditFile(b!)).shard).toBe(shardOf(b!));
  });

  it("a policy edit makes the next run visit every customer once (refresh), then the queue follows the new policy", async () => {
    const ids = await portfolio(
      Array.from({ length: 6 }, (_, i) => `p${i}`),
      NOW - HOUR,
    );
    await runDailyMonitoring(NOW, P);
    expect(await dueCount(NOW + DAY)).toBeLessThan(ids.length); // not everyone is due tomorrow
    const edited = { ...P, monitoring: { ...P.monitoring, utilizationAlert: 0.5 } };
    const q = stubQueue();
    expect(await scheduleDailyMonitoring(NOW + DAY, edited, { enqueue: q.enqueue })).toMatchObject({ refresh: true });
    let processed = 0;
    for (const t of q.tasks)
      processed += (await monitorShard(t, edited, { deadline: Number.MAX_SAFE_INTEGER })).processed;
    expect(processed).toBe(ids.length);
    expect(await scheduleDailyMonitoring(NOW + 2 * DAY, edited, { enqueue: stubQueue().enqueue })).toMatchObject({
      refresh: false,
    });
  });
});

describe("monitorCustomer", () => {
  it("with onlyIfDue skips a customer already aged today (double delivery)", async () => {
    const [id] = await portfolio(["c000"], NOW - HOUR);
    expect((await monitorCustomer(id!, NOW, P, { onlyIfDue: true })).outcome).toBe("monitored");
    const before = (await db().doc(`customers/${id}`).get()).updateTime!.toMillis();
    expect((await monitorCustomer(id!, NOW, P, { onlyIfDue: true })).outcome).toBe("skipped");
    expect((await db().doc(`customers/${id}`).get()).updateTime!.toMillis()).toBe(before);
    expect((await monitorCustomer("nope", NOW, P)).outcome).toBe("missing");
  });

  it.runIf(PRECONDITIONS_ENFORCED)("a stale page snapshot is detected and redone from a fresh read", async () => {
    const [id] = await portfolio(["c000"], NOW - HOUR);
    const stale = await db().doc(`customers/${id}`).get();
    // Someone monitors it first (e.g. a concurrent task); then the stale snapshot is used.
    await monitorCustomer(id!, NOW, P);
    const r = await monitorCustomer(id!, NOW, P, { onlyIfDue: true, snapshot: stale });
    // The lastUpdateTime precondition refuses the commit; the fresh re-read says "skipped".
    expect(r.outcome).toBe("skipped");
  });
});
