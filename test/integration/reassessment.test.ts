/** The monthly reassessment: one task per shard, exactly once per customer and month, resumable, ≤ 2 reads per customer. */
import { beforeEach, describe, expect, it } from "vitest";
import { getFirestore, Query, Timestamp, Transaction } from "firebase-admin/firestore";
import { nextMonth } from "../../functions/src/domain/customer.js";
import { DEFAULT_POLICY } from "../../functions/src/domain/policy.js";
import type { CreditPolicy } from "../../functions/src/schemas/policy.js";
import { clearPolicyCache } from "../../functions/src/services/policy.js";
import { WORK_QUEUE_SHARDS, shardOf } from "../../functions/src/domain/workQueue.js";
import {
  reassessShard,
  reassessTaskId,
  reviewCustomer,
  runMonthlyReassessment,
  type ReassessTask,
} from "../../functions/src/services/reassessment.js";
import { runMonthlyReassessmentLocally } from "../../functions/src/local/jobs.js";
import { verifyChain } from "../../functions/src/services/auditTrail.js";
import { firestoreServer } from "../support/callables.js";
import { cloneCreditFile, creditFile, updateCreditFile } from "../support/credit-file.js";
import { idsInShard } from "../support/shards.js";
import { approvedCustomer } from "../support/workflow.js";

const db = () => getFirestore();
const DAY = 86_400_000;
const HOUR = 3_600_000;
const P: CreditPolicy = { ...DEFAULT_POLICY, jobs: { ...DEFAULT_POLICY.jobs, batchSize: 5 } };
/** The 1st of next month, 03:00 UTC: when the monthly job runs. */
const ASOF = nextMonth(Date.now()) + 3 * HOUR;
const PERIOD = new Date(ASOF).toISOString().slice(0, 7);

/** n active customers due for review (copies of one real file, with its financials), plus some that are not due. */
async function portfolio(n: number | string[]): Promise<{ due: string[]; notDue: string[] }> {
  const first = await approvedCustomer(40_000_00, { ownerUid: null });
  const fin = (await db().doc(`customers/${first}/private/financials`).get()).data()!;
  const batch = db().batch();
  const due: string[] = [];
  const copies: Array<{ id: string; head: Record<string, unknown> }> = [];
  const ids = typeof n === "number" ? Array.from({ length: n }, (_, i) => `c${String(i).padStart(3, "0")}`) : n;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    copies.push({ id, head: { nextReviewAt: Timestamp.fromMillis(ASOF - 3 * HOUR - (i % 3) * DAY) } });
    batch.set(db().doc(`customers/${id}/private/financials`), fin);
    due.push(id);
  }
  const notDue = ["held", "suspended", "later"];
  copies.push({ id: "held", head: { status: "on_hold", nextReviewAt: Timestamp.fromMillis(ASOF - DAY) } });
  copies.push({ id: "suspended", head: { status: "suspended", nextReviewAt: Timestamp.fromMillis(ASOF - DAY) } });
  copies.push({ id: "later", head: { nextReviewAt: Timestamp.fromMillis(ASOF + DAY) } });
  await cloneCreditFile(first, copies, batch);
  await batch.commit();
  await db().doc(`customers/${first}`).delete();
  await db().doc(`customers/${first}/private/creditState`).delete();
  return { due, notDue };
}

function stubQueue() {
  const ids = new Set<string>();
  const tasks: ReassessTask[] = [];
  const enqueue = async (t: ReassessTask, opts?: { id?: string }) => {
    if (opts?.id && ids.has(opts.id)) return "exists" as const;
    if (opts?.id) ids.add(opts.id);
    tasks.push(t);
    return "enqueued" as const;
  };
  return { ids, tasks, enqueue };
}

/** Every customer's reviews and monthly-review audit entries: exactly one each for the due ones. */
async function expectReviewedOnce(due: string[], notDue: string[]) {
  for (const id of due) {
    const reviews = await db().collection(`customers/${id}/reviews`).get();
    expect(reviews.docs.map((d) => d.id)).toEqual([PERIOD]);
    const entries = await db()
      .collection(`audit/customer_${id}/entries`)
      .where("action", "==", "customer.monthly_review")
      .get();
    expect(entries.size).toBe(1);
    const c = await creditFile(id);
    expect(c.nextReviewAt.toMillis()).toBe(nextMonth(ASOF));
    expect(c.lastReviewedAt.toMillis()).toBe(ASOF);
    expect(typeof c.lastReviewScore).toBe("number");
    expect(c.latestStatementAt).toBeInstanceOf(Timestamp);
  }
  for (const id of notDue) expect((await db().collection(`customers/${id}/reviews`).get()).size).toBe(0);
}

beforeEach(async () => {
  await firestoreServer().clear();
  clearPolicyCache();
});

describe("runMonthlyReassessment", () => {
  it("enqueues one task per shard with idempotent names; a re-run enqueues nothing new", async () => {
    await portfolio(12);
    const q = stubQueue();
    const run = await runMonthlyReassessment(ASOF, P, { enqueue: q.enqueue });
    expect(run).toEqual({
      due: 12,
      shards: WORK_QUEUE_SHARDS,
      enqueued: WORK_QUEUE_SHARDS,
      existing: 0,
      shardsPending: false,
    });
    const yyyymm = PERIOD.replace("-", "");
    expect([...q.ids].slice(0, 3)).toEqual([`reassess-${yyyymm}-s0`, `reassess-${yyyymm}-s1`, `reassess-${yyyymm}-s2`]);
    expect(q.tasks[2]).toEqual({ job: "reassess", asOf: ASOF, shard: 2 });
    expect(await runMonthlyReassessment(ASOF, P, { enqueue: q.enqueue })).toMatchObject({
      due: 12,
      enqueued: 0,
      existing: WORK_QUEUE_SHARDS,
    });
    expect(reassessTaskId(ASOF, 4, 2)).toBe(`reassess-${yyyymm}-s4-p2`);
  });
});

describe("one shard's task", () => {
  it("reviews the due active customers of its shard; the tasks together review every one exactly once", async () => {
    const { due, notDue } = await portfolio(12);
    const q = stubQueue();
    await runMonthlyReassessment(ASOF, P, { enqueue: q.enqueue });
    for (const t of q.tasks) {
      const run = await reassessShard(t, P);
      expect(run.failed).toEqual([]);
      expect(run.reviewed).toBe(due.filter((id) => shardOf(id) === t.shard).length);
    }
    await expectReviewedOnce(due, notDue);
    const c = await creditFile("c000");
    expect((await verifyChain("customer_c000", db().doc("customers/c000"))).ok).toBe(true);
    const review = (await db().doc(`customers/c000/reviews/${PERIOD}`).get()).data()!;
    expect(review).toMatchObject({
      source: "monthly_reassessment",
      period: PERIOD,
      score: c.score,
      tier: c.tier,
      reviewedBy: "system:monthly-reassessment",
    });
    expect(review.recommendedLimit).toBeGreaterThan(0);
  });

  it("the same task delivered twice (and every task again) reviews nobody twice", async () => {
    const { due, notDue } = await portfolio(idsInShard(5, 12));
    const first = await reassessShard({ job: "reassess", asOf: ASOF, shard: 5 }, P);
    expect(first).toMatchObject({ reviewed: 12, drained: true, continuation: null });
    expect(await reassessShard({ job: "reassess", asOf: ASOF, shard: 5 }, P)).toMatchObject({
      reviewed: 0,
      drained: true,
    });
    await runMonthlyReassessmentLocally(ASOF, P);
    await expectReviewedOnce(due, notDue);
  });

  it("killed half-way and run again: the rest is reviewed, the first half not again", async () => {
    const { due, notDue } = await portfolio(idsInShard(6, 12));
    // The first run gets through its first page (batchSize 5), then dies.
    const half = await reassessShard({ job: "reassess", asOf: ASOF, shard: 6 }, P, { deadline: 0, clock: () => 1 });
    expect(half.reviewed).toBe(5);
    // The schedule runs again (a retry): the shard's task covers what is left.
    const again = await runMonthlyReassessmentLocally(ASOF, P);
    expect(again.run.due).toBe(7);
    expect(again.reviewed).toBe(7);
    await expectReviewedOnce(due, notDue);
  });

  it("a stale snapshot of an already reviewed customer is refused (create finds the review) and skipped", async () => {
    const { due } = await portfolio(1);
    const stale = await db().doc(`customers/${due[0]}`).get();
    expect((await reviewCustomer(due[0]!, ASOF, P)).outcome).toBe("reviewed");
    expect((await reviewCustomer(due[0]!, ASOF, P, { snapshot: stale })).outcome).toBe("skipped");
    expect((await db().collection(`customers/${due[0]}/reviews`).get()).size).toBe(1);
  });

  it("out of time: the rest of the shard becomes a continuation with its own idempotent name", async () => {
    await portfolio(idsInShard(3, 10));
    const run = await reassessShard(
      { job: "reassess", asOf: ASOF, shard: 3 },
      { ...P, jobs: { ...P.jobs, batchSize: 4 } },
      { deadline: 0, clock: () => 1 },
    );
    expect(run).toMatchObject({
      reviewed: 4,
      failed: [],
      continuation: { job: "reassess", asOf: ASOF, shard: 3, part: 1 },
    });
    expect(reassessTaskId(ASOF, 3, 1)).toBe(`reassess-${PERIOD.replace("-", "")}-s3-p1`);
    expect((await reassessShard(run.continuation!, P)).reviewed).toBe(6);
  });

  it("score_drop and tier_downgrade against the last review, kept in openAlerts", async () => {
    const { due } = await portfolio(2);
    await updateCreditFile(due[0]!, { lastReviewScore: 100, lastReviewTier: "premium" });
    await updateCreditFile(due[1]!, { lastReviewScore: 0, openAlerts: { score_drop: true } });
    await db().doc(`alerts/customer_${due[1]}_score_drop`).set({ status: "open", type: "score_drop", occurrences: 1 });
    await runMonthlyReassessmentLocally(ASOF, P);
    const a = await creditFile(due[0]!);
    expect(a.openAlerts.score_drop).toBe(true);
    expect((await db().doc(`alerts/customer_${due[0]}_score_drop`).get()).data()).toMatchObject({
      status: "open",
      code: "SCORE_DROP",
      details: { from: 100, to: a.score },
    });
    if (a.tier !== "premium") expect(a.openAlerts.tier_downgrade).toBe(true);
    const b = await creditFile(due[1]!);
    expect(b.openAlerts.score_drop).toBeUndefined();
    expect((await db().doc(`alerts/customer_${due[1]}_score_drop`).get()).data()).toMatchObject({
      status: "resolved",
      note: "NO_SCORE_DROP_AT_REVIEW",
    });
  });

  it("reads at most 2 documents per customer (page query + financials)", async () => {
    await portfolio(idsInShard(17, 10));
    let reads = 0;
    const qGet = Query.prototype.get;
    const tGet = Transaction.prototype.get;
    const tGetAll = Transaction.prototype.getAll;
    const count = (r: unknown) => {
      const x = r as { docs?: unknown[]; exists?: boolean };
      reads += Array.isArray(x.docs) ? x.docs.length : 1;
      return r;
    };
    Query.prototype.get = function (this: Query) {
      return qGet.call(this).then(count);
    } as typeof qGet;
    Transaction.prototype.get = function (this: Transaction, ...args: unknown[]) {
      return (tGet as (...a: unknown[]) => Promise<unknown>).apply(this, args).then(count);
    } as typeof tGet;
    Transaction.prototype.getAll = function (this: Transaction, ...args: unknown[]) {
      return (tGetAll as (...a: unknown[]) => Promise<unknown[]>)
        .apply(this, args)
        .then((list) => ((reads += list.length), list));
    } as typeof tGetAll;
    try {
      const run = await reassessShard(
        { job: "reassess", asOf: ASOF, shard: 17 },
        { ...P, jobs: { ...P.jobs, batchSize: 10 } },
      );
      expect(run.reviewed).toBe(10);
    } finally {
      Query.prototype.get = qGet;
      Transaction.prototype.get = tGet;
      Transaction.prototype.getAll = tGetAll;
    }
    // 10 customers from the page query + 10 financials: the customer is not read again.
    expect(reads).toBe(20);
  });
});
