/**
 * Commits of the in-process Firestore, made like Cloud Firestore makes them, and a feed of
 * what each commit changed (trigger delivery listens to it: scripts/lib/trigger-delivery.mjs).
 *
 * The package's Commit applies writes one by one (a failed `create` or `exists` precondition
 * leaves the earlier writes of the same commit applied), ignores `update_time` preconditions
 * (the Admin SDK's `lastUpdateTime`), and stamps documents with a millisecond clock that two
 * commits can share. commitWrites() instead:
 *   - checks every precondition of the commit (exists / update_time, in write order, seeing
 *     the effect of earlier writes in the same commit) before applying anything;
 *   - gives each commit its own time, strictly after the previous commit's, so a document's
 *     update time identifies its version (transactions validate their reads with it);
 *   - applies the writes, and puts the documents back as they were if a write still fails;
 *   - reports the change of each written document once, after the commit (CommitFeed).
 */
import { createRequire } from "node:module";
import { TimestampFromDate } from "@firestore-emulator/server";

const requireFromServer = createRequire(createRequire(import.meta.url).resolve("@firestore-emulator/server"));
const { CommitResponse } = requireFromServer("@firestore-emulator/proto/dist/google/firestore/v1/firestore");

export const Status = {
  OK: 0,
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  INTERNAL: 13,
};

/** An error gRPC sends as a status (serverErrorToStatus reads code and details). */
export class RpcError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
    this.details = message;
  }
}

/** The error a handler answers with: ours and the package's (FirestoreEmulatorError) keep their code. */
export function toRpcError(err) {
  if (err instanceof RpcError) return err;
  if (err && typeof err.code === "number") return new RpcError(err.code, err.message);
  return new RpcError(Status.INTERNAL, `in-process Firestore: ${err?.message ?? String(err)}`);
}

/** The document name a write targets. */
export const writeTarget = (write) => (write.has_delete ? write.delete : write.update.name);

const millisOf = (timestamp) => Number(timestamp.seconds) * 1000 + Math.floor(Number(timestamp.nanos) / 1e6);

/**
 * An immutable view of a stored document: the package replaces `fields` and `metadata` on every
 * write (immer), so keeping the references is a snapshot.
 */
function snapshotOf(name, doc) {
  if (!doc.metadata.hasExist) return null;
  return { name, fields: doc.fields, createTime: doc.metadata.createdAt, updateTime: doc.metadata.updatedAt };
}

/**
 * Listeners for committed changes: `{ commitTime: Date, changes: [{ name, before, after }] }`
 * with one change per written document (before/after: null when the document did not / does
 * not exist; otherwise `{ name, fields, createTime, updateTime }`, fields as the package's
 * typed field objects). Listeners run synchronously after the commit, in commit order;
 * they must not throw (an error is logged, the commit stands).
 */
export class CommitFeed {
  #listeners = new Set();

  get active() {
    return this.#listeners.size > 0;
  }

  subscribe(listener) {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The documents about to be written, as they are now (only when someone listens). */
  before(state, names) {
    if (!this.active) return null;
    const out = new Map();
    for (const name of names) if (!out.has(name)) out.set(name, snapshotOf(name, state.getDocument(name)));
    return out;
  }

  /** Report the commit: each document of `before` as it is now. */
  publish(state, commitTime, before) {
    if (!before || !this.active) return;
    const changes = [...before].map(([name, was]) => ({
      name,
      before: was,
      after: snapshotOf(name, state.getDocument(name)),
    }));
    const event = { commitTime, changes };
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (err) {
        console.error("in-process Firestore: a commit listener failed:", err);
      }
    }
  }
}

export class CommitClock {
  #last = 0;
  /** The time of the next commit: now, or 1 ms after the previous commit if that is later. */
  next() {
    this.#last = Math.max(Date.now(), this.#last + 1);
    return new Date(this.#last);
  }
}

function checkPreconditions(state, writes, date) {
  const seen = new Map(); // name → { exists, updateMs } after the earlier writes of this commit
  for (const write of writes) {
    const name = writeTarget(write);
    let current = seen.get(name);
    if (!current) {
      const doc = state.getDocument(name);
      current = {
        exists: doc.metadata.hasExist,
        updateMs: doc.metadata.hasExist ? doc.metadata.updatedAt.getTime() : null,
      };
    }
    if (write.has_current_document) {
      const pre = write.current_document;
      if (pre.has_exists && pre.exists && !current.exists)
        throw new RpcError(Status.NOT_FOUND, `No document to update: ${name}`);
      if (pre.has_exists && !pre.exists && current.exists)
        throw new RpcError(Status.ALREADY_EXISTS, `Document already exists: ${name}`);
      if (pre.has_update_time) {
        const required = millisOf(pre.update_time);
        if (!current.exists || current.updateMs !== required) {
          throw new RpcError(
            Status.FAILED_PRECONDITION,
            `the stored version (${current.updateMs === null ? "none" : new Date(current.updateMs).toISOString()}) does not match the required base version (${new Date(required).toISOString()}) of ${name}`,
          );
        }
      }
    }
    seen.set(name, write.has_delete ? { exists: false, updateMs: null } : { exists: true, updateMs: date.getTime() });
  }
}

/**
 * Apply a commit's writes atomically; returns the CommitResponse. Throws RpcError (nothing
 * applied) when a precondition fails.
 */
export function commitWrites(state, writes, { clock, feed }) {
  const date = clock.next();
  checkPreconditions(state, writes, date);
  const names = writes.map(writeTarget);
  const before = feed.before(state, names);
  // For putting documents back should a write fail half-way (e.g. an increment of a string).
  const saved = [...new Set(names)].map((name) => {
    const doc = state.getDocument(name);
    return { doc, fields: doc.fields, metadata: doc.metadata };
  });
  let results;
  try {
    results = writes.map((write) => state.writeV1Document(date, write));
  } catch (err) {
    for (const { doc, fields, metadata } of saved) {
      doc.fields = fields;
      doc.metadata = metadata;
    }
    throw err;
  }
  feed.publish(state, date, before);
  return CommitResponse.fromObject({
    commit_time: TimestampFromDate(date),
    write_results: results.map((result) => result.toObject()),
  });
}
