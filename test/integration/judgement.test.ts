/**
 * Credit judgement end to end (issue 11): disputes through the callables with the monitor on a
 * controlled clock, class overrides, clearing a fraud hold, payment terms as an incentive, limits
 * that follow the monthly review. Each reproduction of the issue is a named regression here or in
 * test/unit/classification.test.ts.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { getFirestore } from "firebase-admin/firestore";
import * as fns from "../../functions/src/index.js";
import { DEFAULT_POLICY } from "../../functions/src/domain/policy.js";
import { proposalId } from "../../functions/src/domain/limits.js";
import { monitorCustomer } from "../../functions/src/services/monitoring.js";
import { clearPolicyCache } from "../../functions/src/services/policy.js";
import { reviewCustomer } from "../../functions/src/services/reassessment.js";
import { applyTransactionEvent } from "../../functions/src/services/transactions.js";
import { verifyChain } from "../../functions/src/services/auditTrail.js";
import { call, callError, databaseSnapshot, firestoreServer, users } from "../support/callables.js";
import { creditFile, updateCreditFile } from "../support/credit-file.js";
import { approvedCustomer, recordAt, type RecordAt } from "../support/workflow.js";

const db = () => getFirestore();
const P = DEFAULT_POLICY;
const DAY = 86_400_000;
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

const alert = async (id: string, type: string) => (await db().doc(`alerts/customer_${id}_${type}`).get()).data();
const actions = async (id: string) =>
  (await db().collection(`audit/customer_${id}/entries`).orderBy("seq").get()).docs.map((d) => d.data());

/** Six calendar months before `asOf`'s month, each invoiced and paid on time; `onAccount`: the payments name no invoice. */
function sixGoodMonths(asOf: number, monthly: number, onAccount: boolean): RecordAt[] {
  const d = new Date(asOf);
  const out: RecordAt[] = [];
  for (let i = 1; i <= 6; i++) {
    const first = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - i, 1);
    out.push({ externalId: `INV-${i}`, type: "invoice", amount: monthly, issuedAt: first, dueAt: first + 24 * DAY });
    out.push({
      externalId: `PAY-${i}`,
      type: "payment",
      amount: monthly,
      issuedAt: first + 9 * DAY,
      ...(onAccount ? {} : { invoiceExternalId: `INV-${i}` }),
    });
  }
  return out;
}

beforeEach(async () => {
  await firestoreServer().clear();
  clearPolicyCache();
});

describe("disputes, end to end through the callables", () => {
  it("regression — a disputed invoice no longer ages into hold and suspension: open on an overdue invoice → monitoring 70 days on does not suspend → resolved against the customer → aging resumes from the original due date", async () => {
    const id = await approvedCustomer(40_000_00);
    const now = Date.now();
    const due = now - 25 * DAY; // 25 days past due when disputed
    await call(
      fns.recordTransactions,
      {
        customerId: id,
        transactions: [
          { externalId: "INV-D", type: "invoice", amount: 10_000_00, issuedAt: iso(due - 30 * DAY), dueAt: iso(due) },
        ],
      },
      users.integration,
    );
    expect((await creditFile(id)).oldestDaysPastDue).toBe(25);

    const opened = await call(
      fns.openDispute,
      { customerId: id, invoiceExternalId: "INV-D", amount: 10_000_00, reason: "goods returned damaged" },
      users.sales,
    );
    expect(opened).toMatchObject({ status: "open", disputed: 10_000_00 });
    let c = await creditFile(id);
    expect(c).toMatchObject({ oldestDaysPastDue: 0, disputed: 10_000_00, pastDue1to30: 0, exposure: 10_000_00 });
    expect(
      await db()
        .doc(`disputes/${opened.disputeId}`)
        .get()
        .then((s) => s.data()),
    ).toMatchObject({
      customerId: id,
      ownerUid: users.sales.uid,
      status: "open",
      invoiceExternalId: "INV-D",
      openedBy: users.sales.uid,
    });

    // 70 days on: the invoice would be 95 days past due; disputed, it neither holds nor suspends.
    const later = now + 70 * DAY;
    const m = await monitorCustomer(id, later, P);
    expect(m.status).toBe("active");
    expect(m.raised).not.toContain("overdue_30");
    expect(m.raised).toContain("dispute_open_too_long");
    c = await creditFile(id);
    expect(c).toMatchObject({ status: "active", oldestDaysPastDue: 0, disputed: 10_000_00, exposure: 10_000_00 });
    expect(await alert(id, "dispute_open_too_long")).toMatchObject({
      status: "open",
      code: "DISPUTE_OPEN_TOO_LONG",
      details: { disputeId: opened.disputeId },
    });

    // Resolved against the customer: aging resumes from the original due date.
    const resolved = await call(
      fns.resolveDispute,
      { disputeId: opened.disputeId, outcome: "customer_wrong", note: "photos show the goods left undamaged" },
      users.analyst,
    );
    expect(resolved).toMatchObject({
      status: "resolved",
      outcome: "customer_wrong",
      creditedAmount: 0,
      creditNoteExternalId: null,
      oldestDaysPastDue: 25,
    });
    const d = (await db().doc(`disputes/${opened.disputeId}`).get()).data()!;
    expect(d).toMatchObject({
      status: "resolved",
      outcome: "customer_wrong",
      note: "photos show the goods left undamaged",
      decidedBy: users.analyst.uid,
      decidedByRole: "analyst",
      reasonCodes: ["DISPUTE_CUSTOMER_WRONG", "AGING_RESUMES_FROM_DUE_DATE"],
    });
    expect(d.decidedAt).toBeDefined();

    const after = await monitorCustomer(id, later + HOUR, P);
    expect(after).toMatchObject({ status: "suspended", statusChanged: true });
    expect(after.raised).toEqual(expect.arrayContaining(["overdue_30", "overdue_60", "overdue_90"]));
    expect(after.resolved).toContain("dispute_open_too_long");
    c = await creditFile(id);
    expect(c).toMatchObject({
      status: "suspended",
      statusReason: "OVERDUE_OVER_90_DAYS",
      oldestDaysPastDue: 95,
      disputed: 0,
      pastDue90plus: 10_000_00,
    });
    // The lost dispute is on the record: a credit-history factor with its reason code.
    expect(c.disputes.months).toBeDefined();
    const assessment = (await db().doc(`customers/${id}/private/creditState`).get()).data()!;
    expect(assessment.classReasons).toEqual(expect.arrayContaining(["SERIOUSLY_PAST_DUE"]));
    const order = await call(fns.checkOrder, { customerId: id, orderAmount: 1_000_00 }, users.sales);
    expect(order.decision).toBe("reject");

    const audit = (await actions(id)).map((e) => e.action);
    expect(audit).toEqual(expect.arrayContaining(["dispute.open", "dispute.resolve"]));
    expect((await verifyChain(`customer_${id}`, db().doc(`customers/${id}`))).ok).toBe(true);
  }, 60_000);

  it("partial and customer_right credit the customer with a DSP-<id> credit note in the ledger; the rest ages again; the trigger leaves it alone", async () => {
    const id = await approvedCustomer(40_000_00);
    const now = Date.now();
    await recordAt(id, now, [
      { externalId: "INV-1", type: "invoice", amount: 8_000_00, issuedAt: now - 40 * DAY, dueAt: now - 10 * DAY },
      { externalId: "INV-2", type: "invoice", amount: 2_000_00, issuedAt: now - 5 * DAY, dueAt: now + 25 * DAY },
    ]);
    const d1 = await call(
      fns.openDispute,
      { customerId: id, invoiceExternalId: "INV-1", amount: 3_000_00, reason: "price difference" },
      users.analyst,
    );
    const d2 = await call(
      fns.openDispute,
      { customerId: id, invoiceExternalId: "INV-2", amount: 2_000_00, reason: "never delivered" },
      users.integration,
    );
    expect((await creditFile(id)).disputed).toBe(5_000_00);

    const partial = await call(
      fns.resolveDispute,
      { disputeId: d1.disputeId, outcome: "partial", creditedAmount: 1_000_00, note: "price agreed halfway" },
      users.manager,
    );
    expect(partial).toMatchObject({
      outcome: "partial",
      creditedAmount: 1_000_00,
      creditNoteExternalId: `DSP-${d1.disputeId}`,
      oldestDaysPastDue: 10,
    });
    const right = await call(
      fns.resolveDispute,
      { disputeId: d2.disputeId, outcome: "customer_right", note: "carrier lost it" },
      users.analyst,
    );
    expect(right).toMatchObject({ creditedAmount: 2_000_00 });

    const c = await creditFile(id);
    expect(c).toMatchObject({ disputed: 0, openInvoiceBalance: 7_000_00, exposure: 7_000_00 });
    const cn = (await db().doc(`customers/${id}/transactions/DSP-${d1.disputeId}`).get()).data()!;
    expect(cn).toMatchObject({
      type: "credit_note",
      amount: 1_000_00,
      invoiceExternalId: "INV-1",
      source: "dispute_resolution",
      recordedBy: users.manager.uid,
      ledger: { state: "applied" },
    });
    // The trigger sees the service's own fingerprint: nothing to do.
    expect(
      await applyTransactionEvent(
        { customerId: id, externalId: `DSP-${d1.disputeId}`, after: cn, sourceUpdateTime: Date.now() },
        Date.now(),
        P,
      ),
    ).toBe("skipped");
    // Retried with the same decision by the same person: the first answer, nothing more.
    const again = await call(
      fns.resolveDispute,
      { disputeId: d2.disputeId, outcome: "customer_right", note: "carrier lost it" },
      users.analyst,
    );
    expect(again).toMatchObject({ creditedAmount: 2_000_00 });
    expect((await creditFile(id)).openInvoiceBalance).toBe(7_000_00);
    expect(
      (
        await callError(
          fns.resolveDispute,
          { disputeId: d2.disputeId, outcome: "customer_wrong", note: "changed my mind" },
          users.manager,
        )
      ).code,
    ).toBe("failed-precondition");
  });

  it("refusals write nothing: another rep's customer, more than is open, crediting above authority, a partial without an amount", async () => {
    const id = await approvedCustomer(400_000_00);
    const now = Date.now();
    await recordAt(id, now, [
      { externalId: "INV-BIG", type: "invoice", amount: 90_000_00, issuedAt: now - 10 * DAY, dueAt: now + 20 * DAY },
    ]);
    const before = databaseSnapshot();
    expect(
      (
        await callError(
          fns.openDispute,
          { customerId: id, invoiceExternalId: "INV-BIG", amount: 1_00, reason: "x" },
          users.sales2,
        )
      ).code,
    ).toBe("permission-denied");
    const tooMuch = await callError(
      fns.openDispute,
      { customerId: id, invoiceExternalId: "INV-BIG", amount: 90_000_01, reason: "x" },
      users.sales,
    );
    expect(tooMuch.code).toBe("invalid-argument");
    expect(tooMuch.message).toMatch(/^amount:/);
    const noInvoice = await callError(
      fns.openDispute,
      { customerId: id, invoiceExternalId: "INV-NONE", amount: 1_00, reason: "x" },
      users.sales,
    );
    expect(noInvoice.message).toMatch(/^invoiceExternalId:/);
    expect(databaseSnapshot()).toBe(before);

    const big = await call(
      fns.openDispute,
      { customerId: id, invoiceExternalId: "INV-BIG", amount: 80_000_00, reason: "wrong goods" },
      users.sales,
    );
    const afterOpen = databaseSnapshot();
    expect(
      (
        await callError(
          fns.resolveDispute,
          { disputeId: big.disputeId, outcome: "customer_right", note: "ok" },
          users.analyst,
        )
      ).code,
    ).toBe("permission-denied");
    expect(
      (await callError(fns.resolveDispute, { disputeId: big.disputeId, outcome: "partial", note: "ok" }, users.manager))
        .message,
    ).toMatch(/^creditedAmount:/);
    expect(
      (
        await callError(
          fns.resolveDispute,
          { disputeId: big.disputeId, outcome: "partial", creditedAmount: 80_000_00, note: "ok" },
          users.manager,
        )
      ).message,
    ).toMatch(/^creditedAmount:/);
    expect(
      (
        await callError(
          fns.resolveDispute,
          { disputeId: big.disputeId, outcome: "customer_wrong", note: "ok" },
          users.sales,
        )
      ).code,
    ).toBe("permission-denied");
    expect(databaseSnapshot()).toBe(afterOpen);
    await call(
      fns.resolveDispute,
      { disputeId: big.disputeId, outcome: "customer_right", note: "manager credits it" },
      users.manager,
    );
  });

  it("a retry with the same requestId answers the first result and writes nothing more; the same key with other input is refused", async () => {
    const id = await approvedCustomer(40_000_00);
    const now = Date.now();
    await recordAt(id, now, [
      { externalId: "INV-1", type: "invoice", amount: 5_000_00, issuedAt: now - 5 * DAY, dueAt: now + 25 * DAY },
    ]);
    const input = {
      customerId: id,
      invoiceExternalId: "INV-1",
      amount: 1_000_00,
      reason: "short delivery",
      requestId: "dsp-1",
    };
    const first = await call(fns.openDispute, input, users.sales);
    const before = databaseSnapshot();
    expect(await call(fns.openDispute, input, users.sales)).toEqual(first);
    expect(databaseSnapshot()).toBe(before);
    expect((await callError(fns.openDispute, { ...input, amount: 2_000_00 }, users.sales)).code).toBe("already-exists");
    const res = { disputeId: first.disputeId, outcome: "customer_right", note: "credited", requestId: "dsp-r1" };
    const resolved = await call(fns.resolveDispute, res, users.analyst);
    const afterResolve = databaseSnapshot();
    expect(await call(fns.resolveDispute, res, users.analyst)).toEqual(resolved);
    expect(databaseSnapshot()).toBe(afterResolve);
  });

  it("lost disputes are a credit-history factor with a reason code, and many of them make the class risky", async () => {
    const id = await approvedCustomer(40_000_00);
    const now = Date.now();
    await recordAt(
      id,
      now,
      [1, 2, 3].map((i) => ({
        externalId: `INV-${i}`,
        type: "invoice",
        amount: 1_000_00,
        issuedAt: now - 20 * DAY,
        dueAt: now + 10 * DAY,
      })),
    );
    for (const i of [1, 2, 3]) {
      const d = await call(
        fns.openDispute,
        { customerId: id, invoiceExternalId: `INV-${i}`, amount: 1_000_00, reason: "disputed" },
        users.sales,
      );
      await call(
        fns.resolveDispute,
        { disputeId: d.disputeId, outcome: "customer_wrong", note: "no grounds" },
        users.analyst,
      );
    }
    const c = await creditFile(id);
    expect(c.tier).toBe("risky");
    expect(c.classReasons).toContain("DISPUTES_LOST_MANY");
    const r = await call(fns.reassessCustomer, { customerId: id }, users.analyst);
    expect(r.tier).toBe("risky");
    expect(r.classReasons).toContain("DISPUTES_LOST_MANY");
  });
});

describe("documented overrides", () => {
  it("regression — a manager overrides a class with a documented reason; it holds through transactions and goes back to the computed class at expiry", async () => {
    const id = await approvedCustomer(40_000_00);
    const now = Date.now();
    const computed = (await creditFile(id)).tier;
    expect(
      (
        await callError(
          fns.overrideClassification,
          { customerId: id, tier: "risky", reason: "x", expiresAt: iso(now + 5 * DAY) },
          users.analyst,
        )
      ).code,
    ).toBe("permission-denied");
    expect(
      (
        await callError(
          fns.overrideClassification,
          { customerId: id, tier: "risky", reason: "x", expiresAt: iso(now - DAY) },
          users.manager,
        )
      ).message,
    ).toMatch(/^expiresAt:/);
    expect(
      (
        await callError(
          fns.overrideClassification,
          { customerId: id, tier: "risky", reason: "x", expiresAt: iso(now + 400 * DAY) },
          users.manager,
        )
      ).message,
    ).toMatch(/^expiresAt:/);

    const o = await call(
      fns.overrideClassification,
      { customerId: id, tier: "risky", reason: "parent company filed for insolvency", expiresAt: iso(now + 10 * DAY) },
      users.manager,
    );
    expect(o).toMatchObject({ tier: "risky", computedTier: computed });
    const doc = (await db().doc(`classOverrides/${o.overrideId}`).get()).data()!;
    expect(doc).toMatchObject({
      customerId: id,
      tier: "risky",
      note: "parent company filed for insolvency",
      decidedBy: users.manager.uid,
      decidedByRole: "manager",
      reasonCodes: expect.arrayContaining(["CLASS_OVERRIDDEN_TO_RISKY"]),
    });
    let c = await creditFile(id);
    expect(c).toMatchObject({
      tier: "risky",
      classReasons: ["CLASS_OVERRIDDEN_TO_RISKY"],
      classOverride: { overrideId: o.overrideId, reason: "parent company filed for insolvency" },
    });
    expect((await call(fns.checkOrder, { customerId: id, orderAmount: 1_000_00 }, users.sales)).reasons).toContain(
      "RISKY_TIER",
    );

    // A transaction rescoring the file keeps the override.
    await recordAt(id, now + DAY, [
      { externalId: "INV-1", type: "invoice", amount: 1_000_00, issuedAt: now + DAY, dueAt: now + 31 * DAY },
    ]);
    expect((await creditFile(id)).tier).toBe("risky");

    // Expired: the daily monitor puts the computed class back, clears the override and says why.
    await monitorCustomer(id, now + 11 * DAY, P);
    c = await creditFile(id);
    expect(c.classOverride).toBeNull();
    expect(c.tier).not.toBe("risky");
    expect(
      (await actions(id)).find((e) => e.action === "customer.monitor" && e.reason === "CLASS_OVERRIDE_EXPIRED"),
    ).toBeDefined();
  });

  it("regression — the fraud flag clears: a manager clears a false positive; the flag and its hold go, the signals stay, the class is computed again", async () => {
    const id = await approvedCustomer(40_000_00);
    const now = Date.now();
    // A large first order: the fraud signal holds the file.
    await recordAt(id, now, [{ externalId: "SO-1", type: "order", amount: 30_000_00, issuedAt: now }]);
    let c = await creditFile(id);
    expect(c).toMatchObject({
      status: "on_hold",
      statusReason: "FRAUD_SIGNALS",
      tier: "risky",
      flags: { fraudHold: true },
    });
    expect((await call(fns.checkOrder, { customerId: id, orderAmount: 1_000_00 }, users.sales)).decision).toBe(
      "review",
    );

    expect((await callError(fns.clearFraudHold, { customerId: id, reason: "x" }, users.analyst)).code).toBe(
      "permission-denied",
    );
    const r = await call(
      fns.clearFraudHold,
      { customerId: id, reason: "a framework order agreed with the customer in advance" },
      users.manager,
    );
    expect(r).toMatchObject({ status: "active", statusKind: null });
    expect(r.tier).not.toBe("risky");
    c = await creditFile(id);
    expect(c).toMatchObject({
      status: "active",
      flags: { fraudHold: false },
      fraudHoldCleared: {
        reasonCodes: ["FRAUD_HOLD_CLEARED", "FALSE_POSITIVE"],
        decidedBy: users.manager.uid,
        decidedByRole: "manager",
      },
    });
    expect(c.openAlerts?.fraud_signal).toBeUndefined();
    expect(await alert(id, "fraud_signal")).toMatchObject({ status: "resolved", resolution: "false_positive" });
    const assessment = (await db().doc(`customers/${id}/private/assessment`).get()).data()!;
    expect(assessment.fraudSignals.map((s: { code: string }) => s.code)).toContain("LARGE_FIRST_ORDER");
    expect(assessment.fraudHoldCleared.note).toBe("a framework order agreed with the customer in advance");
    expect((await callError(fns.clearFraudHold, { customerId: id, reason: "again" }, users.manager)).code).toBe(
      "failed-precondition",
    );
    // Incentives are no longer stopped by the flag.
    expect((await call(fns.checkOrder, { customerId: id, orderAmount: 1_000_00 }, users.sales)).decision).toBe(
      "approve",
    );
  });
});

describe("incentives that act", () => {
  it("regression — the on-time streak counts payments on account: a customer paying on account earns the incentive increase", async () => {
    const id = await approvedCustomer(40_000_00);
    const asOf = Math.floor(Date.now() / DAY) * DAY + 3 * DAY + HOUR;
    await recordAt(id, asOf, [
      ...sixGoodMonths(asOf, 10_000_00, true),
      { externalId: "INV-NOW", type: "invoice", amount: 30_000_00, issuedAt: asOf - 2 * DAY, dueAt: asOf + 28 * DAY },
    ]);
    const r = await monitorCustomer(id, asOf, P);
    expect(r.proposal).toMatchObject({ source: "policy_incentive", status: "approved", newLimit: 48_000_00 });
  });

  it("regression — extended terms act: eligible customers (policy) get longer terms through a request and a second person; shorter terms apply at once", async () => {
    const id = await approvedCustomer(40_000_00);
    const asOf = Math.floor(Date.now() / DAY) * DAY + 3 * DAY + HOUR;
    // Not eligible yet: refused, naming why.
    const early = await callError(
      fns.requestTermsChange,
      { customerId: id, paymentTermsDays: 45, reason: "loyal" },
      users.sales,
    );
    expect(early.code).toBe("failed-precondition");
    expect(early.message).toMatch(/NOT_ELIGIBLE_FOR_EXTENDED_TERMS/);

    await recordAt(id, asOf, [
      ...sixGoodMonths(asOf, 10_000_00, false),
      { externalId: "INV-NOW", type: "invoice", amount: 5_000_00, issuedAt: asOf - 2 * DAY, dueAt: asOf + 28 * DAY },
    ]);
    await monitorCustomer(id, asOf, P);
    const c = await creditFile(id);
    expect(c).toMatchObject({ tier: "premium", flags: { extendedTermsEligible: true } });

    expect(
      (await callError(fns.requestTermsChange, { customerId: id, paymentTermsDays: 46, reason: "more" }, users.sales))
        .message,
    ).toMatch(/^paymentTermsDays:/);
    const req = await call(
      fns.requestTermsChange,
      { customerId: id, paymentTermsDays: 45, reason: "six months on time" },
      users.sales,
    );
    expect(req).toMatchObject({ status: "pending", paymentTermsDays: 30 });
    expect(
      (
        await callError(
          fns.decideTermsChange,
          { termsChangeId: req.termsChangeId, decision: "approve", note: "mine" },
          users.sales,
        )
      ).code,
    ).toBe("permission-denied");
    const decided = await call(
      fns.decideTermsChange,
      { termsChangeId: req.termsChangeId, decision: "approve", note: "agreed" },
      users.manager,
    );
    expect(decided).toEqual({ termsChangeId: req.termsChangeId, status: "approved", paymentTermsDays: 45 });
    expect((await creditFile(id)).paymentTermsDays).toBe(45);
    expect((await db().doc(`termsChanges/${req.termsChangeId}`).get()).data()).toMatchObject({
      status: "approved",
      direction: "longer",
      requestedBy: users.sales.uid,
      decidedBy: users.manager.uid,
      decidedByRole: "manager",
      note: "agreed",
      reasonCodes: expect.arrayContaining(["EXTENDED_TERMS_INCENTIVE", "APPROVED_FOUR_EYES"]),
    });

    const shorter = await call(
      fns.requestTermsChange,
      { customerId: id, paymentTermsDays: 20, reason: "back to tight terms" },
      users.analyst,
    );
    expect(shorter).toMatchObject({ status: "approved", paymentTermsDays: 20 });
    expect((await creditFile(id)).paymentTermsDays).toBe(20);
  });

  it("four eyes: whoever requested longer terms never decides them", async () => {
    const id = await approvedCustomer(40_000_00);
    await updateCreditFile(id, { "flags.extendedTermsEligible": true });
    const req = await call(
      fns.requestTermsChange,
      { customerId: id, paymentTermsDays: 40, reason: "loyal" },
      users.analyst,
    );
    const own = await callError(
      fns.decideTermsChange,
      { termsChangeId: req.termsChangeId, decision: "approve", note: "mine" },
      users.analyst,
    );
    expect(own.code).toBe("failed-precondition");
    expect(own.message).toMatch(/four-eyes/);
    // No longer eligible at decision time: refused.
    await updateCreditFile(id, { "flags.extendedTermsEligible": false });
    expect(
      (
        await callError(
          fns.decideTermsChange,
          { termsChangeId: req.termsChangeId, decision: "approve", note: "ok" },
          users.manager,
        )
      ).code,
    ).toBe("failed-precondition");
    expect(
      await call(
        fns.decideTermsChange,
        { termsChangeId: req.termsChangeId, decision: "reject", note: "not now" },
        users.manager,
      ),
    ).toMatchObject({ status: "rejected", paymentTermsDays: 30 });
  });
});

describe("limits follow the judgement (monthly review)", () => {
  /** A customer approved at 40,000 whose year went badly: small trade paid very late, an invoice 75 days past due. */
  async function declined(now: number): Promise<{ id: string; start: string }> {
    const id = await approvedCustomer(40_000_00);
    const start = (await creditFile(id)).grade as string;
    const txs: RecordAt[] = [];
    for (let i = 1; i <= 6; i++) {
      const at = now - (60 + i * 30) * DAY;
      txs.push({ externalId: `INV-${i}`, type: "invoice", amount: 1_000_00, issuedAt: at, dueAt: at + 30 * DAY });
      txs.push({
        externalId: `PAY-${i}`,
        type: "payment",
        amount: 1_000_00,
        issuedAt: at + 90 * DAY,
        invoiceExternalId: `INV-${i}`,
      });
    }
    txs.push({
      externalId: "INV-LATE",
      type: "invoice",
      amount: 2_000_00,
      issuedAt: now - 105 * DAY,
      dueAt: now - 75 * DAY,
    });
    await recordAt(id, now, txs);
    await updateCreditFile(id, { nextReviewAt: new Date(now) });
    return { id, start };
  }

  it("regression — a customer who falls to a lower grade no longer keeps its limit: a cut deeper than the policy's bound is a proposal a person with authority decides", async () => {
    const now = Date.now();
    const { id, start } = await declined(now);
    const r = await reviewCustomer(id, now, P, { now });
    expect(r).toMatchObject({
      outcome: "reviewed",
      tier: "risky",
      limitAction: { action: "propose_cut", newLimit: r.recommendedLimit },
    });
    expect(r.grade).not.toBe(start);
    expect(r.recommendedLimit!).toBeLessThan(40_000_00 * (1 - P.limitReview.autoCutMaxShare));
    const reqId = proposalId(id, "policy_review", now);
    const req = (await db().doc(`limitRequests/${reqId}`).get()).data()!;
    expect(req).toMatchObject({
      customerId: id,
      source: "policy_review",
      status: "pending",
      currentLimit: 40_000_00,
      newLimit: r.recommendedLimit,
      decidedBy: null,
      reasonCodes: [`GRADE_LOWERED_${start}_TO_${r.grade}`, "LIMIT_BOUND_TRADING_NEED"],
    });
    expect((await creditFile(id)).creditLimit).toBe(40_000_00);
    expect((await actions(id)).find((e) => e.action === "limit.propose")?.after).toMatchObject({
      source: "policy_review",
      status: "pending",
    });
    await call(fns.decideLimitChange, { limitRequestId: reqId, decision: "approve", note: "agreed" }, users.analyst);
    expect(await creditFile(id)).toMatchObject({ creditLimit: r.recommendedLimit, lastReviewGrade: r.grade });
  });

  it("a cut within the policy's bounds is applied at once by the review, audited with its reason codes", async () => {
    const now = Date.now();
    const { id, start } = await declined(now);
    const bold = { ...P, limitReview: { ...P.limitReview, autoCutMaxShare: 1 } };
    const r = await reviewCustomer(id, now, bold, { now });
    expect(r.limitAction).toMatchObject({ action: "cut", newLimit: r.recommendedLimit });
    const c = await creditFile(id);
    expect(c.creditLimit).toBe(r.recommendedLimit);
    expect(c.availableCredit).toBe(r.recommendedLimit! - c.exposure);
    const req = (
      await db()
        .doc(`limitRequests/${proposalId(id, "policy_review", now)}`)
        .get()
    ).data()!;
    expect(req).toMatchObject({
      status: "approved",
      decidedBy: "policy:policy_review",
      decidedByRole: "system",
      note: "CUT_WITHIN_POLICY_BOUNDS",
    });
    const cut = (await actions(id)).find((e) => e.action === "limit.auto_cut")!;
    expect(cut.after).toMatchObject({
      creditLimit: r.recommendedLimit,
      reasonCodes: expect.arrayContaining([`GRADE_LOWERED_${start}_TO_${r.grade}`]),
    });
    expect((await verifyChain(`customer_${id}`, db().doc(`customers/${id}`))).ok).toBe(true);
  });
});
