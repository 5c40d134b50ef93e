/**
 * The in-process Firestore (`@firestore-emulator/server`), with one fidelity fix: the
 * package's set() without an update mask merges the new top-level fields into the stored
 * ones, where Firestore replaces the whole document. Every user of the server (npm start,
 * tests, bench) gets it from here so they all see Firestore's semantics.
 */
import { FirestoreServer, FirestoreStateDocument } from "@firestore-emulator/server";

const packageSet = FirestoreStateDocument.prototype.set;
if (!packageSet.__replacesDocument) {
  const replacingSet = function (...args) {
    const updateMask = args[2];
    if (!updateMask || updateMask.length === 0) this.fields = {};
    return packageSet.apply(this, args);
  };
  replacingSet.__replacesDocument = true;
  FirestoreStateDocument.prototype.set = replacingSet;
}

export { FirestoreServer };
