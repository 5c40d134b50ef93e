/** The FX table documents: config/fxRates (an admin's) and config/fxRatesLastGood (the last valid one). */
import { Timestamp, type DocumentData } from "firebase-admin/firestore";
import { firestore } from "./firebase.js";
import { paths } from "./paths.js";

/** A stored document as plain data for validation (timestamps as Dates). */
export function fxDocFromStored(data: DocumentData | undefined): Record<string, unknown> | undefined {
  if (!data) return undefined;
  const out: Record<string, unknown> = { ...data };
  if (out.asOf instanceof Timestamp) out.asOf = out.asOf.toDate();
  return out;
}

export const fxRefs = {
  table: () => firestore().doc(paths.fxRates()),
  lastGood: () => firestore().doc(paths.fxRatesLastGood()),
};

export interface StoredFxTable {
  doc: Record<string, unknown> | undefined;
  updateTime: number | null;
}

export async function readFxTableDocument(): Promise<StoredFxTable> {
  const snap = await fxRefs.table().get();
  return { doc: fxDocFromStored(snap.data()), updateTime: snap.updateTime ? snap.updateTime.toMillis() : null };
}

export async function readLastGoodFxTable(): Promise<{
  doc: Record<string, unknown> | undefined;
  updateTime: number | null;
}> {
  const d = (await fxRefs.lastGood().get()).data();
  return {
    doc: fxDocFromStored(d?.table as DocumentData | undefined),
    updateTime: typeof d?.updateTime === "number" ? d.updateTime : null,
  };
}

export async function writeLastGoodFxTable(doc: DocumentData, updateTime: number | null): Promise<void> {
  await fxRefs.lastGood().set({ table: doc, updateTime, savedAt: Timestamp.now() });
}
