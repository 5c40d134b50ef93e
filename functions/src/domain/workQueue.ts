/**
 * Work-queue shards. Every customer head carries `shard` (0 … WORK_QUEUE_SHARDS − 1), a hash of
 * its id: each concurrent batch of the daily monitoring and of the monthly reassessment takes
 * the due customers of its own shard, so no two batches ever reach for the same customer (no
 * wasted transaction, no failed precondition). 64 shards allow up to 64 batches at once;
 * Cloud Tasks' `maxConcurrentDispatches` (6) decides how many run. Pure.
 */
export const WORK_QUEUE_SHARDS = 64;

/** The shard of a customer id: FNV-1a (32-bit) of its UTF-16 code units, modulo the shard count. */
export function shardOf(customerId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < customerId.length; i++) {
    h ^= customerId.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % WORK_QUEUE_SHARDS;
}

/** Every shard, in order. */
export const ALL_SHARDS: readonly number[] = Array.from({ length: WORK_QUEUE_SHARDS }, (_, i) => i);

/** "YYYYMMDD" (UTC) of an instant: the daily tasks' names. */
export function dayKey(asOf: number): string {
  return new Date(asOf).toISOString().slice(0, 10).replace(/-/g, "");
}
