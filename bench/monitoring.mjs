/**
 * Daily monitoring on a synthetic portfolio (default 10,000 customers) over a month of runs:
 * the due-date work queue (a customer is visited only on a day something can change) in shard
 * tasks run six at a time. The portfolio is seeded as the monitor left it the day before the
 * first run (each file's decision applied and its next due date computed, domain-level), with a
 * realistic mix:
 *   35 % dormant (history settled years ago, nothing open)          → not visited
 *   30 % paying regularly (24 months of monthly invoices, the latest open, not yet due)
 *   15 % overdue (open invoices 5–120 days past due)
 *   10 % young (first activity 1–11 months ago, invoices open)
 *    5 % with a temporary limit expiring within 60 days
 *    5 % with reservations lapsing within 3 days and a dispute open
 * No record arrives during the month (a write brings the customer's next visit forward to the
 * next run: that visit is the write's cost, in the recording figures). The monthly reassessment
 * is not run (its reviews are dated after the month).
 * Measured: document reads, writes and visits per customer-day (bench/support.mjs counts
 * Admin SDK reads and writes: page queries count their documents, an empty query one), and the
 * wasted transactions of concurrent tasks.
 */
import { counters, progress, runQueue, transactionSnapshot } from "./support.mjs";

const DAY = 86_400_000;
const HOUR = 3_600_000;
const lib = "../functions/lib";

/** A deterministic pseudo-random sequence (the same portfolio every run). */
function rng(seed) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32;
}

export async function runMonitoringBench(opts = {}) {
  const n = opts.customers ?? 10_000;
  const days = opts.days ?? 30;
  const dispatches = opts.dispatches ?? 6;
  const log = opts.log ?? ((s) => console.log(s));
  const { firestore } = await import(`${lib}/data/firebase.js`);
  const { customerToStored } = await import(`${lib}/data/customers.js`);
  const { DEFAULT_POLICY } = await import(`${lib}/domain/policy.js`);
  const ledger = await import(`${lib}/domain/ledger.js`);
  const { fileAfterMonitoring } = await import(`${lib}/domain/monitoring.js`);
  const { monitorAt, nextMonitorVisit } = await import(`${lib}/domain/monitorSchedule.js`);
  const { rescoreFromFile } = await import(`${lib}/domain/reassessment.js`);
  const { shardOf } = await import(`${lib}/domain/workQueue.js`);
  const { monitorShard, scheduleDailyMonitoring } = await import(`${lib}/services/monitoring.js`);
  const { ensureShards } = await import(`${lib}/services/workQueues.js`);
  const policy = DEFAULT_POLICY;
  const db = firestore();

  // The first run: 01:00 UTC on the 3rd of next month (a month boundary falls inside the window).
  const now = new Date();
  const T0 = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 3, 1);
  const rand = rng(13);
  const pick = (a, b) => a + Math.floor(rand() * (b - a + 1));

  function buildLedger(records) {
    let state = ledger.emptyLedger();
    const entries = new Map();
    for (const r of records) {
      const ref = ledger.referencedEntryId(r);
      const res = ledger.applyRecord(
        state,
        r,
        entries.get(r.externalId) ?? null,
        ref ? (entries.get(ref) ?? null) : null,
      );
      state = res.state;
      for (const w of res.writes) if (w.entry) entries.set(w.id, w.entry);
    }
    return state;
  }

  function customerOf(i) {
    const kind =
      i % 20 < 7
        ? "dormant"
        : i % 20 < 13
          ? "regular"
          : i % 20 < 16
            ? "overdue"
            : i % 20 < 18
              ? "young"
              : i % 20 === 18
                ? "temporary"
                : "reserved";
    const records = [];
    const at = (d) => T0 - DAY + d * DAY;
    const invoice = (id, issuedDay, terms, amount) =>
      records.push({
        externalId: id,
        type: "invoice",
        amount,
        issuedAt: at(issuedDay),
        dueAt: at(issuedDay + terms) - HOUR,
      });
    const pay = (id, inv, day, amount) =>
      records.push({ externalId: id, type: "payment", amount, issuedAt: at(day), invoiceExternalId: inv });
    if (kind === "dormant") {
      const d = -pick(2200, 3000);
      invoice("I-old", d, 30, 5_000_00);
      pay("P-old", "I-old", d + 25, 5_000_00);
    } else if (kind === "regular" || kind === "temporary" || kind === "reserved") {
      const phase = pick(0, 29);
      for (let m = 24; m >= 1; m--) {
        const issued = -m * 30 + phase - 30;
        invoice(`I${m}`, issued, 30, 8_000_00 + m * 100);
        if (issued + 28 < 0) pay(`P${m}`, `I${m}`, issued + pick(20, 31), 8_000_00 + m * 100);
      }
      invoice("I-open", -pick(1, 25), 30, 9_000_00);
    } else if (kind === "overdue") {
      invoice("I-paid", -400, 30, 4_000_00);
      pay("P-paid", "I-paid", -365, 4_000_00);
      const late = pick(5, 120);
      invoice("I-late", -30 - late, 30, 6_000_00);
      invoice("I-open", -pick(1, 20), 30, 3_000_00);
    } else {
      const months = pick(1, 11);
      invoice("I-first", -months * 30, 30, 2_000_00);
      if (months > 1) pay("P-first", "I-first", -months * 30 + 25, 2_000_00);
      invoice("I-open", -pick(1, 25), 30, 2_500_00);
    }
    const state = buildLedger(records);
    const aggregates = ledger.summarize(state, T0 - DAY);
    const limit = kind === "dormant" && i % 2 === 0 ? 0 : 50_000_00;
    const base = {
      name: `Bench ${i}`,
      registrationNo: `M-${i}`,
      country: "US",
      industry: "G46",
      foundedYear: kind === "young" ? 2023 : 1995,
      address: "1 Bench Road",
      currency: "USD",
      status: "active",
      statusReason: null,
      statusKind: null,
      ownerUid: null,
      score: 50,
      confidence: 0.5,
      financialScores: { currentRatio: 80, debtToEquity: 70, netMargin: 70, altmanZ: 75 },
      grade: "C",
      tier: "standard",
      creditLimit: limit,
      temporaryLimit:
        kind === "temporary" ? { limit: limit + 20_000_00, expiresAt: T0 + pick(1, 60) * DAY + 5 * HOUR } : null,
      paymentTermsDays: 30,
      aggregates,
      exposure: aggregates.exposure,
      oldestDaysPastDue: aggregates.oldestDaysPastDue,
      availableCredit: 0,
      applicationId: null,
      flags: { fraudHold: false, noLimitIncrease: false, extendedTermsEligible: false },
      createdAt: T0 - 800 * DAY,
      updatedAt: T0 - DAY,
      assessedAt: T0 - DAY,
      lastReviewedAt: T0 - 10 * DAY,
      nextReviewAt: Date.UTC(new Date(T0).getUTCFullYear(), new Date(T0).getUTCMonth() + 2, 1),
      nextAgingAt: T0,
      reservations:
        kind === "reserved"
          ? Object.fromEntries(
              Array.from({ length: pick(1, 3) }, (_, k) => [
                `PO-${k}`,
                {
                  reservationId: `R${k}`,
                  amount: 1_000_00,
                  createdAt: T0 - DAY,
                  expiresAt: T0 + pick(1, 72) * HOUR,
                  createdBy: "bench",
                },
              ]),
            )
          : {},
      disputes:
        kind === "reserved"
          ? {
              open: { D1: { invoiceExternalId: "I-open", amount: 1_000_00, openedAt: T0 - pick(0, 40) * DAY } },
              months: {},
            }
          : null,
      latestStatementAt: T0 - pick(100, 400) * DAY,
      openAlerts: {},
      monitor: { penaltyLevel: 0, penaltyProposedAt: null, lastIncentiveAt: null },
      ledger: state,
    };
    const a = rescoreFromFile(base, T0 - DAY, policy);
    let file = {
      ...base,
      score: a.score,
      grade: a.grade,
      tier: a.tier,
      confidence: a.confidence,
      classReasons: a.classReasons,
    };
    // As the monitor left it yesterday: its decision applied, its next due date computed.
    file = fileAfterMonitoring(file, monitorAt(file, state, T0 - DAY, policy), T0 - DAY, true);
    file.nextAgingAt = nextMonitorVisit(file, state, T0 - DAY, policy).at;
    return { kind, file };
  }

  // ---- seed
  const seed0 = Date.now();
  const prefix = `mon-${T0.toString(36)}-`;
  const kinds = {};
  for (let i = 0; i < n; i += 200) {
    const batch = db.batch();
    for (let j = i; j < Math.min(n, i + 200); j++) {
      const id = `${prefix}${String(j).padStart(6, "0")}`;
      const { kind, file } = customerOf(j);
      kinds[kind] = (kinds[kind] ?? 0) + 1;
      const docs = customerToStored(file);
      batch.set(db.doc(`customers/${id}`), { ...docs.head, shard: shardOf(id) });
      batch.set(db.doc(`customers/${id}/private/creditState`), docs.state);
    }
    await batch.commit();
    progress(`seeding ${n} customers`, Math.min(n, i + 200), n);
  }
  await ensureShards(T0, Number.POSITIVE_INFINITY); // the one-time pass, before the measured month
  const seedSeconds = (Date.now() - seed0) / 1000;
  // Customers other bench sections left in the same database are visited once the day before,
  // so the month starts from every file's own due date; they count in the customer-days.
  const settle = [];
  await scheduleDailyMonitoring(T0 - DAY, policy, { enqueue: async (t) => (settle.push(t), "enqueued") });
  await runQueue(settle, dispatches, async (t, more) => {
    const run = await monitorShard(t, policy, { deadline: Number.POSITIVE_INFINITY });
    if (run.continuation) more(run.continuation);
  });
  const inDatabase = (await db.collection("customers").count().get()).data().count;

  // ---- a month of daily runs: the schedule, then its shard tasks six at a time
  const reads0 = counters.reads;
  const writes0 = counters.writes;
  const tx = transactionSnapshot();
  const perDay = [];
  const t0 = Date.now();
  for (let d = 0; d < days; d++) {
    const asOf = T0 + d * DAY;
    const r0 = counters.reads;
    const tasks = [];
    await scheduleDailyMonitoring(asOf, policy, { enqueue: async (t) => (tasks.push(t), "enqueued") });
    let visits = 0;
    let failed = 0;
    await runQueue(tasks, dispatches, async (t, more) => {
      const run = await monitorShard(t, policy, { deadline: Number.POSITIVE_INFINITY });
      visits += run.processed;
      failed += run.failed.length;
      if (run.continuation) more(run.continuation);
    });
    perDay.push({ day: d + 1, visits, reads: counters.reads - r0, failed });
    progress(`monitoring day by day (${n} customers)`, d + 1, days);
  }
  const seconds = (Date.now() - t0) / 1000;
  const reads = counters.reads - reads0;
  const writes = counters.writes - writes0;
  const wasted = tx();
  const visits = perDay.reduce((s, x) => s + x.visits, 0);
  const customerDays = inDatabase * days;
  const round = (x, k = 3) => Math.round(x * 10 ** k) / 10 ** k;
  const figures = {
    customers: n,
    customersInDatabase: inDatabase,
    days,
    mix: kinds,
    concurrentTasks: dispatches,
    visits,
    visitsPerCustomerDay: round(visits / customerDays),
    readsPerCustomerDay: round(reads / customerDays),
    writesPerCustomerDay: round(writes / customerDays),
    readsPerVisit: visits ? round(reads / visits, 2) : null,
    visitsPerDay: {
      min: Math.min(...perDay.map((x) => x.visits)),
      median: perDay.map((x) => x.visits).sort((a, b) => a - b)[Math.floor(days / 2)],
      max: Math.max(...perDay.map((x) => x.visits)),
    },
    visitingEveryoneDaily: {
      readsPerCustomerDay: 2,
      writesPerCustomerDay: "≥ 2 (head and credit state, plus the audit entry on change)",
    },
    failed: perDay.reduce((s, x) => s + x.failed, 0),
    transactions: wasted.calls,
    wastedTransactions: wasted.wasted,
    seconds: round(seconds, 1),
    seedSeconds: round(seedSeconds, 1),
  };
  log(
    `  ${inDatabase} customers × ${days} days: ${visits} visits (${figures.visitsPerCustomerDay} per customer-day), ` +
      `${figures.readsPerCustomerDay} reads and ${figures.writesPerCustomerDay} writes per customer-day, ${figures.wastedTransactions} wasted transactions`,
  );
  return figures;
}
