/**
 * The portfolio report's monthly snapshots: `reports/{yyyy-mm}`, one document per closed month,
 * written by the monthly job (services/reports.ts) and read back by getPortfolioReport for its
 * trends (the last 12), so trends never rescan anything.
 */
import { type DocumentData, type Transaction } from "firebase-admin/firestore";
import { storedSnapshotSchema, type StoredSnapshot } from "../schemas/reports.js";
import { fromStored, toStored } from "./convert.js";
import { firestore } from "./firebase.js";
import { COLLECTIONS, paths } from "./paths.js";

export const reportRefs = {
  snapshot: (period: string) => firestore().doc(paths.report(period)),
};

/** A stored snapshot, or null when the document is missing or does not parse (never used then). */
export function snapshotFromStored(data: DocumentData | undefined): StoredSnapshot | null {
  if (!data) return null;
  const parsed = storedSnapshotSchema.safeParse(fromStored(data));
  return parsed.success ? parsed.data : null;
}

export function snapshotToStored(s: StoredSnapshot): DocumentData {
  return toStored(s) as DocumentData;
}

/**
 * The newest snapshots up to and including `upTo` (a month), newest first, at most `limit`.
 * Documents that do not parse are counted in `invalid` and left out.
 */
export async function readSnapshots(
  upTo: string,
  limit: number,
): Promise<{ snapshots: StoredSnapshot[]; invalid: number }> {
  const snap = await firestore()
    .collection(COLLECTIONS.reports)
    .where("period", "<=", upTo)
    .orderBy("period", "desc")
    .limit(limit)
    .get();
  const snapshots: StoredSnapshot[] = [];
  let invalid = 0;
  for (const d of snap.docs) {
    const s = snapshotFromStored(d.data());
    if (s && s.period === d.id) snapshots.push(s);
    else invalid++;
  }
  return { snapshots, invalid };
}

export async function readSnapshotIn(tx: Transaction, period: string): Promise<StoredSnapshot | null> {
  return snapshotFromStored((await tx.get(reportRefs.snapshot(period))).data());
}
