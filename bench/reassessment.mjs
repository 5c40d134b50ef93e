#!/usr/bin/env node
/**
 * Monthly reassessment benchmark: seeds N active customers due for review (each with a
 * year of trading in its ledger and a financial statement), then runs the monthly job
 * in-process — runMonthlyReassessment enqueues one task per shard (captured), and the tasks run
 * six at a time, as Cloud Tasks runs them (`maxConcurrentDispatches: 6`). Prints customers/second,
 * document reads per customer (documents returned by queries and transaction reads;
 * bench/support.mjs counts them) and the wasted transactions of concurrent tasks (retried after
 * an abort, or refused by a precondition).
 *
 *   npm run build && node bench/reassessment.mjs 10000
 *
 * Or from bench/run.mjs: `runReassessmentBench({ customers, server })` — with `server`, the
 * in-process Firestore, the log filter and the read counters are the caller's.
 */
import { pathToFileURL } from "node:url";
import {
  counters,
  installCounters,
  installTransactionCounters,
  progress,
  quietFunctionLogs,
  runQueue,
  startFirestore,
  transactionSnapshot,
} from "./support.mjs";

const DAY = 86_400_000;
const lib = "../functions/lib";

/** A year of monthly invoices paid on time (by reference), and one open invoice, as a ledger state. */
function ledgerTemplate(ledger, asOf) {
  const { emptyLedger, applyRecord, referencedEntryId } = ledger;
  let state = emptyLedger();
  const entries = new Map();
  const put = (r) => {
    const ref = referencedEntryId(r);
    const res = applyRecord(state, r, entries.get(r.externalId) ?? null, ref ? (entries.get(ref) ?? null) : null);
    state = res.state;
    for (const w of res.writes) entries.set(w.id, w.entry);
  };
  const d = new Date(asOf);
  for (let i = 1; i <= 12; i++) {
    const first = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - i, 1);
    put({
      externalId: `INV-${i}`,
      type: "invoice",
      amount: 8_000_00 + i * 100,
      issuedAt: first,
      dueAt: first + 30 * DAY,
    });
    put({
      externalId: `PAY-${i}`,
      type: "payment",
      amount: 8_000_00 + i * 100,
      issuedAt: first + 20 * DAY,
      invoiceExternalId: `INV-${i}`,
    });
    put({ externalId: `ORD-${i}`, type: "order", amount: 2_000_00, issuedAt: first, status: "fulfilled" });
  }
  put({ externalId: "INV-OPEN", type: "invoice", amount: 9_000_00, issuedAt: asOf - 5 * DAY, dueAt: asOf + 25 * DAY });
  return state;
}

/**
 * Seed `customers` due customers, run the monthly reassessment, return the figures.
 * @param {{ customers?: number, server?: import("../scripts/lib/in-process-firestore.mjs").FirestoreServer | null, batchSize?: number, concurrency?: number, dispatches?: number, log?: (s: string) => void }} opts
 */
export async function runReassessmentBench(opts = {}) {
  const n = opts.customers ?? 10_000;
  const log = opts.log ?? ((s) => console.log(s));
  let ownServer = null;
  if (!opts.server) {
    quietFunctionLogs();
    ownServer = await startFirestore(); // sets FIRESTORE_EMULATOR_HOST before the functions' code loads
    await installCounters();
    await installTransactionCounters();
  }
  const { firestore } = await import(`${lib}/data/firebase.js`);
  const { customerToStored } = await import(`${lib}/data/customers.js`);
  const { toStored } = await import(`${lib}/data/convert.js`);
  const { DEFAULT_POLICY } = await import(`${lib}/domain/policy.js`);
  const { EMPTY_AGGREGATES, nextMonth } = await import(`${lib}/domain/customer.js`);
  const ledger = await import(`${lib}/domain/ledger.js`);
  const { reviewDecision } = await import(`${lib}/domain/reassessment.js`);
  const { summarizeToAggregates } = await import(`${lib}/services/transactions.js`);
  const { reassessShard, runMonthlyReassessment } = await import(`${lib}/services/reassessment.js`);
  const { shardOf } = await import(`${lib}/domain/workQueue.js`);

  const policy = {
    ...DEFAULT_POLICY,
    jobs: { ...DEFAULT_POLICY.jobs, ...(opts.batchSize ? { batchSize: opts.batchSize } : {}) },
  };
  // Before the month turns for customers created today elsewhere in the same database: only ours are due.
  const asOf = Date.now();
  const db = firestore();

  // ---- the template credit file, already in its steady state (no alerts on review)
  const statement = {
    periodEnd: asOf - 150 * DAY,
    currency: "USD",
    totalAssets: 5_000_000_00,
    currentAssets: 2_000_000_00,
    totalLiabilities: 2_000_000_00,
    currentLiabilities: 1_000_000_00,
    equity: 3_000_000_00,
    retainedEarnings: 1_500_000_00,
    revenue: 8_000_000_00,
    ebit: 800_000_00,
    netIncome: 500_000_00,
  };
  const state = ledgerTemplate(ledger, asOf);
  const aggregates = summarizeToAggregates(state, asOf);
  const base = {
    name: "Bench Customer",
    registrationNo: "B-0",
    country: "US",
    industry: "wholesale",
    foundedYear: 2005,
    address: "1 Bench Road",
    currency: "USD",
    status: "active",
    statusReason: null,
    statusKind: null,
    ownerUid: null,
    score: 0,
    confidence: 0,
    financialScores: null,
    grade: "C",
    tier: "standard",
    creditLimit: 40_000_00,
    temporaryLimit: null,
    paymentTermsDays: 30,
    aggregates: EMPTY_AGGREGATES,
    exposure: aggregates.exposure,
    availableCredit: 40_000_00 - aggregates.exposure,
    applicationId: null,
    flags: { fraudHold: false, noLimitIncrease: false, extendedTermsEligible: false },
    createdAt: asOf - 400 * DAY,
    updatedAt: asOf - DAY,
    assessedAt: asOf - 30 * DAY,
    lastReviewedAt: asOf - 30 * DAY,
    nextReviewAt: asOf - DAY,
    nextAgingAt: asOf + DAY,
    ledger: state,
  };
  const steady = reviewDecision(base, aggregates, statement, asOf, policy);
  const template = {
    ...base,
    // In its steady state the limit is what the review recommends (else every review would cut or propose).
    creditLimit: steady.limit.recommendedLimit,
    availableCredit: steady.limit.recommendedLimit - aggregates.exposure,
    lastReviewGrade: steady.assessment.grade,
    aggregates,
    score: steady.assessment.score,
    confidence: steady.assessment.confidence,
    grade: steady.assessment.grade,
    tier: steady.tier,
    financialScores: steady.assessment.financialScores,
    lastReviewScore: steady.assessment.score,
    lastReviewTier: steady.tier,
  };
  const customerDocs = customerToStored({ ...template, latestStatement: statement });
  const finDoc = toStored({ statements: [statement], latest: statement, updatedAt: asOf - 30 * DAY });

  // ---- seed: batched writes of 500 (a customer's head, credit state and financials: 166 customers a batch)
  const seedStart = process.hrtime.bigint();
  const prefix = `bench-${asOf.toString(36)}-`;
  const perBatch = 166;
  for (let i = 0; i < n; i += perBatch) {
    const batch = db.batch();
    for (let j = i; j < Math.min(n, i + perBatch); j++) {
      const id = `${prefix}${String(j).padStart(6, "0")}`;
      batch.set(db.doc(`customers/${id}`), { ...customerDocs.head, shard: shardOf(id) });
      batch.set(db.doc(`customers/${id}/private/creditState`), customerDocs.state);
      batch.set(db.doc(`customers/${id}/private/financials`), finDoc);
    }
    await batch.commit();
    progress(`seeding ${n} customers`, Math.min(n, i + perBatch), n);
  }
  const seedSeconds = Number(process.hrtime.bigint() - seedStart) / 1e9;

  // ---- once, before the first sharded run: heads from before shards get theirs (here: all have one; the pass reads each once)
  const { ensureShards } = await import(`${lib}/services/workQueues.js`);
  const m0 = counters.reads;
  await ensureShards(asOf, Number.POSITIVE_INFINITY);
  const migrationReads = counters.reads - m0;

  // ---- the monthly job: schedule → one task per shard, six at a time (Cloud Tasks' maxConcurrentDispatches)
  const tasks = [];
  const enqueue = async (t) => (tasks.push(t), "enqueued");
  const dispatches = opts.dispatches ?? 6;
  const reads0 = counters.reads;
  const writes0 = counters.writes;
  const tx = transactionSnapshot();
  const server = opts.server ?? ownServer;
  const stats0 = server?.transactions?.stats ? JSON.parse(JSON.stringify(server.transactions.stats)) : null;
  const t0 = process.hrtime.bigint();
  const schedule = await runMonthlyReassessment(asOf, policy, { enqueue });
  const scheduleReads = counters.reads - reads0;
  const tasksReads0 = counters.reads;
  let reviewed = 0;
  let failed = 0;
  await runQueue(tasks, dispatches, async (t, more) => {
    const run = await reassessShard(t, policy, { concurrency: opts.concurrency ?? 8 });
    reviewed += run.reviewed;
    failed += run.failed.length;
    if (run.continuation) more(run.continuation);
    progress("reassessing", reviewed, schedule.due);
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const reads = counters.reads - tasksReads0;
  const writes = counters.writes - writes0;
  const wasted = tx();
  const stats1 = server?.transactions?.stats ?? null;
  const aborted =
    stats0 && stats1
      ? Object.keys(stats1.aborted).reduce((s, k) => s + stats1.aborted[k] - stats0.aborted[k], 0)
      : null;

  // ---- check: every seeded customer reviewed once, none still due
  const left = (
    await db
      .collection("customers")
      .where("status", "==", "active")
      .where("nextReviewAt", "<=", asOf > 0 ? new Date(asOf) : new Date())
      .count()
      .get()
  ).data().count;
  const sample = await db.doc(`customers/${prefix}000000`).get();
  const ok = reviewed === n && failed === 0 && left === 0 && sample.data().nextReviewAt.toMillis() === nextMonth(asOf);

  const figures = {
    customers: n,
    shards: schedule.shards,
    concurrentTasks: dispatches,
    pageSize: policy.jobs.batchSize,
    seconds: Math.round(seconds * 100) / 100,
    customersPerSecond: Math.round(reviewed / seconds),
    /** The shard tasks' document reads per customer reviewed (page queries and transactions). */
    readsPerCustomer: reviewed ? Math.round((reads / reviewed) * 1000) / 1000 : null,
    /** The schedule's own reads (its bookkeeping, the due count, the FX table): once per month, not per customer. */
    scheduleReads,
    writesPerCustomer: reviewed ? Math.round((writes / reviewed) * 1000) / 1000 : null,
    seedSeconds: Math.round(seedSeconds * 100) / 100,
    oneTimeShardPassReads: migrationReads,
    transactions: wasted.calls,
    wastedTransactions: wasted.wasted,
    refusedPreconditions: wasted.failed,
    abortedByTheEngine: aborted,
    allReviewedOnce: ok,
  };
  log(
    `  reassessed ${reviewed}/${n} customers in ${figures.seconds} s (${figures.shards} shard tasks, ${dispatches} at once): ` +
      `${figures.customersPerSecond} customers/s, ${figures.readsPerCustomer} document reads and ${figures.writesPerCustomer} writes per customer, ` +
      `${figures.wastedTransactions} wasted transactions (${figures.refusedPreconditions} refused preconditions, ${figures.abortedByTheEngine} aborts)` +
      `${ok ? "" : " — CHECK FAILED"}`,
  );
  if (ownServer) ownServer.stop();
  return figures;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const n = Number(process.argv[2] ?? 10_000);
  const figures = await runReassessmentBench({ customers: n });
  console.log(JSON.stringify(figures));
  process.exit(figures.allReviewedOnce ? 0 : 1);
}
