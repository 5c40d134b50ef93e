/**
 * simulatePolicy: a candidate policy over the portfolio beside the policy in force, writing
 * nothing to the credit files; invalid candidates refused naming the path; a large portfolio as
 * a task-queue job whose parts are idempotent and whose answer is the direct one.
 */
import { firestore } from "../../functions/src/data/firebase.js";
import { beforeEach, describe, expect, it } from "vitest";
import * as fns from "../../functions/src/index.js";
import { DEFAULT_POLICY } from "../../functions/src/domain/policy.js";
import { clearPolicyCache } from "../../functions/src/services/policy.js";
import {
  runSimulationPart,
  simulatePolicy,
  simulationTaskId,
  type SimulationTask,
} from "../../functions/src/services/simulation.js";
import { simulatePolicyOutput } from "../../functions/src/schemas/outputs.js";
import { call, callError, databaseSnapshot, firestoreServer, users } from "../support/callables.js";
import { seedDemoInProcess } from "../support/demo-portfolio.js";

const db = () => firestore();

/** Grade caps at half (A, C) or a twentieth (B) of the defaults: a stricter policy. */
const STRICTER_CAPS = { limits: { gradeCaps: { A: 50_000_00, B: 25_000_00, C: 10_000_00 } } };

beforeEach(async () => {
  await firestoreServer().clear();
  clearPolicyCache();
});

describe("simulatePolicy on the demo portfolio", () => {
  it("stricter grade caps name the demo customers whose limits would be cut (Fabrikam's trading need binds below its cap either way, Tailspin's D cap is unchanged), and nothing is written", async () => {
    const demo = await seedDemoInProcess();
    const before = databaseSnapshot();
    const r = simulatePolicyOutput.parse(await call(fns.simulatePolicy, { policy: STRICTER_CAPS }, users.manager));
    expect(databaseSnapshot()).toBe(before);
    expect(r).toMatchObject({ mode: "direct", simulationId: null, status: "done", portfolio: 5 });
    const result = r.result!;
    expect(result.changes).toEqual(["limits.gradeCaps.A", "limits.gradeCaps.B", "limits.gradeCaps.C"]);
    expect(result.evaluated).toBe(5);
    const cut = result.customers
      .filter((c) => c.limit.change < 0)
      .map((c) => c.name)
      .sort();
    expect(cut).toEqual(["Adatum Health Pte Ltd", "Contoso Manufacturing GmbH", "Northwind Traders Ltd"]);
    expect(result.customers.map((c) => c.customerId)).not.toContain(demo.get("tailspin")!.customerId);
    expect(result.customers.map((c) => c.customerId)).not.toContain(demo.get("fabrikam")!.customerId);
    expect(result.limits.fall.customers).toBe(3);
    expect(result.limits.rise.customers).toBe(0);
    // the fall in the base currency is the sum of the listed changes, largest first
    expect(result.limits.fall.amount).toBe(-result.customers.reduce((s, c) => s + (c.limit.changeInBase ?? 0), 0));
    const sizes = result.customers.map((c) => Math.abs(c.limit.changeInBase ?? 0));
    expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
    for (const c of result.customers) expect(["cut", "propose_cut"]).toContain(c.limit.action);
    // Contoso's exposure (invoice and order, 57,000.00 EUR) is above the cut limit
    const contoso = result.customers.find((c) => c.customerId === demo.get("contoso")!.customerId)!;
    expect(contoso.overLimit).toBe(true);
    expect(contoso.limit.candidate).toBeLessThan(57_000_00);
    // an admin may ask too; credit staff without the manager's role, auditors and sales may not
    expect((await call(fns.simulatePolicy, { policy: STRICTER_CAPS }, users.admin)).result.limits.fall.customers).toBe(
      3,
    );
    for (const who of [users.analyst, users.auditor, users.sales, users.integration, users.applicant]) {
      expect((await callError(fns.simulatePolicy, { policy: STRICTER_CAPS }, who)).code).toBe("permission-denied");
    }
  });

  it("the policy in force as the candidate changes nothing: a diagonal migration, no limit moves, nobody listed", async () => {
    await seedDemoInProcess();
    for (const policy of [{}, { limits: { gradeCaps: DEFAULT_POLICY.limits.gradeCaps } }]) {
      const { result } = await call(fns.simulatePolicy, { policy }, users.manager);
      expect(result.changes).toEqual([]);
      expect(result.customers).toEqual([]);
      expect(result.limits).toEqual({
        rise: { customers: 0, amount: 0 },
        fall: { customers: 0, amount: 0 },
        unchanged: 5,
      });
      const m = result.migration as Record<string, Record<string, number>>;
      for (const from of Object.keys(m))
        for (const to of Object.keys(m[from]!)) if (from !== to) expect(m[from]![to]).toBe(0);
      expect(result.blockedOrders.orders + result.overLimit.customers + result.onHold.customers).toBe(0);
    }
  });

  it("a tighter order check blocks the demo's orders of the last 30 days; stricter penalties hold Fabrikam (30 days past due)", async () => {
    const demo = await seedDemoInProcess();
    const tight = (
      await call(fns.simulatePolicy, { policy: { orderCheck: { reviewUtilization: 0.05 } } }, users.manager)
    ).result;
    // Northwind's and Contoso's orders (2 and 1 days ago) would have gone to review
    expect(tight.blockedOrders.orders).toBe(2);
    expect(tight.blockedOrders.customers).toBe(2);
    expect(
      tight.customers
        .filter((c: { blockedOrders: { orders: number } }) => c.blockedOrders.orders > 0)
        .map((c: { customerId: string }) => c.customerId)
        .sort(),
    ).toEqual([demo.get("northwind")!.customerId, demo.get("contoso")!.customerId].sort());
    const strict = (
      await call(
        fns.simulatePolicy,
        {
          policy: {
            penalties: { noIncreaseAfterDays: 5, autoHoldAfterDays: 10, suspendAfterDays: 20, cureDaysPastDue: 5 },
          },
        },
        users.manager,
      )
    ).result;
    expect(strict.onHold).toEqual({ customers: 1, suspended: 1 });
    const fabrikam = strict.customers.find(
      (c: { customerId: string }) => c.customerId === demo.get("fabrikam")!.customerId,
    );
    expect(fabrikam.status).toEqual({ current: "active", candidate: "suspended" });
    expect(fabrikam.tier.candidate).toBe("risky");
  });

  it("an invalid candidate is refused naming its path, and nothing is written", async () => {
    await seedDemoInProcess();
    const before = databaseSnapshot();
    const cases: Array<[unknown, string]> = [
      [{ limits: { gradeCaps: { B: -1 } } }, "policy.limits.gradeCaps.B"],
      [{ gradeBands: { A: 10 } }, "policy.gradeBands"],
      [{ penalties: { autoHoldAfterDays: 200 } }, "policy.penalties"],
      [{ fraudWeights: 1 }, "policy"],
      [{ limits: { gradeCap: { B: 1 } } }, "policy.limits.gradeCap"],
      [{ gradeBands: { a: 90 } }, "policy.gradeBands.a"],
      [JSON.parse('{"__proto__": {"limits": {"gradeCaps": {"B": 1}}}}'), "policy.__proto__"],
      [{ baseCurrency: "XXX" }, "policy.baseCurrency"],
    ];
    for (const [policy, path] of cases) {
      const err = await callError(fns.simulatePolicy, { policy }, users.manager);
      expect(err.code, JSON.stringify(policy)).toBe("invalid-argument");
      expect(err.message.startsWith(path), `${err.message} names ${path}`).toBe(true);
    }
    expect((await callError(fns.simulatePolicy, { policy: [] }, users.manager)).code).toBe("invalid-argument");
    expect((await callError(fns.simulatePolicy, { policy: {}, sampleSize: 501 }, users.manager)).message).toContain(
      "sampleSize",
    );
    expect(databaseSnapshot()).toBe(before);
  });

  it("sampleSize evaluates the largest exposures (in the base currency) and says what share of the exposure they hold", async () => {
    const demo = await seedDemoInProcess();
    const { result } = await call(fns.simulatePolicy, { policy: STRICTER_CAPS, sampleSize: 2 }, users.manager);
    expect(result.evaluated).toBe(2);
    expect(result.sample.size).toBe(2);
    expect(result.sample.exposureShare).toBeGreaterThan(0.5);
    expect(result.sample.exposureShare).toBeLessThan(1);
    // Contoso (57,000.00 EUR) and Northwind (24,000.00 GBP) hold the most
    expect(result.customers.map((c: { customerId: string }) => c.customerId).sort()).toEqual(
      [demo.get("contoso")!.customerId, demo.get("northwind")!.customerId].sort(),
    );
  });
});

describe("a large portfolio runs as a job (simulations/{id})", () => {
  it("parts page through the customers, a redelivered or stale part changes nothing, and the answer is the direct one", async () => {
    await seedDemoInProcess();
    const now = Date.now();
    const direct = (await call(fns.simulatePolicy, { policy: STRICTER_CAPS }, users.manager)).result;
    await db()
      .doc("config/creditPolicy")
      .set({ simulation: { directMaxCustomers: 3 } });
    clearPolicyCache();
    const queue: Array<{ task: SimulationTask; id: string | undefined }> = [];
    const enqueue = async (task: SimulationTask, opts?: { id?: string }) => {
      if (queue.some((q) => q.id === opts?.id)) return "exists" as const;
      queue.push({ task, id: opts?.id });
      return "enqueued" as const;
    };
    const manager = { uid: users.manager.uid, role: "manager" as const };
    const started = await simulatePolicy({ policy: STRICTER_CAPS, requestId: "what-if-1" }, manager, now, { enqueue });
    expect(started).toMatchObject({ mode: "queued", status: "queued", portfolio: 5, result: null });
    const id = started.simulationId!;
    expect(queue.map((q) => q.id)).toEqual([simulationTaskId(id, 0)]);
    // the same requestId: the same job, not a second one
    expect(await simulatePolicy({ policy: STRICTER_CAPS, requestId: "what-if-1" }, manager, now, { enqueue })).toEqual(
      started,
    );
    expect(queue).toHaveLength(1);
    expect((await db().collection("simulations").get()).size).toBe(1);

    const before = (await db().collection("customers").get()).docs.map((d) => JSON.stringify(d.data())).sort();
    const progress: number[] = [];
    const ran: string[] = [];
    for (let i = 0; i < queue.length && i < 20; i++) {
      const { task } = queue[i]!;
      // each part takes one page of two customers (its deadline has passed after the first page)
      const run = await runSimulationPart(task, { enqueue, pageSize: 2, deadline: 0 });
      ran.push(run.outcome);
      // delivered again: nothing changes
      const again = await runSimulationPart(task, { enqueue, pageSize: 2, deadline: 0 });
      expect(again.outcome).toBe("stale");
      progress.push((await db().doc(`simulations/${id}`).get()).get("progress"));
    }
    expect(ran).toEqual(["continued", "continued", "done"]);
    expect(progress).toEqual([0.4, 0.8, 1]);
    const doc = (await db().doc(`simulations/${id}`).get()).data()!;
    expect(doc.status).toBe("done");
    expect(doc.evaluated).toBe(5);
    const { asOf: _a, ...jobResult } = doc.result;
    const { asOf: _b, ...directResult } = direct;
    expect(jobResult).toEqual(directResult);
    // the credit files are as they were; the job's start and end are on the system chain
    expect((await db().collection("customers").get()).docs.map((d) => JSON.stringify(d.data())).sort()).toEqual(before);
    const actions = (await db().collection("audit/system/entries").get()).docs.map((d) => d.get("action"));
    expect(actions.filter((a) => a === "simulation.start")).toHaveLength(1);
    expect(actions.filter((a) => a === "simulation.done")).toHaveLength(1);
    // a part of a finished job does nothing
    expect((await runSimulationPart({ simulationId: id, part: 1 }, { enqueue, pageSize: 2 })).outcome).toBe("stale");
  });
});

describe("the job's pages (no cursors: createdAt order, ids at the same instant skipped)", () => {
  it("visits every customer exactly once, also when many share one createdAt", async () => {
    const { customerPage, FIRST_PAGE } = await import("../../functions/src/data/simulations.js");
    const { Timestamp } = await import("firebase-admin/firestore");
    const batch = db().batch();
    const t = (ms: number) => Timestamp.fromMillis(ms);
    const times = [1000, 2000, 2000, 2000, 2000, 2000, 2000, 2000, 3000, 3000, 4000];
    times.forEach((ms, i) =>
      batch.set(db().doc(`customers/c${String(i).padStart(2, "0")}`), { createdAt: t(ms), name: `C${i}` }),
    );
    batch.set(db().doc("customers/no-created-at"), { name: "legacy" });
    await batch.commit();
    for (const size of [1, 2, 3, 5, 20]) {
      const seen: string[] = [];
      let cursor = FIRST_PAGE;
      for (let i = 0; i < 50; i++) {
        const page = await customerPage(cursor, size);
        seen.push(...page.docs.map((d) => d.id));
        expect(page.docs.length).toBeLessThanOrEqual(size);
        cursor = page.next;
        if (page.done) break;
      }
      expect(seen.sort(), `page size ${size}`).toEqual(times.map((_, i) => `c${String(i).padStart(2, "0")}`));
    }
  });
});
