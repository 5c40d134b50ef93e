import { describe, expect, it } from "vitest";
import { isStaleWrite, pool } from "../../functions/src/services/jobKit.js";

const tick = () => new Promise<void>((r) => setTimeout(r, 0));

describe("pool (the batch jobs' bounded concurrency)", () => {
  it("works every item once, never more than `concurrency` at a time", async () => {
    let inFlight = 0;
    let most = 0;
    const seen: number[] = [];
    const stopped = await pool([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await tick();
      seen.push(n);
      inFlight--;
    });
    expect(stopped).toBe(false);
    expect(seen.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(most).toBe(3);
  });

  it("starts no more items once stop() says so, and reports it", async () => {
    const seen: number[] = [];
    const stopped = await pool(
      [1, 2, 3, 4, 5],
      1,
      async (n) => void seen.push(n),
      () => seen.length >= 2,
    );
    expect(stopped).toBe(true);
    expect(seen).toEqual([1, 2]);
  });

  it("after a failure starts nothing new, lets the items in flight finish, then throws the first failure", async () => {
    const done: number[] = [];
    const run = pool([1, 2, 3, 4, 5, 6], 2, async (n) => {
      await tick();
      if (n === 1) throw new Error("boom 1");
      await tick();
      done.push(n);
    });
    await expect(run).rejects.toThrow("boom 1");
    expect(done).toEqual([2]);
  });

  it("works with no items", async () => {
    expect(await pool([], 4, async () => undefined)).toBe(false);
  });
});

describe("isStaleWrite", () => {
  it("is a stale snapshot (gRPC 9 / failed-precondition) or a create that found the document (6 / already-exists), nothing else", () => {
    for (const code of [9, 6, "failed-precondition", "already-exists"]) expect(isStaleWrite({ code })).toBe(true);
    for (const err of [{ code: 10 }, { code: "aborted" }, new Error("x"), null, undefined])
      expect(isStaleWrite(err)).toBe(false);
  });
});
