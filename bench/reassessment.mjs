#!/usr/bin/env node
/**
 * Monthly reassessment benchmark: seeds N active customers due for review (each with a
 * year of trading in its ledger and a financial statement), then runs the monthly job
 * in-process — runMonthlyReassessment enqueues the batches (captured), and each batch is run
 * as its task would run it. Prints customers/second and document reads per customer
 * (documents returned by queries and transaction reads; bench/support.mjs counts them).
 *
 *   npm run build && node bench/reassessment.mjs 10000
 *
 * Or from bench/run.mjs: `runReassessmentBench({ customers, server })` — with `server`, the
 * in-process Firestore, the log filter and the read counters are the caller's.
 */
import { pathToFileURL } from "node:url";
import { counters, installCounters, progress, quietFunctionLogs, startFirestore } from "./support.mjs";

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
    put({ externalId: `INV-${i}`, type: "invoice", amount: 8_000_00 + i * 100, issuedAt: first, dueAt: first + 30 * DAY });
    put({ externalId: `PAY-${i}`, type: "payment", amount: 8_000_00 + i * 100, issuedAt: first + 20 * DAY, invoiceExternalId: `INV-${i}` });
    put({ externalId: `ORD-${i}`, type: "order", amount: 2_000_00, issuedAt: first, status: "fulfilled" });
  }
  put({ externalId: "INV-OPEN", type: "invoice", amount: 9_000_00, issuedAt: asOf - 5 * DAY, dueAt: asOf + 25 * DAY });
  return state;
}

/**
 * Seed `customers` due customers, run the monthly reassessment, return the figures.
 * @param {{ customers?: number, server?: unknown, batchSize?: number, concurrency?: number, log?: (s: string) => void }} opts
 */
export async function runReassessmentBench(opts = {}) {
  const n = opts.customers ?? 10_000;
  const log = opts.log ?? ((s) => console.log(s));
  let ownServer = null;
  if (!opts.server) {
    quietFunctionLogs();
    ownServer = await startFirestore(); // sets FIRESTORE_EMULATOR_HOST before the functions' code loads
    await installCounters();
  }
  const { firestore } = await import(`${lib}/data/firebase.js`);
  const { customerToStored } = await import(`${lib}/data/customers.js`);
  const { toStored } = await import(`${lib}/data/convert.js`);
  const { DEFAULT_POLICY } = await import(`${lib}/domain/policy.js`);
  const { EMPTY_AGGREGATES, nextMonth } = await import(`${lib}/domain/customer.js`);
  const ledger = await import(`${lib}/domain/ledger.js`);
  const { reviewDecision } = await import(`${lib}/domain/monitoring.js`);
  const { summarizeToAggregates } = await import(`${lib}/services/transactions.js`);
  const { reassessBatch, runMonthlyReassessment } = await import(`${lib}/services/reassessment.js`);

  const policy = { ...DEFAULT_POLICY, jobs: { ...DEFAULT_POLICY.jobs, ...(opts.batchSize ? { batchSize: opts.batchSize } : {}) } };
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
      batch.set(db.doc(`customers/${id}`), customerDocs.head);
      batch.set(db.doc(`customers/${id}/private/creditState`), customerDocs.state);
      batch.set(db.doc(`customers/${id}/private/financials`), finDoc);
    }
    await batch.commit();
    progress(`seeding ${n} customers`, Math.min(n, i + perBatch), n);
  }
  const seedSeconds = Number(process.hrtime.bigint() - seedStart) / 1e9;

  // ---- the monthly job: schedule → batches (run one after the other, as tasks would)
  const tasks = [];
  const enqueue = async (t) => (tasks.push(t), "enqueued");
  const reads0 = counters.reads;
  const writes0 = counters.writes;
  const t0 = process.hrtime.bigint();
  const schedule = await runMonthlyReassessment(asOf, policy, { enqueue });
  let reviewed = 0;
  let failed = 0;
  for (let k = 0; k < tasks.length; k++) {
    const t = tasks[k];
    const run = await reassessBatch(t.asOf, policy, { batch: t.batch, part: t.part ?? 0, quota: t.quota, enqueue, concurrency: opts.concurrency ?? 8 });
    reviewed += run.reviewed;
    failed += run.failed.length;
    progress("reassessing", reviewed, schedule.due);
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const reads = counters.reads - reads0;
  const writes = counters.writes - writes0;

  // ---- check: every seeded customer reviewed once, none still due
  const left = (await db.collection("customers").where("status", "==", "active").where("nextReviewAt", "<=", asOf > 0 ? new Date(asOf) : new Date()).count().get()).data().count;
  const sample = await db.doc(`customers/${prefix}000000`).get();
  const ok = reviewed === n && failed === 0 && left === 0 && sample.data().nextReviewAt.toMillis() === nextMonth(asOf);

  const figures = {
    customers: n,
    batches: schedule.batches,
    batchSize: policy.jobs.batchSize,
    seconds: Math.round(seconds * 100) / 100,
    customersPerSecond: Math.round(reviewed / seconds),
    readsPerCustomer: reviewed ? Math.round((reads / reviewed) * 1000) / 1000 : null,
    writesPerCustomer: reviewed ? Math.round((writes / reviewed) * 1000) / 1000 : null,
    seedSeconds: Math.round(seedSeconds * 100) / 100,
    allReviewedOnce: ok,
  };
  log(
    `  reassessed ${reviewed}/${n} customers in ${figures.seconds} s (${figures.batches} batches of ${figures.batchSize}): ` +
      `${figures.customersPerSecond} customers/s, ${figures.readsPerCustomer} document reads and ${figures.writesPerCustomer} writes per customer` +
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
