/**
 * End to end: Firestore triggers fire on the local stack. Writes made straight to Firestore
 * with the Admin SDK — the ERP importing transactions, an admin editing the policy as in the
 * console — reach the deployed `onTransactionWritten` and `policyWritten` on the Functions
 * emulator through trigger delivery from the in-process Firestore
 * (scripts/lib/trigger-delivery.mjs), exactly as `npm start` runs them.
 *
 * No fixed sleeps: each check polls the stored state until it holds or a deadline passes
 * (a cold emulator worker takes seconds on a busy machine).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getApps, initializeApp } from "firebase-admin/app";
import { getFirestore, Timestamp, type DocumentData } from "firebase-admin/firestore";
import type { ClientSession } from "../../scripts/lib/client.mjs";
import { closeSessions, DEMO_USERS, ensureDemoUsers, type DemoRole } from "../../scripts/lib/seed.mjs";
import { e2eStack } from "../support/stack.js";

const SLOW = 180_000;
const DAY = 86_400_000;
const PROJECT = process.env.GCLOUD_PROJECT ?? "demo-credit";
if (getApps().length === 0) initializeApp({ projectId: PROJECT });
const db = getFirestore(); // this file's in-process Firestore, which the stack's functions use too

/** Poll `read` until `done` holds; fail with the last value after `deadlineMs`. */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, deadlineMs = 120_000): Promise<T> {
  const until = Date.now() + deadlineMs;
  let last: T;
  for (let wait = 50; ; wait = Math.min(wait * 2, 1_000)) {
    last = await read();
    if (done(last)) return last;
    if (Date.now() > until)
      throw new Error(`condition not met within ${deadlineMs} ms; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, wait));
  }
}

/** The credit file as the services see it: the head and its confidential creditState merged. */
const customerDoc = async (id: string) => {
  const [head, state] = await db.getAll(db.doc(`customers/${id}`), db.doc(`customers/${id}/private/creditState`));
  return { ...(state!.data() ?? {}), ...head!.data() } as DocumentData;
};
const count = async (path: string) => (await db.collection(path).count().get()).data().count;

describe
  .skipIf(process.env.CREDIT_DESK_OFFICIAL_EMULATOR === "1")
  .sequential("e2e: Firestore triggers fire on the local stack", () => {
    const e2e = e2eStack();
    let sessions = new Map<string, ClientSession>();
    const as = (role: DemoRole | null): ClientSession => {
      const email = DEMO_USERS.find((u) => u.role === role)?.email;
      const s = email ? sessions.get(email) : undefined;
      if (!s) throw new Error(`no signed-in demo user with role ${role ?? "(none)"}`);
      return s;
    };
    let customerId = "";

    beforeAll(async () => {
      await e2e.start();
      sessions = (await ensureDemoUsers(e2e.ctx)).sessions;
      const n = Date.now().toString(36);
      const { applicationId } = await as(null).call<{ applicationId: string }>("submitCreditApplication", {
        company: {
          name: `Trigger Test ${n} GmbH`,
          registrationNo: `HRB-TRG-${n}`,
          country: "DE",
          industry: "wholesale",
          foundedYear: 1995,
          address: "Musterstrasse 1, 10115 Berlin",
        },
        contacts: [{ name: "Erika Mustermann", email: `erika.${n}@e2e.example`, phone: "+49 30 123456" }],
        requestedLimit: 40_000_00,
        currency: "EUR",
        paymentTermsDays: 30,
        financials: {
          periodEnd: `${new Date().getUTCFullYear() - 1}-12-31`,
          currency: "EUR",
          totalAssets: 5_000_000_00,
          currentAssets: 2_500_000_00,
          totalLiabilities: 2_000_000_00,
          currentLiabilities: 1_000_000_00,
          equity: 3_000_000_00,
          retainedEarnings: 1_800_000_00,
          revenue: 10_000_000_00,
          ebit: 900_000_00,
          netIncome: 600_000_00,
        },
      });
      await as("analyst").call("reviewCreditApplication", { applicationId });
      const decided = await as("manager").call<{ customerId: string }>("decideCreditApplication", {
        applicationId,
        decision: "approve",
        approvedLimit: 40_000_00,
        note: "e2e triggers",
      });
      customerId = decided.customerId;
    }, 300_000);

    afterAll(async () => {
      await closeSessions(sessions);
      await e2e.stop();
    }, 60_000);

    it("the stack delivers the deployed Firestore triggers", async () => {
      const list = await e2e.stack.triggers!.triggers();
      expect(
        Object.fromEntries(list.map((t) => [t.entryPoint, { document: t.document, retry: t.retry }])),
      ).toMatchObject({
        onTransactionWritten: { document: "customers/{customerId}/transactions/{externalId}", retry: true },
        policyWritten: { document: "config/creditPolicy", retry: true },
      });
    });

    it(
      "a batch of transactions written straight to Firestore (as the ERP would) updates exposure, aging and score",
      async () => {
        const before = await customerDoc(customerId);
        expect(before.exposure).toBe(0);
        const now = Date.now();
        const txs = db.collection(`customers/${customerId}/transactions`);
        const batch = db.batch();
        // 45 days past due, 4,000.00; current, 6,000.00; an open order, 1,500.00.
        batch.set(txs.doc("ERP-INV-OVERDUE"), {
          type: "invoice",
          amount: 4_000_00,
          currency: "EUR",
          issuedAt: Timestamp.fromMillis(now - 75 * DAY),
          dueAt: Timestamp.fromMillis(now - 45 * DAY),
        });
        batch.set(txs.doc("ERP-INV-CURRENT"), {
          type: "invoice",
          amount: 6_000_00,
          currency: "EUR",
          issuedAt: Timestamp.fromMillis(now - 2 * DAY),
          dueAt: Timestamp.fromMillis(now + 28 * DAY),
        });
        batch.set(txs.doc("ERP-ORD-1"), {
          type: "order",
          amount: 1_500_00,
          currency: "EUR",
          issuedAt: Timestamp.fromMillis(now - DAY),
        });
        await batch.commit();

        const after = await eventually(
          () => customerDoc(customerId),
          (c) => c.exposure === 11_500_00,
        );
        expect(after.availableCredit).toBe(40_000_00 - 11_500_00);
        expect(after.aggregates.aging.current).toBe(6_000_00);
        expect(after.aggregates.aging.d31_60).toBe(4_000_00);
        expect(after.aggregates.oldestDaysPastDue).toBe(45);
        expect(after.score).toBeLessThan(before.score); // 45 days past due weighs on payment behaviour
        // Each record marked as applied by the drain (its own later event is recognised and skipped).
        for (const id of ["ERP-INV-OVERDUE", "ERP-INV-CURRENT", "ERP-ORD-1"]) {
          expect((await txs.doc(id).get()).get("ledger.state")).toBe("applied");
        }
        await e2e.stack.triggers!.idle();
        const delivered = e2e.stack
          .triggers!.deliveries()
          .filter((d) => d.document.startsWith(`customers/${customerId}/transactions/`));
        expect(delivered.filter((d) => d.outcome !== "delivered")).toEqual([]);
        expect(e2e.stack.output(400)).toContain("onTransactionWritten"); // the emulator's execution log
        // Applied by the customer's group commit: the drain ran as a task on the Cloud Tasks emulator.
        expect(e2e.stack.output(2000)).toContain("applyPendingRecords");
      },
      SLOW,
    );

    it(
      "a redelivered transaction event (same id) changes nothing",
      async () => {
        const triggers = e2e.stack.triggers!;
        await triggers.idle();
        const first = triggers
          .deliveries()
          .find((d) => d.document === `customers/${customerId}/transactions/ERP-INV-CURRENT`);
        expect(first).toBeDefined();
        const customerBefore = await db.doc(`customers/${customerId}`).get();
        const auditBefore = await count(`audit/customer_${customerId}/entries`);
        expect(await triggers.redeliver(first!.eventId)).toEqual([200]);
        await triggers.idle();
        const customerAfter = await db.doc(`customers/${customerId}`).get();
        expect(customerAfter.data()).toEqual(customerBefore.data());
        expect(customerAfter.updateTime!.isEqual(customerBefore.updateTime!)).toBe(true);
        expect(await count(`audit/customer_${customerId}/entries`)).toBe(auditBefore);
      },
      SLOW,
    );

    it(
      "an Admin SDK edit of config/creditPolicy is audited; a bad edit raises policy_invalid; its redelivery is a no-op",
      async () => {
        const policy = db.doc("config/creditPolicy");
        const systemAudit = "audit/system/entries";
        const policyEdits = async () =>
          (await db.collection(systemAudit).where("action", "==", "policy.edit").count().get()).data().count;
        const edits0 = await policyEdits();

        await policy.set({ version: 7 });
        await eventually(policyEdits, (n) => n === edits0 + 1);

        await policy.set({ version: "seven" });
        const alert = await eventually(
          async () =>
            (await db.collection("alerts").where("type", "==", "policy_invalid").get()).docs.map((d) => d.data()),
          (alerts) => alerts.some((a) => a.status === "open"),
        );
        expect(alert.find((a) => a.status === "open")).toMatchObject({ code: "POLICY_INVALID" });
        const entries = await eventually(policyEdits, (n) => n === edits0 + 2);
        expect(entries).toBe(edits0 + 2);

        // Redelivery of the bad edit's event: deduplicated by event id (processedEvents), nothing new audited.
        const triggers = e2e.stack.triggers!;
        await triggers.idle();
        const bad = triggers
          .deliveries()
          .filter((d) => d.document === "config/creditPolicy")
          .at(-1)!;
        expect((await db.doc(`processedEvents/policyWritten_${bad.eventId}`).get()).exists).toBe(true);
        const auditBefore = await count(systemAudit);
        expect(await triggers.redeliver(bad.eventId)).toEqual([200]);
        expect(await count(systemAudit)).toBe(auditBefore);
      },
      SLOW,
    );
  });
