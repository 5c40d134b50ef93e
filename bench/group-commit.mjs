/**
 * Group commit for a hot customer: an ERP writes records straight to Firestore for one customer
 * at a steady rate; each write's trigger (onTransactionWritten, called here with the event it
 * would receive: the written data and its exact update time) marks the record pending and
 * enqueues the customer's drain for the current second; an in-process task queue with Cloud
 * Tasks' semantics (a task name is taken once; a task runs at its scheduled time) runs the drains
 * (applyPendingRecords' work). Measured from the in-process Firestore's commits:
 *  - writes of the customer's head and creditState per second (target ≤ 1 on average);
 *  - lag from a record's write to the commit that applied it (p50, p95, max);
 *  - document reads and writes per record (bench/support.mjs counters), over the whole run;
 *  - the customer's aggregates against a from-scratch recomputation of every record written.
 * For comparison, the same rate for a few seconds through the callable, one record per call
 * (one transaction per record on the same customer: what the trigger path did before).
 */
import { counters, median, percentile, progress } from "./support.mjs";

const lib = "../functions/lib";
const DAY = 86_400_000;
const sleep = (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** A record of a hot ERP feed: invoices (some past due), payments naming an earlier invoice, orders. */
function feedRecord(prefix, i, now) {
  const { Timestamp } = globalThis.__firestoreTypes;
  const at = (ms) => Timestamp.fromMillis(ms);
  switch (i % 5) {
    case 0:
    case 1:
      return {
        type: "invoice",
        amount: 1_000_00 + (i % 89) * 100,
        currency: "USD",
        issuedAt: at(now - (i % 40) * DAY),
        dueAt: at(now - (i % 40) * DAY + 30 * DAY),
      };
    case 2:
      return {
        type: "payment",
        amount: 600_00,
        currency: "USD",
        issuedAt: at(now - (i % 3) * DAY),
        invoiceExternalId: `${prefix}-${i - 2}`,
      };
    case 3:
      return {
        type: "order",
        amount: 400_00,
        currency: "USD",
        issuedAt: at(now - DAY),
        status: i % 10 === 3 ? "fulfilled" : "open",
      };
    default:
      return {
        type: "credit_note",
        amount: 50_00,
        currency: "USD",
        issuedAt: at(now - DAY),
        invoiceExternalId: `${prefix}-${i - 4}`,
      };
  }
}

/**
 * @param {{ server: import("../scripts/lib/in-process-firestore.mjs").FirestoreServer, customerId: string, compareCustomerId: string,
 *   rate?: number, seconds?: number, compareSeconds?: number, policy: unknown }} opts
 */
export async function runGroupCommitBench(opts) {
  const rate = opts.rate ?? 50;
  const seconds = opts.seconds ?? 60;
  const { Timestamp, getFirestore } = await import("firebase-admin/firestore");
  globalThis.__firestoreTypes = { Timestamp };
  const {
    applyTransactionEvent,
    drainPendingRecords,
    drainAt,
    drainBucket,
    drainTaskId,
    recordFromDocument,
    recordTransactions,
  } = await import(`${lib}/services/transactions.js`);
  const { recomputeFromHistory } = await import(`${lib}/domain/ledger.js`);
  const { firestore } = await import(`${lib}/data/firebase.js`);
  const { readCustomer } = await import(`${lib}/data/customers.js`);
  const policy = opts.policy;
  const db = firestore();
  void getFirestore;

  // ---- the customer's document writes and each record's applied commit, from the Firestore's commits
  const headName = (id) => `/documents/customers/${id}`;
  /** @type {{ head: number[], state: number[], applied: Map<string, { t: number, state: string }> }} */
  const watch = { head: [], state: [], applied: new Map() };
  const unsubscribe = opts.server.onCommit((ev) => {
    const t = ev.commitTime.getTime();
    for (const c of ev.changes) {
      if (c.name.endsWith(headName(opts.customerId))) watch.head.push(t);
      else if (c.name.endsWith(`${headName(opts.customerId)}/private/creditState`)) watch.state.push(t);
      else if (c.name.includes(`${headName(opts.customerId)}/transactions/`) && c.after) {
        const state = /** @type {any} the REST form of the stored document */ (c.after.fields)?.ledger?.value?.state
          ?.value;
        if (state === "applied" || state === "rejected")
          watch.applied.set(c.name.slice(c.name.lastIndexOf("/") + 1), { t, state });
      }
    }
  });

  // ---- Cloud Tasks, in process: one task per name, run at its scheduled time
  const names = new Set();
  const running = new Set();
  /** @type {unknown} the first trigger or drain that failed (after its retries): it fails the run once all are settled */
  let failure = null;
  /** Keep `p` in `pending` until it settles, its failure kept for the end of the run. */
  const track = (pending, p) => {
    pending.add(p);
    p.then(
      () => pending.delete(p),
      (err) => {
        failure ??= err;
        pending.delete(p);
      },
    );
  };
  const drains = [];
  const enqueue = async (task, o) => {
    if (names.has(o.id)) return "exists";
    names.add(o.id);
    const p = (async () => {
      await sleep(o.scheduleAt - Date.now());
      for (let attempt = 0; ; attempt++) {
        try {
          const run = await drainPendingRecords(task.customerId, Date.now(), policy);
          drains.push(run);
          if (run.more) {
            const bucket = drainBucket(Date.now(), policy) + 1;
            await enqueue(
              { customerId: task.customerId, bucket },
              { id: drainTaskId(task.customerId, bucket), scheduleAt: drainAt(bucket, policy) },
            );
          }
          return;
        } catch (err) {
          if (attempt >= 5) throw err; // a transient failure is retried, as Cloud Tasks would
          await sleep(500);
        }
      }
    })();
    track(running, p);
    return "enqueued";
  };

  // ---- the ERP: `rate` records per second for `seconds`, each write's trigger run beside it
  const prefix = `HOT-${Date.now().toString(36)}`;
  const written = new Map();
  const records = [];
  const triggers = new Set();
  const total = rate * seconds;
  const reads0 = counters.reads;
  const writes0 = counters.writes;
  const t0 = Date.now();
  for (let i = 0; i < total; i++) {
    await sleep(t0 + (i * 1000) / rate - Date.now());
    const id = `${prefix}-${i}`;
    const data = feedRecord(prefix, i, t0);
    const ref = db.doc(`customers/${opts.customerId}/transactions/${id}`);
    const result = await ref.set(data);
    written.set(id, result.writeTime.toMillis());
    records.push(recordFromDocument(id, data));
    const tr = applyTransactionEvent(
      {
        customerId: opts.customerId,
        externalId: id,
        after: data,
        sourceUpdateTime: result.writeTime.toMillis(),
        sourceVersion: result.writeTime,
      },
      Date.now(),
      policy,
      { enqueue },
    );
    track(triggers, tr);
    if ((i + 1) % (rate * 10) === 0) progress(`ERP feed at ${rate}/s`, i + 1, total);
  }
  const feedSeconds = (Date.now() - t0) / 1000;
  while (triggers.size > 0 || running.size > 0) await Promise.all([...triggers, ...running]);
  if (failure) throw failure;
  const endAt = Date.now();
  unsubscribe();
  const reads = counters.reads - reads0;
  const writes = counters.writes - writes0;

  const lags = [];
  let applied = 0;
  let rejected = 0;
  for (const [id, at] of written) {
    const done = watch.applied.get(id);
    if (!done) continue;
    lags.push(done.t - at);
    if (done.state === "applied") applied++;
    else rejected++;
  }
  const span = (Math.max(...watch.head) - t0) / 1000;
  const { file } = await readCustomer(null, opts.customerId);
  const oracle = recomputeFromHistory(records, file.updatedAt);
  const canonical = (v) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, canonical(v[k])]),
        )
      : v;
  const same = JSON.stringify(canonical(file.aggregates)) === JSON.stringify(canonical(oracle));
  const round = (x, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
  /** @type {Record<string, any>} the run's figures; the one-per-record comparison is added when asked for */
  const figures = {
    customers: 1,
    rate,
    seconds,
    feedSeconds: round(feedSeconds),
    records: total,
    applied,
    rejected,
    notApplied: total - applied - rejected,
    drains: drains.length,
    recordsPerDrain: { median: median(drains.map((d) => d.records)), max: Math.max(...drains.map((d) => d.records)) },
    headWrites: watch.head.length,
    creditStateWrites: watch.state.length,
    headWritesPerSecond: round(watch.head.length / span),
    lagMs: {
      p50: Math.round(percentile(lags, 50)),
      p95: Math.round(percentile(lags, 95)),
      max: Math.round(Math.max(...lags)),
    },
    readsPerRecord: round(reads / total, 3),
    writesPerRecord: round(writes / total, 3),
    sameAsFromScratch: same,
    ...(same ? {} : { stored: file.aggregates, fromScratch: oracle }),
    drainedWithinSeconds: round((endAt - t0) / 1000 - feedSeconds),
  };

  // ---- for comparison: the callable, one record per call, at the same rate for a few seconds
  const compareSeconds = opts.compareSeconds ?? 10;
  const cmp = { head: 0 };
  const unsub2 = opts.server.onCommit((ev) => {
    for (const c of ev.changes) if (c.name.endsWith(headName(opts.compareCustomerId))) cmp.head++;
  });
  const calls = [];
  const lat = [];
  const c0 = Date.now();
  const n = rate * compareSeconds;
  const integration = { uid: "bench-integration", role: "integration" };
  for (let i = 0; i < n; i++) {
    await sleep(c0 + (i * 1000) / rate - Date.now());
    const start = Date.now();
    const d = feedRecord(`${prefix}-C`, i, c0);
    const t = {
      externalId: `${prefix}-C-${i}`,
      type: d.type,
      amount: d.amount,
      issuedAt: d.issuedAt.toMillis(),
      ...(d.dueAt ? { dueAt: d.dueAt.toMillis() } : {}),
      ...(d.invoiceExternalId ? { invoiceExternalId: d.invoiceExternalId } : {}),
      ...(d.status ? { status: d.status } : {}),
    };
    calls.push(
      recordTransactions(
        { customerId: opts.compareCustomerId, transactions: [t] },
        integration,
        Date.now(),
        policy,
      ).then(() => lat.push(Date.now() - start)),
    );
  }
  await Promise.all(calls);
  const cmpSpan = (Date.now() - c0) / 1000;
  unsub2();
  figures.onePerRecordForComparison = {
    path: "recordTransactions, one record per call (one transaction per record)",
    rate,
    seconds: compareSeconds,
    records: n,
    headWrites: cmp.head,
    headWritesPerSecond: round(cmp.head / cmpSpan),
    secondsToFinish: round(cmpSpan),
    latencyMs: { p50: Math.round(percentile(lat, 50)), p95: Math.round(percentile(lat, 95)) },
  };
  return figures;
}
