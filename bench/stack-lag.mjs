/**
 * Group commit on `npm start`'s stack: the Firebase CLI's Functions and Cloud Tasks emulators,
 * with Firestore triggers delivered from this process's in-process Firestore
 * (scripts/lib/trigger-delivery.mjs), as the stack runs them. Records are written straight to
 * Firestore for one customer (an ERP import); onTransactionWritten marks them pending and
 * enqueues the customer's drain; applyPendingRecords applies them. Measured: the lag from a
 * record's write to the commit that applied it, after one warm-up record (the first delivery
 * boots the workers).
 */
import { percentile } from "./support.mjs";

const DAY = 86_400_000;
const sleep = (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

export async function runStackLagBench({ server, customerId, rate = 10, seconds = 20, log = () => {} }) {
  const { freePorts, startStack } = await import("../scripts/lib/stack.mjs");
  const { Timestamp } = await import("firebase-admin/firestore");
  const { firestore } = await import("../functions/lib/data/firebase.js");
  const db = firestore();
  const applied = new Map();
  const pending = new Map();
  const unsubscribe = server.onCommit((ev) => {
    for (const c of ev.changes) {
      if (!c.after || !c.name.includes(`/customers/${customerId}/transactions/`)) continue;
      const state = c.after.fields?.ledger?.value?.state?.value;
      const id = c.name.slice(c.name.lastIndexOf("/") + 1);
      if (state === "applied" || state === "rejected") applied.set(id, ev.commitTime.getTime());
      else if (state === "pending" && !pending.has(id)) pending.set(id, ev.commitTime.getTime());
    }
  });
  const ports = await freePorts(["auth", "functions", "tasks", "hub", "logging", "eventarc"]);
  const stack = await startStack({
    ports,
    firestoreHost: process.env.FIRESTORE_EMULATOR_HOST,
    firestoreServer: server,
    snapshot: true,
    build: false,
    seed: false,
    log,
    onOutput: null,
    triggerLog: () => {},
  });
  try {
    const write = async (id, i) => {
      const now = Date.now();
      const r = await db.doc(`customers/${customerId}/transactions/${id}`).set({
        type: "invoice",
        amount: 1_000_00 + i,
        currency: "USD",
        issuedAt: Timestamp.fromMillis(now - DAY),
        dueAt: Timestamp.fromMillis(now + 29 * DAY),
      });
      return r.writeTime.toMillis();
    };
    const until = async (ids, ms) => {
      const end = Date.now() + ms;
      while (Date.now() < end && ids.some((id) => !applied.has(id))) await sleep(100);
    };
    const warmAt = await write("LAG-WARMUP", 0);
    await until(["LAG-WARMUP"], 180_000);
    const coldMs = applied.has("LAG-WARMUP") ? applied.get("LAG-WARMUP") - warmAt : null;
    const written = new Map();
    const n = rate * seconds;
    const t0 = Date.now();
    for (let i = 0; i < n; i++) {
      await sleep(t0 + (i * 1000) / rate - Date.now());
      written.set(`LAG-${i}`, await write(`LAG-${i}`, i));
    }
    await until([...written.keys()], 120_000);
    const lags = [...written].filter(([id]) => applied.has(id)).map(([id, at]) => applied.get(id) - at);
    const triggerLags = [...written].filter(([id]) => pending.has(id)).map(([id, at]) => pending.get(id) - at);
    const out = stack.output(4000);
    return {
      stack: "npm start's: Functions + Cloud Tasks emulators, triggers delivered from the in-process Firestore",
      rate,
      seconds,
      records: n,
      applied: lags.length,
      firstDeliveryMs: coldMs,
      lagMs: lags.length
        ? {
            p50: Math.round(percentile(lags, 50)),
            p95: Math.round(percentile(lags, 95)),
            max: Math.round(Math.max(...lags)),
          }
        : null,
      /** Of the lag, until the trigger had marked the record pending (the delivery to the Functions emulator and the trigger's run). */
      markedPendingMs: triggerLags.length
        ? { p50: Math.round(percentile(triggerLags, 50)), p95: Math.round(percentile(triggerLags, 95)) }
        : null,
      drainedByTaskQueue: out.includes("applyPendingRecords"),
    };
  } finally {
    unsubscribe();
    await stack.stop();
  }
}
