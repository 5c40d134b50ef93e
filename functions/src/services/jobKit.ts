/**
 * What the batch jobs share (monitoring, reassessment, simulation, transactions, audit seal,
 * backup): handing a task to a queue, working through a page with bounded concurrency, and
 * telling a commit refused for a stale snapshot from a real failure.
 */

/** Hands a payload to a Cloud Tasks queue; "exists" when a task with that id was already enqueued. `scheduleAt`: not before then (ms). */
export type Enqueue<T> = (payload: T, opts?: { id?: string; scheduleAt?: number }) => Promise<"enqueued" | "exists">;

/** A commit refused because the snapshot it relied on is stale, or a `create` found the document. */
export function isStaleWrite(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === 9 || code === 6 || code === "failed-precondition" || code === "already-exists";
}

/**
 * Run `work` over `items` with at most `concurrency` at once. Before each item `stop()` (when
 * given) may say to start no more: the result is then true ("stopped"). When a `work` fails no
 * new item starts; the ones in flight finish, then the first failure is thrown.
 */
export async function pool<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
  stop?: () => boolean,
): Promise<boolean> {
  let next = 0;
  let stopped = false;
  let failed: { err: unknown } | null = null;
  const lane = async () => {
    while (failed === null && next < items.length) {
      if (stop?.()) {
        stopped = true;
        return;
      }
      const item = items[next++]!;
      try {
        await work(item);
      } catch (err) {
        failed ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, lane));
  if (failed !== null) throw (failed as { err: unknown }).err;
  return stopped;
}
