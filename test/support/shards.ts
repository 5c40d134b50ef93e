/** Customer ids that fall in a chosen work-queue shard (domain/workQueue.ts), for tests of one shard's pass. */
import { shardOf } from "../../functions/src/domain/workQueue.js";

export function idsInShard(shard: number, n: number, prefix = "c"): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < n; i++) {
    const id = `${prefix}${String(i).padStart(4, "0")}`;
    if (shardOf(id) === shard) out.push(id);
  }
  return out;
}
