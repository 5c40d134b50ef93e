/**
 * Serializable read-write transactions for the in-process Firestore, isolated the way Cloud
 * Firestore isolates server-SDK (Admin SDK) transactions. The package (`@firestore-emulator/
 * server`) hands out one dummy transaction id, ignores the transaction on reads and applies
 * every commit blindly, so concurrent read-modify-write loses updates. Here:
 *
 * - Real transaction ids: BeginTransaction, and `new_transaction` on BatchGetDocuments /
 *   RunQuery / RunAggregationQuery (the Admin SDK v7 begins a transaction lazily with its
 *   first read, and passes `read_write.retry_transaction` = the previous attempt's id when it
 *   retries). Read-only transactions get an id that needs no state and take no locks.
 * - Pessimistic per-document locks, like production: every document a read-write transaction
 *   reads (a get, a getAll, or the documents a query or aggregation returns) and every
 *   document its commit writes is locked exclusively until Commit or Rollback. Waiters queue
 *   in transaction-age order (oldest first; ages come from arrival, so this is FIFO except
 *   that a retried transaction keeps its first attempt's age and so does not starve).
 * - Deadlock-free by wound-wait: a transaction that needs a lock held by a YOUNGER one
 *   wounds it (the younger is aborted and its locks released at once; its next request or its
 *   commit gets ABORTED and the Admin SDK retries it); a younger one waits for an older one.
 *   Every wait is young → old, so waits never form a cycle, and the oldest transaction always
 *   proceeds.
 * - Commit-time validation: the update time (or absence) of every document read is
 *   remembered; if one changed before the commit — only a write that takes no lock can do
 *   that: a non-transactional write or batch, or clearing the database — the commit is
 *   refused with ABORTED (gRPC 10), nothing is applied, and the Admin SDK retries.
 * - Writes outside transactions take no locks (production makes them wait for the locks
 *   instead; both orders are serializable) but do change update times, so validation sees them.
 * - A lease as a backstop: a transaction idle (not waiting for a lock) for `leaseMs`
 *   (default 60 s, production's idle expiry) is aborted and its locks released, so an
 *   abandoned transaction (a killed process) cannot hold documents forever. A read call that
 *   began a transaction and is cancelled aborts it too (its caller never learnt the id).
 *
 * Known gap — document phantoms: a query in a transaction locks the documents it returns,
 * not the range it scanned, so a document created meanwhile that matches the query does not
 * conflict (production locks the range). Code that must not miss such a document reads it by
 * id (deterministic ids) — which this does lock, missing or not.
 */
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { commitWrites, RpcError, Status, toRpcError, writeTarget } from "./firestore-commits.mjs";

const requireFromServer = createRequire(createRequire(import.meta.url).resolve("@firestore-emulator/server"));
const { Metadata } = requireFromServer("@grpc/grpc-js");

const SERVICE = "/google.firestore.v1.Firestore/";
export const DEFAULT_LEASE_MS = 60_000;
const READ_WRITE = 0x77; // first byte of a read-write transaction id ("w")
const READ_ONLY = 0x72; // … of a read-only one ("r"): no state behind it
const RETIRED_AGES_KEPT = 10_000;

/** A read-write transaction. */
class Transaction {
  constructor(id, age, serial) {
    this.id = id;
    this.key = Buffer.from(id).toString("hex");
    this.age = age; // smaller = older; kept across retries
    this.serial = serial; // tie-break
    this.state = "active"; // active | committed | rolled-back | aborted
    this.reason = null;
    this.locks = new Set();
    this.reads = new Map(); // document name → update time (ms) or 0 when missing, at the first read
    this.waiting = null; // { lock, name, resolve, reject } while queued for a lock
    this.timer = null;
  }
}

const older = (a, b) => a.age < b.age || (a.age === b.age && a.serial < b.serial);

export class TransactionManager {
  #locks = new Map(); // document name → { holder: Transaction | null, waiters: waiter[] }
  #active = new Map(); // key → Transaction
  #retiredAges = new Map(); // key → age, for retry_transaction after the attempt ended
  #nextAge = 1;
  #serial = 1;
  #versionOf;
  leaseMs;
  stats = {
    begun: 0,
    committed: 0,
    rolledBack: 0,
    aborted: { wounded: 0, validation: 0, expired: 0, cancelled: 0, superseded: 0, cleared: 0, failed: 0 },
    waits: 0,
  };

  constructor({ versionOf, leaseMs = DEFAULT_LEASE_MS }) {
    this.#versionOf = versionOf;
    this.leaseMs = leaseMs;
  }

  /** Begin a transaction from TransactionOptions (null: read-write): `{ id, tx }`, tx "read-only" or the Transaction. */
  begin(options) {
    if (options?.has_read_only) return { id: Uint8Array.from([READ_ONLY, ...randomBytes(15)]), tx: "read-only" };
    let age = null;
    const retrying = options?.has_read_write ? options.read_write.retry_transaction : null;
    if (retrying?.length) {
      const key = Buffer.from(retrying).toString("hex");
      const previous = this.#active.get(key);
      if (previous) {
        // The SDK rolls back asynchronously: the retry may arrive first. It supersedes the attempt.
        age = previous.age;
        this.#end(previous, "aborted", "superseded by its retry");
        this.stats.aborted.superseded++;
      } else {
        age = this.#retiredAges.get(key) ?? null;
      }
    }
    const tx = new Transaction(
      Uint8Array.from([READ_WRITE, ...randomBytes(15)]),
      age ?? this.#nextAge++,
      this.#serial++,
    );
    this.#active.set(tx.key, tx);
    this.stats.begun++;
    this.#touch(tx);
    return { id: tx.id, tx };
  }

  /** "read-only", or the active read-write transaction; ABORTED when it is unknown or ended. */
  resolve(id) {
    if (id[0] === READ_ONLY && id.length === 16) return "read-only";
    const key = Buffer.from(id).toString("hex");
    const tx = this.#active.get(key);
    if (!tx)
      throw new RpcError(
        Status.ABORTED,
        "The referenced transaction has expired or is no longer valid (in-process Firestore).",
      );
    this.#touch(tx);
    return tx;
  }

  /** Lock the documents (in name order) for the transaction; rejects with ABORTED if it is wounded meanwhile. */
  async lockAll(tx, names) {
    for (const name of [...new Set(names)].sort()) await this.#acquire(tx, name);
    this.#touch(tx);
  }

  /** Remember the version of documents the transaction has read (the first read counts). */
  recordReads(tx, names) {
    for (const name of names) if (!tx.reads.has(name)) tx.reads.set(name, this.#versionOf(name));
  }

  /** ABORTED (and the transaction ended) if it was wounded or expired, or a document it read has changed since. */
  validate(tx) {
    if (tx.state !== "active") throw this.#abortedError(tx);
    for (const [name, version] of tx.reads) {
      if (this.#versionOf(name) !== version) {
        this.stats.aborted.validation++;
        this.#end(tx, "aborted", `${name} changed after this transaction read it`);
        throw this.#abortedError(tx);
      }
    }
  }

  commit(tx) {
    this.stats.committed++;
    this.#end(tx, "committed", null);
  }

  rollback(id) {
    if (id[0] === READ_ONLY) return;
    const tx = this.#active.get(Buffer.from(id).toString("hex"));
    if (!tx) return;
    this.stats.rolledBack++;
    this.#end(tx, "rolled-back", null);
  }

  /** End a transaction whose commit failed for another reason (e.g. a precondition). */
  fail(tx, reason, counter = "failed") {
    if (tx.state !== "active") return;
    this.stats.aborted[counter]++;
    this.#end(tx, "aborted", reason);
  }

  /** Abort every transaction (the database was cleared, or the server stops). */
  abortAll(reason, counter = "cleared") {
    for (const tx of [...this.#active.values()]) this.fail(tx, reason, counter);
  }

  /** Transactions alive and documents locked (for tests and diagnostics). */
  get activeCount() {
    return this.#active.size;
  }
  get lockedCount() {
    return this.#locks.size;
  }

  #abortedError(tx) {
    return new RpcError(
      Status.ABORTED,
      `Transaction aborted (in-process Firestore): ${tx.reason ?? tx.state}. Retry the transaction.`,
    );
  }

  #acquire(tx, name) {
    if (tx.state !== "active") return Promise.reject(this.#abortedError(tx));
    if (tx.locks.has(name)) return Promise.resolve();
    let lock = this.#locks.get(name);
    if (!lock) this.#locks.set(name, (lock = { holder: null, waiters: [] }));
    if (!lock.holder) {
      // Invariant: a lock without a holder has no waiters (#pump hands it on at once).
      lock.holder = tx;
      tx.locks.add(name);
      return Promise.resolve();
    }
    this.stats.waits++;
    return new Promise((resolve, reject) => {
      const waiter = { tx, lock, name, resolve, reject };
      const at = lock.waiters.findIndex((w) => older(tx, w.tx));
      if (at === -1) lock.waiters.push(waiter);
      else lock.waiters.splice(at, 0, waiter);
      tx.waiting = waiter;
      this.#touch(tx);
      // Wound-wait: never wait for a younger holder.
      if (older(tx, lock.holder)) {
        const victim = lock.holder;
        this.stats.aborted.wounded++;
        this.#end(victim, "aborted", "wounded by an older transaction that needed a document it had locked");
      }
    });
  }

  /** Give a free lock to its oldest waiter. */
  #pump(name, lock) {
    if (lock.holder) return;
    const next = lock.waiters.shift();
    if (!next) {
      this.#locks.delete(name);
      return;
    }
    lock.holder = next.tx;
    next.tx.locks.add(name);
    next.tx.waiting = null;
    this.#touch(next.tx);
    next.resolve();
  }

  #end(tx, state, reason) {
    if (tx.state !== "active") return;
    tx.state = state;
    tx.reason = reason;
    clearTimeout(tx.timer);
    this.#active.delete(tx.key);
    this.#retiredAges.set(tx.key, tx.age);
    if (this.#retiredAges.size > RETIRED_AGES_KEPT) this.#retiredAges.delete(this.#retiredAges.keys().next().value);
    if (tx.waiting) {
      const { lock, reject } = tx.waiting;
      lock.waiters.splice(lock.waiters.indexOf(tx.waiting), 1);
      tx.waiting = null;
      reject(this.#abortedError(tx));
    }
    for (const name of tx.locks) {
      const lock = this.#locks.get(name);
      if (lock?.holder === tx) {
        lock.holder = null;
        this.#pump(name, lock);
      }
    }
    tx.locks.clear();
  }

  /** Restart the idle lease. Waiting for a lock is not idleness: the lease is checked again when it fires. */
  #touch(tx) {
    if (tx.state !== "active") return;
    clearTimeout(tx.timer);
    tx.timer = setTimeout(() => {
      if (tx.state !== "active") return;
      if (tx.waiting) return this.#touch(tx);
      this.fail(tx, `idle for more than ${this.leaseMs} ms (lease expired)`, "expired");
    }, this.leaseMs);
    tx.timer.unref?.();
  }
}

/** The request's transaction: null (none), "read-only", or a read-write Transaction; begins one for new_transaction. */
function transactionOf(manager, request) {
  switch (request.consistency_selector) {
    case "new_transaction":
      return { ...manager.begin(request.new_transaction), began: true };
    case "transaction":
      return { id: null, tx: manager.resolve(request.transaction), began: false };
    default:
      return { id: null, tx: null, began: false };
  }
}

/**
 * End a streaming call with an error. Response headers go first, as Cloud Firestore sends
 * them: an error that arrives before any headers looks to the client's retry layer
 * (google-gax → retry-request) like a lost connection, and it silently re-sends the read
 * twice, seconds apart, before the transaction runner even sees the ABORTED.
 */
function failStream(call, err) {
  try {
    call.sendMetadata(new Metadata());
  } catch {
    /* headers already sent */
  }
  call.emit("error", toRpcError(err));
}

/**
 * The call as the package's handler sees it, answering with our transaction id where the
 * package would put its own (its dummy id, or a random one it never remembers).
 */
function withTransactionId(call, id) {
  if (!id) return call;
  return {
    request: call.request,
    write: (message) => {
      if (message.transaction?.length) message.transaction = id;
      return call.write(message);
    },
    end: () => call.end(),
    emit: (...args) => call.emit(...args),
  };
}

/**
 * Replace the package's transaction handlers on a FirestoreServer (before or after start).
 * Returns the TransactionManager (its `stats` count waits, wounds and aborts).
 */
export function isolateTransactions(server, { leaseMs = DEFAULT_LEASE_MS, clock, feed }) {
  const state = server.state;
  const versionOf = (name) => {
    const doc = state.getDocument(name);
    return doc.metadata.hasExist ? doc.metadata.updatedAt.getTime() : 0;
  };
  const manager = new TransactionManager({ versionOf, leaseMs });

  const handlers = server.server.handlers;
  if (!(handlers instanceof Map))
    throw new Error("in-process Firestore: @grpc/grpc-js has no handler map to patch (version changed?)");
  const replace = (method, make) => {
    const handler = handlers.get(SERVICE + method);
    if (!handler) throw new Error(`in-process Firestore: no ${method} handler to patch`);
    handler.func = make(handler.func);
  };

  /** A streaming read in a read-write transaction: lock what it reads, remember versions, then let the package answer. */
  const transactionalRead = (lockTargets) => (original) => (call) => {
    let begun = null;
    let done = false;
    call.on?.("cancelled", () => {
      if (!done && begun && begun.tx !== "read-only")
        manager.fail(begun.tx, "its first read was cancelled", "cancelled");
    });
    void (async () => {
      try {
        begun = transactionOf(manager, call.request);
        const { id, tx } = begun;
        if (tx && tx !== "read-only") {
          // Lock until a pass finds nothing new to lock (a query's result can change while it waits).
          for (;;) {
            const targets = lockTargets(call.request);
            const unlocked = targets.filter((name) => !tx.locks.has(name));
            if (unlocked.length === 0) {
              manager.recordReads(tx, targets);
              break;
            }
            await manager.lockAll(tx, unlocked);
          }
        }
        done = true;
        // Same tick as the last pass: the package reads exactly what was locked and recorded.
        original(withTransactionId(call, id));
      } catch (err) {
        done = true;
        failStream(call, err);
      }
    })();
  };

  const queryTargets = (parent, query) => state.v1Query(parent, query).map((doc) => doc.getPath());
  replace(
    "BatchGetDocuments",
    transactionalRead((request) => request.documents),
  );
  replace(
    "RunQuery",
    transactionalRead((request) => queryTargets(request.parent, request.structured_query)),
  );
  replace(
    "RunAggregationQuery",
    transactionalRead((request) => queryTargets(request.parent, request.structured_aggregation_query.structured_query)),
  );

  replace("BeginTransaction", (original) => (call, callback) => {
    const { id } = manager.begin(call.request.has_options ? call.request.options : null);
    original(call, (err, response) => {
      if (err) return callback(err, null);
      response.transaction = id;
      callback(null, response);
    });
  });

  replace("Rollback", (original) => (call, callback) => {
    manager.rollback(call.request.transaction);
    original(call, callback);
  });

  replace("Commit", () => (call, callback) => {
    const { transaction, writes } = call.request;
    let tx = null;
    let done = false;
    call.on?.("cancelled", () => {
      if (!done && tx && tx !== "read-only") manager.fail(tx, "its commit was cancelled", "cancelled");
    });
    void (async () => {
      try {
        if (transaction?.length) tx = manager.resolve(transaction);
        if (tx === "read-only" && writes.length > 0)
          throw new RpcError(Status.INVALID_ARGUMENT, "Cannot modify entities in a read-only transaction.");
        if (tx && tx !== "read-only") {
          await manager.lockAll(tx, writes.map(writeTarget));
          manager.validate(tx);
        }
        const response = commitWrites(state, writes, { clock, feed });
        if (tx && tx !== "read-only") manager.commit(tx);
        done = true;
        callback(null, response);
      } catch (err) {
        done = true;
        if (tx && tx !== "read-only") manager.fail(tx, `its commit failed: ${err?.message ?? err}`);
        callback(toRpcError(err), null);
      }
    })();
  });

  return manager;
}
