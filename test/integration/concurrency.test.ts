/**
 * The controls under concurrent use, on the in-process Firestore with serializable
 * transactions (scripts/lib/firestore-transactions.mjs). Each claim here fails on the
 * unpatched engine: `CREDIT_DESK_FIRESTORE_ISOLATION=off npx vitest run
 * test/integration/concurrency.test.ts` (measured: all six fail — the probe loses increments,
 * more than 20 reservations are approved, exposure is lost, one requestId makes several
 * effects, audit chains fork).
 */
import { beforeEach, describe, expect, it } from "vitest";
import * as fns from "../../functions/src/index.js";
import { DEFAULT_POLICY } from "../../functions/src/domain/policy.js";
import { recomputeFromHistory } from "../../functions/src/domain/ledger.js";
import { effectiveLimit } from "../../functions/src/domain/customer.js";
import { readCustomer } from "../../functions/src/data/customers.js";
import { firestore } from "../../functions/src/data/firebase.js";
import { verifyChain } from "../../functions/src/services/auditTrail.js";
import { monitorCustomer } from "../../functions/src/services/monitoring.js";
import { clearPolicyCache } from "../../functions/src/services/policy.js";
import { recordFromInput } from "../../functions/src/services/transactions.js";
import { transactionInput } from "../../functions/src/schemas/callables.js";
import { approvedCustomer } from "../support/workflow.js";
import { call, firestoreServer, users } from "../support/callables.js";
import { creditFile } from "../support/credit-file.js";

const db = () => firestore();
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

beforeEach(async () => {
  await firestoreServer().clear();
  clearPolicyCache();
});

async function settle<T>(promises: Array<Promise<T>>): Promise<{ ok: T[]; failed: unknown[] }> {
  const results = await Promise.allSettled(promises);
  return {
    ok: results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : [])),
    failed: results.flatMap((r) => (r.status === "rejected" ? [r.reason] : [])),
  };
}

describe("concurrent use of one credit file", () => {
  it("the engine isolates transactions (otherwise nothing below proves anything)", async () => {
    const ref = db().doc("probe/counter");
    await ref.set({ n: 0 });
    await Promise.all(
      Array.from({ length: 10 }, () =>
        db().runTransaction(async (tx) => tx.update(ref, { n: ((await tx.get(ref)).data()!.n as number) + 1 })),
      ),
    );
    expect((await ref.get()).data()!.n).toBe(10);
  });

  it("50 concurrent reservations where the available credit covers 20: exactly 20 approved, never over the limit", async () => {
    const id = await approvedCustomer(40_000_00);
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        call(
          fns.checkOrder,
          { customerId: id, orderAmount: 2_000_00, reserve: true, orderRef: `PO-${i}` },
          users.integration,
        ),
      ),
    );
    expect(answers.filter((a) => a.decision === "approve")).toHaveLength(20);
    expect(answers.filter((a) => a.decision === "review")).toHaveLength(30);
    const c = await creditFile(id);
    expect(Object.keys(c.reservations)).toHaveLength(20);
    expect(Object.keys(c.openBlocks)).toHaveLength(30);
    expect(c.reserved).toBe(40_000_00);
    expect(c.availableCredit).toBe(0);
    expect((await db().collection("orderBlocks").where("customerId", "==", id).get()).size).toBe(30);
    expect((await verifyChain(`customer_${id}`, db().doc(`customers/${id}`))).ok).toBe(true);
  });

  it("concurrent recordTransactions batches end where the sequential run and the from-scratch recomputation end", async () => {
    const now = Date.now();
    const batches = Array.from({ length: 6 }, (_, b) =>
      Array.from({ length: 5 }, (_, i) => {
        const n = b * 5 + i;
        return n % 3 === 2
          ? {
              externalId: `PAY-${n}`,
              type: "payment" as const,
              amount: 1_000_00,
              issuedAt: iso(now - DAY),
              invoiceExternalId: `INV-${n - 2}`,
            }
          : {
              externalId: `INV-${n}`,
              type: "invoice" as const,
              amount: 3_000_00 + n * 100,
              issuedAt: iso(now - 40 * DAY),
              dueAt: iso(now - (n % 2 ? 5 : -20) * DAY),
            };
      }),
    );
    const concurrent = await approvedCustomer(500_000_00, { registrationNo: "REG-C" });
    const sequential = await approvedCustomer(500_000_00, { registrationNo: "REG-S" });
    // Each customer's invoice ids are its own (an invoice id belongs to one customer).
    const forCustomer = (prefix: string, list: (typeof batches)[number]) =>
      list.map((t) => ({
        ...t,
        externalId: `${prefix}${t.externalId}`,
        ...("invoiceExternalId" in t ? { invoiceExternalId: `${prefix}${t.invoiceExternalId}` } : {}),
      }));
    const results = await Promise.all(
      batches.map((list) =>
        call(
          fns.recordTransactions,
          { customerId: concurrent, transactions: forCustomer("C-", list) },
          users.integration,
        ),
      ),
    );
    expect(results.reduce((n, r) => n + r.recorded, 0)).toBe(30);
    for (const list of batches)
      await call(
        fns.recordTransactions,
        { customerId: sequential, transactions: forCustomer("S-", list) },
        users.integration,
      );
    const a = await creditFile(concurrent);
    const b = await creditFile(sequential);
    expect(a.exposure).toBe(b.exposure);
    expect(a.aggregates.aging).toEqual(b.aggregates.aging);
    const history = batches.flat().map((t) => recordFromInput(transactionInput.parse(forCustomer("C-", [t])[0])));
    const oracle = recomputeFromHistory(history, Date.now());
    expect(a.exposure).toBe(oracle.exposure);
    expect(a.openInvoiceBalance).toBe(oracle.openInvoiceBalance);
    expect((await verifyChain(`customer_${concurrent}`, db().doc(`customers/${concurrent}`))).ok).toBe(true);
  });

  it("10 concurrent calls with one requestId make one effect and give one answer", async () => {
    const id = await approvedCustomer(40_000_00);
    const input = { customerId: id, newLimit: 45_000_00, reason: "peak", requestId: "same-key" };
    const { ok, failed } = await settle(
      Array.from({ length: 10 }, () => call(fns.requestLimitChange, input, users.sales)),
    );
    expect(failed).toEqual([]);
    expect(new Set(ok.map((r) => r.limitRequestId)).size).toBe(1);
    expect((await db().collection("limitRequests").where("customerId", "==", id).get()).size).toBe(1);
    const reserve = {
      customerId: id,
      orderAmount: 1_000_00,
      reserve: true,
      orderRef: "PO-1",
      requestId: "reserve-key",
    };
    const reservations = await Promise.all(
      Array.from({ length: 10 }, () => call(fns.checkOrder, reserve, users.integration)),
    );
    expect(new Set(reservations.map((r) => r.reservationId)).size).toBe(1);
    expect((await creditFile(id)).reserved).toBe(1_000_00);
  });

  it("concurrent audit appends to one chain make one chain that verifies", async () => {
    const id = await approvedCustomer(400_000_00);
    await Promise.all([
      ...Array.from({ length: 5 }, (_, i) =>
        call(
          fns.checkOrder,
          { customerId: id, orderAmount: 1_00, reserve: true, orderRef: `A-${i}` },
          users.integration,
        ),
      ),
      ...Array.from({ length: 5 }, (_, i) =>
        call(
          fns.requestLimitChange,
          { customerId: id, newLimit: 390_000_00 - i * 1_000_00, reason: `cut ${i}` },
          users.analyst,
        ),
      ),
      call(fns.setCreditStatus, { customerId: id, status: "on_hold", reason: "check" }, users.manager),
    ]);
    const entries = (await db().collection(`audit/customer_${id}/entries`).orderBy("seq").get()).docs.map((d) =>
      d.data(),
    );
    expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => i + 1));
    // Each order check is on the chain once: reserved, or blocked if the hold committed first.
    expect(entries.filter((e) => e.action === "order.reserve" || e.action === "order.block")).toHaveLength(5);
    expect(entries.filter((e) => e.action === "limit.decrease")).toHaveLength(5);
    expect((await verifyChain(`customer_${id}`, db().doc(`customers/${id}`))).ok).toBe(true);
  });

  it("a limit decision racing a monitoring penalty ends in one consistent outcome", async () => {
    const id = await approvedCustomer(40_000_00);
    const now = Date.now();
    // An invoice 45 days past due: the monitor sets noLimitIncrease (and caps the tier).
    await call(
      fns.recordTransactions,
      {
        customerId: id,
        transactions: [
          {
            externalId: "INV-OLD",
            type: "invoice",
            amount: 1_000_00,
            issuedAt: iso(now - 75 * DAY),
            dueAt: iso(now - 45 * DAY),
          },
        ],
      },
      users.integration,
    );
    const req = await call(
      fns.requestLimitChange,
      { customerId: id, newLimit: 45_000_00, reason: "growth" },
      users.sales,
    );
    const [decision, monitor] = await Promise.allSettled([
      call(
        fns.decideLimitChange,
        { limitRequestId: req.limitRequestId, decision: "approve", note: "ok" },
        users.manager,
      ),
      monitorCustomer(id, now, DEFAULT_POLICY),
    ]);
    expect(monitor.status).toBe("fulfilled");
    const file = await creditFile(id);
    expect(file.flags.noLimitIncrease).toBe(true);
    const limits = (await readCustomer(null, id)).file!;
    if (decision.status === "fulfilled") {
      // The decision committed first and the monitor then saw the raised limit: both on record, in that order.
      expect(limits.creditLimit).toBe(45_000_00);
      const actions = (await db().collection(`audit/customer_${id}/entries`).orderBy("seq").get()).docs.map(
        (d) => d.data().action as string,
      );
      expect(actions.indexOf("limit.approve")).toBeLessThan(actions.lastIndexOf("customer.monitor"));
    } else {
      // The monitor committed first: the decision saw the penalty and was refused.
      expect(String((decision.reason as Error).message)).toContain("blocked by policy");
      expect(limits.creditLimit).toBe(40_000_00);
      expect((await db().doc(`limitRequests/${req.limitRequestId}`).get()).data()!.status).toBe("pending");
    }
    expect(effectiveLimit(limits, now)).toBe(limits.creditLimit);
    expect((await verifyChain(`customer_${id}`, db().doc(`customers/${id}`))).ok).toBe(true);
  });
});
