/** The monthly reassessment: batches, exactly once per customer and month, resumable, ≤ 2 reads per customer. */
import { beforeEach, describe, expect, it } from "vitest";
import { getFirestore, Query, Timestamp, Transaction } from "firebase-admin/firestore";
import * as fns from "../../functions/src/index.js";
import { nextMonth } from "../../functions/src/domain/customer.js";
import { DEFAULT_POLICY } from "../../functions/src/domain/policy.js";
import type { CreditPolicy } from "../../functions/src/schemas/policy.js";
import { clearPolicyCache } from "../../functions/src/services/policy.js";
import { reassessBatch, reassessTaskId, reviewCustomer, runMonthlyReassessment, type ReassessTask } from "../../functions/src/services/reassessment.js";
import { verifyChain } from "../../functions/src/services/auditTrail.js";
import { call, firestoreServer, users } from "../support/callables.js";
import { application } from "../support/fixtures.js";
import { cloneCreditFile, creditFile, updateCreditFile } from "../support/credit-file.js";

const db = () => getFirestore();
const DAY = 86_400_000;
const HOUR = 3_600_000;
const P: CreditPolicy = { ...DEFAULT_POLICY, jobs: { ...DEFAULT_POLICY.jobs, batchSize: 5 } };
/** The 1st of next month, 03:00 UTC: when the monthly job runs. */
const ASOF = nextMonth(Date.now()) + 3 * HOUR;
const PERIOD = new Date(ASOF).toISOString().slice(0, 7);

async function newCustomer(limit = 40_000_00) {
  const { applicationId } = await call(fns.submitCreditApplication, application({ requestedLimit: limit }), users.applicant);
  await call(fns.reviewCreditApplication, { applicationId }, users.analyst);
  const r = await call(fns.decideCreditApplication, { applicationId, decision: "approve", approvedLimit: limit, note: "ok" }, users.manager);
  return r.customerId as string;
}

/** n active customers due for review (copies of one real file, with its financials), plus some that are not due. */
async function portfolio(n: number): Promise<{ due: string[]; notDue: string[] }> {
  const first = await newCustomer();
  const fin = (await db().doc(`customers/${first}/private/financials`).get()).data()!;
  const batch = db().batch();
  const due: string[] = [];
  const copies: Array<{ id: string; head: Record<string, unknown> }> = [];
  for (let i = 0; i < n; i++) {
    const id = `c${String(i).padStart(3, "0")}`;
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
    const entries = await db().collection(`audit/customer_${id}/entries`).where("action", "==", "customer.monthly_review").get();
    expect(entries.size).toBe(1);
    const c = await creditFile(id);
    expect(c.nextReviewAt.toMillis()).toBe(nextMonth(ASOF));
    expect(c.lastReviewedAt.toMillis()).toBe(ASOF);
    expect(typeof c.lastReviewScore).toBe("number");
    expect(c.latestStatementAt).toBeInstanceOf(Timestamp);
  }
  for (const id of notDue) expect((await db().collection(`customers/${id}/reviews`).get()).size).toBe(0);
}

beforeEach(() => {
  firestoreServer().clear();
  clearPolicyCache();
});

describe("runMonthlyReassessment", () => {
  it("enqueues ceil(due / batchSize) batches with idempotent names; a re-run enqueues nothing new", async () => {
    await portfolio(12);
    const q = stubQueue();
    const run = await runMonthlyReassessment(ASOF, P, { enqueue: q.enqueue });
    expect(run).toEqual({ due: 12, batches: 3, enqueued: 3, existing: 0 });
    const yyyymm = PERIOD.replace("-", "");
    expect([...q.ids]).toEqual([`reassess-${yyyymm}-0`, `reassess-${yyyymm}-1`, `reassess-${yyyymm}-2`]);
    expect(q.tasks).toEqual([0, 1, 2].map((batch) => ({ job: "reassess", asOf: ASOF, batch })));
    expect(await runMonthlyReassessment(ASOF, P, { enqueue: q.enqueue })).toEqual({ due: 12, batches: 3, enqueued: 0, existing: 3 });
    expect(reassessTaskId(ASOF, 4, 2)).toBe(`reassess-${yyyymm}-4-2`);
  });
});

describe("reassessBatch", () => {
  it("each batch reviews its quota; the batches together review every active due customer exactly once", async () => {
    const { due, notDue } = await portfolio(12);
    const q = stubQueue();
    await runMonthlyReassessment(ASOF, P, { enqueue: q.enqueue });
    const runs = [];
    for (const t of q.tasks) runs.push(await reassessBatch(t.asOf, P, { batch: t.batch }));
    expect(runs.map((r) => r.reviewed)).toEqual([5, 5, 2]);
    expect(runs.every((r) => r.failed.length === 0)).toBe(true);
    await expectReviewedOnce(due, notDue);
    const c = await creditFile("c000");
    expect((await verifyChain("customer_c000", db().doc("customers/c000"))).ok).toBe(true);
    const review = (await db().doc(`customers/c000/reviews/${PERIOD}`).get()).data()!;
    expect(review).toMatchObject({ source: "monthly_reassessment", period: PERIOD, score: c.score, tier: c.tier, reviewedBy: "system:monthly-reassessment" });
    expect(review.recommendedLimit).toBeGreaterThan(0);
  });

  it("the same batch delivered twice (and every batch again) reviews nobody twice", async () => {
    const { due, notDue } = await portfolio(12);
    const first = await reassessBatch(ASOF, P, { batch: 0 });
    const again = await reassessBatch(ASOF, P, { batch: 0 });
    expect(first.reviewed).toBe(5);
    expect(again.reviewed).toBe(5); // the next five: the first five left the queue
    for (const batch of [0, 1, 2, 0, 1, 2]) await reassessBatch(ASOF, P, { batch });
    await expectReviewedOnce(due, notDue);
    const empty = await reassessBatch(ASOF, P, { batch: 1 });
    expect(empty).toMatchObject({ reviewed: 0, drained: true });
  });

  it("killed half-way and run again: the rest is reviewed, the first half not again", async () => {
    const { due, notDue } = await portfolio(12);
    // The first run gets through half of the portfolio, then dies.
    const half = await reassessBatch(ASOF, P, { quota: 6 });
    expect(half.reviewed).toBe(6);
    const reviewedFirst = [];
    for (const id of due) if ((await db().doc(`customers/${id}/reviews/${PERIOD}`).get()).exists) reviewedFirst.push(id);
    expect(reviewedFirst).toHaveLength(6);
    // The schedule runs again (a retry): the batches cover what is left.
    const q = stubQueue();
    const run = await runMonthlyReassessment(ASOF, P, { enqueue: q.enqueue });
    expect(run.due).toBe(6);
    for (const t of q.tasks) await reassessBatch(t.asOf, P, { batch: t.batch });
    await expectReviewedOnce(due, notDue);
  });

  it("a stale snapshot of an already reviewed customer is refused (create finds the review) and skipped", async () => {
    const { due } = await portfolio(1);
    const stale = await db().doc(`customers/${due[0]}`).get();
    expect((await reviewCustomer(due[0]!, ASOF, P)).outcome).toBe("reviewed");
    expect((await reviewCustomer(due[0]!, ASOF, P, { snapshot: stale })).outcome).toBe("skipped");
    expect((await db().collection(`customers/${due[0]}/reviews`).get()).size).toBe(1);
  });

  it("out of time: the rest of the quota continues in a task with its own idempotent name", async () => {
    await portfolio(12);
    const q = stubQueue();
    const run = await reassessBatch(ASOF, { ...P, jobs: { ...P.jobs, batchSize: 4 } }, { batch: 3, quota: 10, deadline: 0, clock: () => 1, enqueue: q.enqueue });
    expect(run).toMatchObject({ reviewed: 4, continued: true });
    expect(q.tasks).toEqual([{ job: "reassess", asOf: ASOF, batch: 3, part: 1, quota: 6 }]);
    expect([...q.ids]).toEqual([`reassess-${PERIOD.replace("-", "")}-3-1`]);
  });

  it("score_drop and tier_downgrade against the last review, kept in openAlerts", async () => {
    const { due } = await portfolio(2);
    await updateCreditFile(due[0]!, { lastReviewScore: 100, lastReviewTier: "premium" });
    await updateCreditFile(due[1]!, { lastReviewScore: 0, openAlerts: { score_drop: true } });
    await db().doc(`alerts/customer_${due[1]}_score_drop`).set({ status: "open", type: "score_drop", occurrences: 1 });
    await reassessBatch(ASOF, P);
    const a = await creditFile(due[0]!);
    expect(a.openAlerts.score_drop).toBe(true);
    expect((await db().doc(`alerts/customer_${due[0]}_score_drop`).get()).data()).toMatchObject({ status: "open", code: "SCORE_DROP", details: { from: 100, to: a.score } });
    if (a.tier !== "premium") expect(a.openAlerts.tier_downgrade).toBe(true);
    const b = await creditFile(due[1]!);
    expect(b.openAlerts.score_drop).toBeUndefined();
    expect((await db().doc(`alerts/customer_${due[1]}_score_drop`).get()).data()).toMatchObject({ status: "resolved", note: "NO_SCORE_DROP_AT_REVIEW" });
  });

  it("reads at most 2 documents per customer (page query + financials)", async () => {
    await portfolio(10);
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
      return (tGetAll as (...a: unknown[]) => Promise<unknown[]>).apply(this, args).then((list) => ((reads += list.length), list));
    } as typeof tGetAll;
    try {
      const run = await reassessBatch(ASOF, { ...P, jobs: { ...P.jobs, batchSize: 10 } });
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
