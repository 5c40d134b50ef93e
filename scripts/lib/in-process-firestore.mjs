/**
 * The in-process Firestore (`@firestore-emulator/server`), with fixes. Every user of the
 * server (npm start, tests, bench) gets it from here.
 *  1. Fidelity: the package's set() without an update mask merges the new top-level fields
 *     into the stored ones, where Firestore replaces the whole document.
 *  2. Cost: looking up a document the collection does not hold yet (a new document, or a
 *     read of a missing one) copied the collection's whole document map through immer —
 *     O(collection size) per new document, which made a fixed-size transaction twice as slow
 *     beside 10,000 documents as beside 10. Cloud Firestore has no such cost; the benchmark
 *     should measure our design, not this.
 *  3. Isolation (scripts/lib/firestore-transactions.mjs): serializable read-write
 *     transactions — real ids, per-document locks with wound-wait, commit-time validation —
 *     and atomic commits that enforce `update_time` preconditions
 *     (scripts/lib/firestore-commits.mjs). The package alone loses concurrent updates.
 *  4. A feed of committed changes, one per written document (`server.onCommit`), which
 *     trigger delivery listens to.
 *
 * `new FirestoreServer({ isolation: false })`, or CREDIT_DESK_FIRESTORE_ISOLATION=off in the
 * environment, leaves the package's transaction handling as it is (fixes 1, 2 and 4 stay):
 * the way to show that a concurrency test fails on the unpatched engine.
 */
import {
  FirestoreServer as PackageFirestoreServer,
  FirestoreStateCollection,
  FirestoreStateDocument,
} from "@firestore-emulator/server";
import { CommitClock, CommitFeed } from "./firestore-commits.mjs";
import { DEFAULT_LEASE_MS, isolateTransactions } from "./firestore-transactions.mjs";

// The package's internals, patched below: typed `any` on purpose (they are not its API).
const collectionPrototype = /** @type {any} */ (FirestoreStateCollection.prototype);
const documentPrototype = /** @type {any} */ (FirestoreStateDocument.prototype);

if (!collectionPrototype.getDocument.__inPlace) {
  /** @this {any} a FirestoreStateCollection @param {string} documentName */
  const inPlaceGetDocument = function (documentName) {
    const existing = Object.hasOwn(this.documents, documentName) ? this.documents[documentName] : undefined;
    if (existing) return existing;
    // immer froze the map it produced: copy it once, then add documents in place.
    if (Object.isFrozen(this.documents)) this.documents = { ...this.documents };
    const document = new FirestoreStateDocument(this.emitter, this.database, this, documentName, {}, {});
    this.documents[documentName] = document;
    return document;
  };
  inPlaceGetDocument.__inPlace = true;
  collectionPrototype.getDocument = inPlaceGetDocument;
}

const packageSet = documentPrototype.set;
if (!packageSet.__replacesDocument) {
  /** @this {any} a FirestoreStateDocument @param {any[]} args */
  const replacingSet = function (...args) {
    const updateMask = args[2];
    if (!updateMask || updateMask.length === 0) this.fields = {};
    return packageSet.apply(this, args);
  };
  replacingSet.__replacesDocument = true;
  documentPrototype.set = replacingSet;
}

/**
 * 5. Fidelity: a field named in an update mask but absent from the written data is deleted
 *    (that is how `FieldValue.delete()` travels); the package left such fields in place.
 */
function maskPaths(updateMask) {
  // "a.b" → ["a", "b"]; "`x.y`.z" → ["x.y", "z"]
  return updateMask.map((m) =>
    (m.match(/`[^`]*`|[^.]+/g) ?? []).map((seg) => (seg.startsWith("`") ? seg.slice(1, -1) : seg)),
  );
}
function hasPath(fields, path) {
  let cur = fields;
  for (let i = 0; i < path.length; i++) {
    const f = cur?.[path[i]];
    if (f === undefined) return false;
    if (i === path.length - 1) return true;
    if (f.type !== "map_value") return false;
    cur = f.value;
  }
  return false;
}
function withoutPath(fields, path) {
  const [head, ...rest] = path;
  if (!Object.hasOwn(fields, head)) return fields;
  const copy = { ...fields };
  if (rest.length === 0) {
    delete copy[head];
    return copy;
  }
  const f = copy[head];
  if (f?.type !== "map_value") return fields;
  copy[head] = new f.constructor(withoutPath(f.value, rest));
  return copy;
}
for (const method of ["set", "update"]) {
  const original = FirestoreStateDocument.prototype[method];
  if (original.__deletesMaskedFields) continue;
  const patched = function (date, fields, updateMask = []) {
    const result = original.call(this, date, fields, updateMask);
    if (updateMask.length > 0) {
      let next = this.fields;
      for (const path of maskPaths(updateMask)) if (!hasPath(fields, path)) next = withoutPath(next, path);
      this.fields = next;
    }
    return result;
  };
  patched.__deletesMaskedFields = true;
  FirestoreStateDocument.prototype[method] = patched;
}

/** Whether servers isolate transactions unless told otherwise (CREDIT_DESK_FIRESTORE_ISOLATION=off turns it off). */
export function isolationByDefault() {
  return (process.env.CREDIT_DESK_FIRESTORE_ISOLATION ?? "on").toLowerCase() !== "off";
}

const COMMIT = "/google.firestore.v1.Firestore/Commit";

export class FirestoreServer extends PackageFirestoreServer {
  /**
   * @param {{ isolation?: boolean, leaseMs?: number }} [options]
   */
  constructor({ isolation = isolationByDefault(), leaseMs = DEFAULT_LEASE_MS } = {}) {
    super();
    this.isolation = isolation;
    this.commitFeed = new CommitFeed();
    this.transactions = null;
    if (isolation) {
      const transactions = isolateTransactions(this, { leaseMs, clock: new CommitClock(), feed: this.commitFeed });
      this.transactions = transactions;
      const clear = this.state.clear.bind(this.state);
      this.state.clear = () => {
        transactions.abortAll("the database was cleared");
        clear();
      };
    } else {
      this.#observePackageCommits();
    }
  }

  /** Listen to committed changes (see CommitFeed in firestore-commits.mjs); returns an unsubscribe function. */
  onCommit(listener) {
    return this.commitFeed.subscribe(listener);
  }

  /** @override */
  stop() {
    this.transactions?.abortAll("the server stopped");
    super.stop();
  }

  /** Without isolation the package's Commit applies the writes synchronously: report around it. */
  #observePackageCommits() {
    const handler = /** @type {any} the package's private gRPC server */ (this).server.handlers.get(COMMIT);
    const commit = handler.func;
    const { state, commitFeed } = this;
    handler.func = (call, callback) => {
      const names = call.request.writes.map((w) => (w.has_delete ? w.delete : w.update.name));
      const before = commitFeed.before(state, names);
      commit(call, (err, response) => {
        if (!err) {
          const t = response.commit_time;
          commitFeed.publish(state, new Date(Number(t.seconds) * 1000 + Math.floor(Number(t.nanos) / 1e6)), before);
        }
        callback(err, response);
      });
    };
  }
}
