/**
 * A credit file as tests see it: its head (customers/{id}) and its confidential creditState
 * (customers/{id}/private/creditState) merged, as the services read them; and writes that put
 * each field where the services keep it (data/customers.ts, HEAD_FIELDS).
 */
import { getFirestore, type DocumentData, type WriteBatch } from "firebase-admin/firestore";
import { splitPatch } from "../../functions/src/data/customers.js";
import { shardOf } from "../../functions/src/domain/workQueue.js";

const db = () => getFirestore();
const headRef = (id: string) => db().doc(`customers/${id}`);
const stateRef = (id: string) => db().doc(`customers/${id}/private/creditState`);

/** Both documents' stored fields, merged (undefined fields of a missing state document are absent). */
export async function creditFile(id: string): Promise<DocumentData> {
  const [head, state] = await db().getAll(headRef(id), stateRef(id));
  if (!head!.exists) throw new Error(`customer ${id} does not exist`);
  return { ...(state!.data() ?? {}), ...head!.data() };
}

/** Update fields of a credit file wherever they live; "a.b" paths go by their top-level field. */
export async function updateCreditFile(id: string, patch: Record<string, unknown>): Promise<void> {
  const byTop: Record<string, unknown> = {};
  for (const k of Object.keys(patch)) byTop[k.split(".")[0]!] = true;
  const { head: headKeys } = splitPatch(byTop);
  const head: Record<string, unknown> = {};
  const state: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(patch)) (k.split(".")[0]! in headKeys ? head : state)[k] = v;
  if (Object.keys(head).length) await headRef(id).update(head);
  if (Object.keys(state).length) await stateRef(id).update(state);
}

/** Copy a credit file's two documents under new ids (a portfolio from one real file), with head changes; each copy in its own id's shard. */
export async function cloneCreditFile(
  fromId: string,
  copies: Array<{ id: string; head?: Record<string, unknown> }>,
  batch?: WriteBatch,
): Promise<void> {
  const [head, state] = await db().getAll(headRef(fromId), stateRef(fromId));
  const template = { ...head!.data() };
  delete template.auditHead;
  const b = batch ?? db().batch();
  for (const c of copies) {
    b.set(headRef(c.id), { ...template, shard: shardOf(c.id), ...(c.head ?? {}) });
    b.set(stateRef(c.id), state!.data() ?? {});
  }
  if (!batch) await b.commit();
}
