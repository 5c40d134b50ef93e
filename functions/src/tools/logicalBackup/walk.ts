/** Walking the credit data's tree (DATA_TREE): every document once, without listing collections or cursors. */
import { Firestore, type DocumentData } from "firebase-admin/firestore";
import { type TaggedMap } from "../../domain/backup.js";
import { COLLECTIONS, DATA_TREE, auditChainId } from "../../data/paths.js";
import { pool } from "../../services/jobKit.js";
import { MAX_BATCH, Progress, assertBigInt, encodeDocument } from "./codec.js";

// ---------------------------------------------------------------------------------------
// Walking the data tree

/**
 * Parent ids of subcollections that cannot be found from the parent collection's own
 * documents: audit chain heads live in the subject's document (customers/{id},
 * applications/{id}), so audit/customer_{id} usually does not exist while its entries do.
 * listDocuments() (production, official emulator) also finds such parents; the
 * in-process server lacks it, hence these.
 */
const DERIVED_PARENTS: Record<string, (ids: ReadonlyMap<string, readonly string[]>) => string[]> = {
  [COLLECTIONS.audit]: (ids) => [
    auditChainId.system(),
    ...(ids.get(COLLECTIONS.customers) ?? []).map(auditChainId.customer),
    ...(ids.get(COLLECTIONS.applications) ?? []).map(auditChainId.application),
  ],
};
const ID_SOURCES = new Set<string>([COLLECTIONS.customers, COLLECTIONS.applications]);

type Visit = (pattern: string, path: string, data: DocumentData) => void | Promise<void>;

const listDocumentsServed = new WeakMap<Firestore, boolean>();

async function listDocumentIds(db: Firestore, collection: string): Promise<string[] | null> {
  if (listDocumentsServed.get(db) === false) return null;
  try {
    const ids = (await db.collection(collection).listDocuments()).map((r) => r.id);
    listDocumentsServed.set(db, true);
    return ids;
  } catch (err) {
    if (listDocumentsServed.get(db)) throw err; // it worked before: a real failure
    listDocumentsServed.set(db, false); // not served (in-process Firestore): DERIVED_PARENTS cover what we know of
    return null;
  }
}

export interface WalkResult {
  /** Whether listDocuments() was available to find parents without a document. */
  listDocuments: boolean;
}

/** Visits every document of the data tree: top-level collections whole, then subcollections per parent. */
export async function walkTree(db: Firestore, visit: Visit, concurrency = 16): Promise<WalkResult> {
  const ids = new Map<string, string[]>();
  for (const node of DATA_TREE) {
    const keep = (node.subcollections?.length ?? 0) > 0 || ID_SOURCES.has(node.collection);
    const found: string[] = [];
    for await (const snap of db
      .collection(node.collection)
      .stream() as AsyncIterable<FirebaseFirestore.QueryDocumentSnapshot>) {
      if (keep) found.push(snap.id);
      await visit(node.collection, snap.ref.path, snap.data());
    }
    if (keep) ids.set(node.collection, found);
  }
  let listed = true;
  for (const node of DATA_TREE) {
    if (!node.subcollections?.length) continue;
    const parents = new Set(ids.get(node.collection) ?? []);
    const fromList = await listDocumentIds(db, node.collection);
    if (fromList) fromList.forEach((id) => parents.add(id));
    else listed = false;
    for (const id of DERIVED_PARENTS[node.collection]?.(ids) ?? []) parents.add(id);
    const work = [...parents].sort().flatMap((parent) => node.subcollections!.map((sub) => ({ parent, sub })));
    await pool(work, concurrency, async ({ parent, sub }) => {
      const snap = await db.collection(`${node.collection}/${parent}/${sub}`).get();
      for (const d of snap.docs) await visit(`${node.collection}/*/${sub}`, d.ref.path, d.data());
    });
  }
  return { listDocuments: listed };
}

/** Every document of the data tree, path → tagged data (for drills and tests; holds everything in memory). */
export async function dumpDatabase(db: Firestore): Promise<Map<string, TaggedMap>> {
  assertBigInt(db);
  const out = new Map<string, TaggedMap>();
  await walkTree(db, (_p, path, data) => {
    out.set(path, encodeDocument(data));
  });
  return new Map([...out.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
}

/** True when no top-level collection of the data tree holds a document. */
export async function isDatabaseEmpty(db: Firestore): Promise<boolean> {
  for (const node of DATA_TREE) {
    if (!(await db.collection(node.collection).limit(1).get()).empty) return false;
  }
  return true;
}

/** Deletes every document the walk finds (emulators and drills; batches of 500). Returns how many. */
export async function wipeDatabase(db: Firestore, onProgress?: (p: Progress) => void): Promise<number> {
  const paths: string[] = [];
  await walkTree(db, (_p, path) => {
    paths.push(path);
  });
  for (let i = 0; i < paths.length; i += MAX_BATCH) {
    const batch = db.batch();
    for (const p of paths.slice(i, i + MAX_BATCH)) batch.delete(db.doc(p));
    await batch.commit();
    onProgress?.({ phase: "wipe", documents: Math.min(i + MAX_BATCH, paths.length) });
  }
  return paths.length;
}
