/**
 * Bench support: an in-process Firestore, and counters of document reads and writes made
 * through the Admin SDK (patched at the class level, counted per document returned or written).
 */
import net from "node:net";
import { FirestoreServer } from "../scripts/lib/in-process-firestore.mjs";

export async function startFirestore() {
  const port = await new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const p = /** @type {import("node:net").AddressInfo} listening on a TCP port */ (srv.address()).port;
      srv.close(() => resolve(p));
    });
  });
  const server = new FirestoreServer();
  await server.start(port);
  process.env.FIRESTORE_EMULATOR_HOST = `127.0.0.1:${port}`;
  process.env.GCLOUD_PROJECT ??= "demo-credit";
  process.env.FUNCTIONS_EMULATOR ??= "true";
  process.env.CREDIT_DESK_AUDIT_KEYS ??= `bench:${(await import("node:crypto")).randomBytes(32).toString("base64")}`; // the audit keyring secret
  return server;
}

/** The functions' structured logs (one JSON line per event) would drown the figures: keep them out. */
export function quietFunctionLogs() {
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (chunk, ...rest) => {
    const s = typeof chunk === "string" ? chunk : chunk.toString();
    if (s.startsWith("{") && s.includes('"severity"')) return true;
    return write(chunk, ...rest);
  };
  for (const m of ["log", "info", "debug", "warn", "error"]) {
    const orig = console[m].bind(console);
    console[m] = (...args) => {
      if (typeof args[0] === "string" && args[0].startsWith("{") && args[0].includes('"severity"')) return;
      orig(...args);
    };
  }
}

export const counters = { reads: 0, writes: 0 };

/** Patch firebase-admin's Firestore classes once, to count document reads and writes. */
export async function installCounters() {
  const fs = await import("firebase-admin/firestore");
  // The SDK's classes, patched to count: typed any on purpose (their internals are not its API).
  const { Transaction, DocumentReference, Query, WriteBatch } = /** @type {any} */ (fs);
  void Transaction;
  const wrapRead = (proto, name, count) => {
    const orig = proto[name];
    proto[name] = async function (...args) {
      const r = await orig.apply(this, args);
      counters.reads += count(r, args);
      return r;
    };
  };
  // DocumentReference.get goes through Firestore.getAll (counted there): not wrapped, or it would count twice.
  void DocumentReference;
  wrapRead(fs.Firestore.prototype, "getAll", (r) => r.length);
  wrapRead(Query.prototype, "get", (r) => Math.max(1, r.size ?? 0));
  const stream = Query.prototype.stream;
  Query.prototype.stream = function (...args) {
    const s = stream.apply(this, args);
    s.on("data", () => (counters.reads += 1));
    return s;
  };
  const txGet = Transaction.prototype.get;
  Transaction.prototype.get = async function (refOrQuery) {
    const r = await txGet.call(this, refOrQuery);
    counters.reads += r && typeof r.size === "number" ? Math.max(1, r.size) : 1;
    return r;
  };
  wrapRead(Transaction.prototype, "getAll", (r) => r.length);
  // A Transaction writes through its own WriteBatch: counting the batch counts every write once.
  for (const name of ["set", "update", "delete", "create"]) {
    const orig = WriteBatch.prototype[name];
    WriteBatch.prototype[name] = function (...args) {
      counters.writes += 1;
      return orig.apply(this, args);
    };
  }
}

export function measure() {
  const start = { ...counters, t: process.hrtime.bigint() };
  return () => ({
    reads: counters.reads - start.reads,
    writes: counters.writes - start.writes,
    ms: Number(process.hrtime.bigint() - start.t) / 1e6,
  });
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
}

export function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : NaN;
}

export function progress(label, done, total) {
  process.stdout.write(`\r  ${label}: ${done}/${total}${done === total ? "\n" : ""}`);
}

export const transactions = { calls: 0, attempts: 0, failed: 0 };

/**
 * Count the Admin SDK's transactions: calls, attempts (each retry after an abort is one more)
 * and calls that failed (a refused lastUpdateTime precondition, a `create` that found its
 * document). Wasted = attempts − calls + failed.
 */
export async function installTransactionCounters() {
  const { Firestore } = /** @type {any} patched to count */ (await import("firebase-admin/firestore"));
  const orig = Firestore.prototype.runTransaction;
  Firestore.prototype.runTransaction = function (fn, opts) {
    transactions.calls++;
    return orig
      .call(this, (tx) => (transactions.attempts++, fn(tx)), opts)
      .catch((err) => {
        transactions.failed++;
        throw err;
      });
  };
}

export function transactionSnapshot() {
  const start = { ...transactions };
  return () => {
    const calls = transactions.calls - start.calls;
    const attempts = transactions.attempts - start.attempts;
    const failed = transactions.failed - start.failed;
    return { calls, attempts, failed, wasted: attempts - calls + failed };
  };
}

/** Run `tasks` through `work`, at most `n` at once (a task queue's maxConcurrentDispatches); tasks may add tasks. */
export async function runQueue(tasks, n, work) {
  const queue = [...tasks];
  let active = 0;
  await new Promise((resolve, reject) => {
    const next = () => {
      if (queue.length === 0 && active === 0) return resolve(undefined);
      while (active < n && queue.length > 0) {
        const t = queue.shift();
        active++;
        work(t, (more) => queue.push(more)).then(() => {
          active--;
          next();
        }, reject);
      }
    };
    next();
  });
}

/** Firestore's stored size of a document (https://firebase.google.com/docs/firestore/storage-size): name, fields, 32 bytes. */
export function firestoreDocumentSize(path, data) {
  const nameSize = path.split("/").reduce((s, seg) => s + Buffer.byteLength(seg) + 1, 0) + 16;
  const value = (v) => {
    if (v === null || v === undefined) return 1;
    if (typeof v === "boolean") return 1;
    if (typeof v === "number") return 8;
    if (typeof v === "string") return Buffer.byteLength(v) + 1;
    if (v instanceof Date || typeof v?.toMillis === "function") return 8;
    if (Array.isArray(v)) return v.reduce((s, x) => s + value(x), 0);
    if (typeof v === "object")
      return Object.entries(v).reduce((s, [k, x]) => s + Buffer.byteLength(k) + 1 + value(x), 0);
    return 8;
  };
  return nameSize + value(data) + 32;
}
