/**
 * What keeps the work queues of the daily monitoring and the monthly reassessment sharded and
 * current (domain/workQueue.ts):
 *
 *  - `ensureShards`: heads written before shards existed get their `shard` (one pass over the
 *    customers, once; `config/workQueues.shardsAssignedAt` records that it finished, and later
 *    runs cost one read). Every head created since carries it from the start, and a service
 *    write of a head without one adds it (data/customers.ts).
 *  - `pullShard`: a policy edit changes what the monitor would decide about anyone, so the next
 *    daily run visits every customer once: each shard's task first pulls its customers'
 *    `nextAgingAt` to the run (one read and one write each), then monitors them as due.
 *    `config/workQueues.monitorPolicy` holds the stamp of the policy the queue was computed with.
 */
import { createHash } from "node:crypto";
import { Timestamp } from "firebase-admin/firestore";
import { customerRefs } from "../data/customers.js";
import { firestore } from "../data/firebase.js";
import { COLLECTIONS, paths } from "../data/paths.js";
import { marked } from "../data/serviceWrites.js";
import { shardOf } from "../domain/workQueue.js";
import type { CreditPolicy } from "../schemas/policy.js";
import { logs } from "../logs.js";

const stateRef = () => firestore().doc(paths.workQueues());

export interface WorkQueueState {
  shardsAssignedAt: number | null;
  /** Stamp of the policy the monitoring queue's due dates were computed with (null: none recorded yet). */
  monitorPolicy: string | null;
}

export async function readWorkQueueState(): Promise<WorkQueueState> {
  const d = (await stateRef().get()).data();
  return {
    shardsAssignedAt: d?.shardsAssignedAt instanceof Timestamp ? d.shardsAssignedAt.toMillis() : null,
    monitorPolicy: typeof d?.monitorPolicy === "string" ? d.monitorPolicy : null,
  };
}

export async function recordMonitorPolicy(stamp: string): Promise<void> {
  await stateRef().set({ monitorPolicy: stamp }, { merge: true });
}

/** A short, stable stamp of a policy's content (what the monitor's decisions depend on). */
export function policyStamp(policy: CreditPolicy): string {
  return createHash("sha256").update(JSON.stringify(policy)).digest("hex").slice(0, 16);
}

/**
 * Give every head without a shard its shard (batched writes, the service's mark on each). Stops
 * at `deadline` (the next call goes on); `done` once a pass has found none left.
 */
export async function ensureShards(
  now: number,
  deadline: number,
  clock: () => number = Date.now,
): Promise<{ done: boolean; assigned: number }> {
  const state = await readWorkQueueState();
  if (state.shardsAssignedAt !== null) return { done: true, assigned: 0 };
  const db = firestore();
  let assigned = 0;
  let batch = db.batch();
  let inBatch = 0;
  for await (const snap of db
    .collection(COLLECTIONS.customers)
    .stream() as AsyncIterable<FirebaseFirestore.QueryDocumentSnapshot>) {
    if (typeof snap.get("shard") === "number") continue;
    const ref = customerRefs.customer(snap.id);
    batch.update(ref, marked(ref, { shard: shardOf(snap.id) }));
    assigned++;
    if (++inBatch === 400) {
      await batch.commit();
      batch = db.batch();
      inBatch = 0;
      if (clock() >= deadline) {
        logs.jobProgress("assignShards", assigned, true);
        return { done: false, assigned };
      }
    }
  }
  if (inBatch > 0) await batch.commit();
  await stateRef().set({ shardsAssignedAt: Timestamp.fromMillis(now) }, { merge: true });
  logs.jobProgress("assignShards", assigned, false);
  return { done: true, assigned };
}

/**
 * Make every customer of a shard due at `asOf` (a policy edit: each is visited once by this run).
 * Each page's customers leave the query (their nextAgingAt becomes asOf), so no cursor is needed.
 */
export async function pullShard(
  shard: number,
  asOf: number,
  deadline: number,
  clock: () => number = Date.now,
): Promise<{ done: boolean; pulled: number }> {
  const db = firestore();
  let pulled = 0;
  for (;;) {
    const page = await db
      .collection(COLLECTIONS.customers)
      .where("shard", "==", shard)
      .where("nextAgingAt", ">", Timestamp.fromMillis(asOf))
      .orderBy("nextAgingAt")
      .limit(400)
      .get();
    if (page.empty) return { done: true, pulled };
    const batch = db.batch();
    for (const d of page.docs) batch.update(d.ref, marked(d.ref, { nextAgingAt: Timestamp.fromMillis(asOf) }));
    await batch.commit();
    pulled += page.size;
    if (page.size < 400) return { done: true, pulled };
    if (clock() >= deadline) return { done: false, pulled };
  }
}
