/**
 * The daily monitor on a controlled clock: a customer created through the callables, its
 * transactions recorded through the service at chosen times, then monitorCustomer day by day.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { getFirestore, Timestamp } from "firebase-admin/firestore";
import { DEFAULT_POLICY } from "../../functions/src/domain/policy.js";
import { proposalId } from "../../functions/src/domain/limits.js";
import { checkOrder } from "../../functions/src/services/orders.js";
import { monitorCustomer, type MonitorResult } from "../../functions/src/services/monitoring.js";
import { clearPolicyCache } from "../../functions/src/services/policy.js";
import { setCreditStatus } from "../../functions/src/services/limits.js";
import { verifyChain } from "../../functions/src/services/auditTrail.js";
import { firestoreServer, users } from "../support/callables.js";
import { creditFile, updateCreditFile } from "../support/credit-file.js";
import { approvedCustomer, recordAt, type RecordAt } from "../support/workflow.js";

const db = () => getFirestore();
const P = DEFAULT_POLICY;
const DAY = 86_400_000;
const HOUR = 3_600_000;
/** 01:00 UTC of the day `days` after today: when the daily job runs. */
const dayAt = (days: number) => Math.floor(Date.now() / DAY) * DAY + days * DAY + HOUR;
const sales = { uid: users.sales.uid, role: "sales" as const };
const manager = { uid: users.manager.uid, role: "manager" as const };

const customer = creditFile;
const alert = async (id: string, type: string) => (await db().doc(`alerts/customer_${id}_${type}`).get()).data();
const order = (id: string, now: number, amount = 1_000_00) =>
  checkOrder({ customerId: id, orderAmount: amount }, sales, now, P);

beforeEach(async () => {
  await firestoreServer().clear();
  clearPolicyCache();
});

describe("daily monitoring scenario: overdue → penalties → cure", () => {
  it("raises each alert and penalty on its day, then lifts them when paid", async () => {
    const id = await approvedCustomer(40_000_00);
    const issued = dayAt(0);
    const due = issued - HOUR + 30 * DAY; // midnight
    await recordAt(id, issued, [
      { externalId: "INV-1", type: "invoice", amount: 10_000_00, issuedAt: issued, dueAt: due },
    ]);

    const firstRaised = new Map<string, number>();
    const statusOn = new Map<number, string>();
    let r: MonitorResult | undefined;
    for (let k = 1; k <= 95; k++) {
      const now = due + k * DAY + HOUR;
      r = await monitorCustomer(id, now, P);
      expect(r.outcome).toBe("monitored");
      for (const t of r.raised) if (!firstRaised.has(t)) firstRaised.set(t, k);
      statusOn.set(k, r.status!);
      const c = await customer(id);
      // The next look is the first run at which anything changes (domain/monitorSchedule.ts), within the look-ahead.
      expect(c.nextAgingAt.toMillis()).toBeGreaterThan(now);
      expect(c.nextAgingAt.toMillis()).toBeLessThanOrEqual(Math.floor(now / DAY) * DAY + 36 * DAY);
      if (k === 30 || k === 60 || k === 90) expect(c.nextAgingAt.toMillis()).toBe(Math.floor(now / DAY) * DAY + DAY); // a threshold crossed tomorrow
      if (k === 30) {
        expect(firstRaised.has("overdue_30")).toBe(false);
        expect(c.flags.noLimitIncrease).toBe(false);
      }
      if (k === 31) {
        expect(r.raised).toContain("overdue_30");
        expect(c.flags.noLimitIncrease).toBe(true);
        expect(["standard", "risky"]).toContain(c.tier);
        expect(c.status).toBe("active");
        expect(c.openAlerts).toMatchObject({ overdue_30: true });
      }
      if (k === 60) expect(c.status).toBe("active");
      if (k === 61) {
        expect(r.raised).toContain("overdue_60");
        expect(c).toMatchObject({ status: "on_hold", statusKind: "automatic", statusReason: "OVERDUE_OVER_60_DAYS" });
        const check = await order(id, now);
        expect(check.decision).toBe("review");
        expect(check.reasons).toContain("CREDIT_ON_HOLD");
        const cut = (
          await db()
            .doc(`limitRequests/${proposalId(id, "policy_penalty", now)}`)
            .get()
        ).data()!;
        expect(cut).toMatchObject({
          customerId: id,
          source: "policy_penalty",
          status: "pending",
          currentLimit: 40_000_00,
          newLimit: 20_000_00,
          kind: "permanent",
        });
        expect(r.proposal).toMatchObject({ status: "pending", created: true });
      }
      if (k === 62) expect(r.proposal).toBeNull();
      if (k === 91) {
        expect(r.raised).toContain("overdue_90");
        expect(c).toMatchObject({ status: "suspended", statusKind: "automatic", tier: "risky" });
        expect((await order(id, now)).decision).toBe("reject");
      }
    }
    expect(firstRaised.get("overdue_30")).toBe(31);
    expect(firstRaised.get("overdue_60")).toBe(61);
    expect(firstRaised.get("overdue_90")).toBe(91);
    expect(statusOn.get(60)).toBe("active");
    expect(statusOn.get(90)).toBe("on_hold");
    expect(statusOn.get(95)).toBe("suspended");
    // Exactly one alert document per type however many days it stayed open.
    expect((await alert(id, "overdue_30"))!.occurrences).toBe(1);

    // Paid: the next run lifts the automatic suspension and resolves the overdue alerts with a reason.
    const paidAt = due + 95 * DAY + 2 * HOUR;
    await recordAt(id, paidAt, [
      { externalId: "PAY-1", type: "payment", amount: 10_000_00, issuedAt: paidAt, invoiceExternalId: "INV-1" },
    ]);
    r = await monitorCustomer(id, paidAt, P);
    expect(r.resolved.sort()).toEqual(["overdue_30", "overdue_60", "overdue_90"]);
    const c = await customer(id);
    expect(c).toMatchObject({ status: "active", statusKind: "automatic", statusReason: "PENALTY_CURED" });
    expect(c.flags.noLimitIncrease).toBe(false);
    expect(Object.keys(c.openAlerts ?? {}).filter((t) => t.startsWith("overdue"))).toEqual([]);
    for (const t of ["overdue_30", "overdue_60", "overdue_90"]) {
      expect(await alert(id, t)).toMatchObject({
        status: "resolved",
        resolution: "condition_cleared",
        note: "OVERDUE_CURED",
        resolvedBy: "system:monitor",
      });
    }
    // Active again, but paying 95 days late is seriously late: the class stays risky (12-month record), orders go to review.
    expect(c).toMatchObject({ tier: "risky", classReasons: expect.arrayContaining(["PAYS_SERIOUSLY_LATE"]) });
    const after = await order(id, paidAt);
    expect(after).toMatchObject({ decision: "review", reasons: ["RISKY_TIER"] });

    // Audited in the customer's chain, and the chain is intact.
    const actions = (await db().collection(`audit/customer_${id}/entries`).orderBy("seq").get()).docs.map(
      (d) => d.data().action as string,
    );
    expect(actions.filter((a) => a === "alert.raise").length).toBeGreaterThanOrEqual(3);
    expect(actions.filter((a) => a === "alert.auto_resolve").length).toBeGreaterThanOrEqual(3);
    expect(actions).toContain("limit.propose");
    expect(actions.filter((a) => a === "customer.monitor").length).toBeGreaterThanOrEqual(4);
    expect((await verifyChain(`customer_${id}`, db().doc(`customers/${id}`))).ok).toBe(true);
  }, 120_000);

  it("a manual hold survives the cure; only a person lifts it", async () => {
    const id = await approvedCustomer(40_000_00);
    const issued = dayAt(0);
    const due = issued - HOUR + 30 * DAY;
    await recordAt(id, issued, [
      { externalId: "INV-1", type: "invoice", amount: 10_000_00, issuedAt: issued, dueAt: due },
    ]);
    await monitorCustomer(id, due + 65 * DAY + HOUR, P);
    expect((await customer(id)).status).toBe("on_hold");
    // Releasing the penalty before its cure is refused, naming the cure.
    await expect(
      setCreditStatus(
        { customerId: id, status: "active", reason: "customer promised to pay" },
        manager,
        due + 65 * DAY + 2 * HOUR,
        P,
      ),
    ).rejects.toMatchObject({
      code: "failed-precondition",
      details: { reason: "PENALTY_NOT_CURED", cure: ["PAY_INVOICES_PAST_DUE_OVER_30_DAYS"] },
    });
    // A person puts their own hold on it too.
    expect(
      await setCreditStatus(
        { customerId: id, status: "on_hold", reason: "call the CFO first" },
        manager,
        due + 65 * DAY + 2 * HOUR,
        P,
      ),
    ).toMatchObject({ status: "on_hold", statusKind: "manual" });
    expect(await customer(id)).toMatchObject({
      statusParts: {
        manual: { status: "on_hold", reason: "MANUAL_HOLD" },
        automatic: { status: "on_hold", reason: "OVERDUE_OVER_60_DAYS" },
      },
    });
    const paidAt = due + 66 * DAY + HOUR;
    await recordAt(id, paidAt, [
      { externalId: "PAY-1", type: "payment", amount: 10_000_00, issuedAt: paidAt, invoiceExternalId: "INV-1" },
    ]);
    for (let k = 0; k < 3; k++) {
      const r = await monitorCustomer(id, paidAt + k * DAY, P);
      expect(r.statusChanged).toBe(false);
    }
    expect(await customer(id)).toMatchObject({
      status: "on_hold",
      statusKind: "manual",
      statusParts: { manual: { status: "on_hold" }, automatic: null },
    });
    expect((await order(id, paidAt)).decision).toBe("review");
    // Cured: now a person may lift it.
    expect(
      await setCreditStatus({ customerId: id, status: "active", reason: "paid" }, manager, paidAt + 3 * DAY, P),
    ).toMatchObject({ status: "active", statusKind: null });
  });

  it("regression — a manual hold does not stop escalation: 91 days past due suspends a held file, both reasons kept; the cure leaves the hold", async () => {
    const id = await approvedCustomer(40_000_00);
    const issued = dayAt(0);
    const due = issued - HOUR + 30 * DAY;
    await recordAt(id, issued, [
      { externalId: "INV-1", type: "invoice", amount: 10_000_00, issuedAt: issued, dueAt: due },
    ]);
    await setCreditStatus({ customerId: id, status: "on_hold", reason: "ownership change" }, manager, due - DAY, P);
    let r = await monitorCustomer(id, due + 91 * DAY + HOUR, P);
    expect(r).toMatchObject({ status: "suspended", statusChanged: true });
    expect(await customer(id)).toMatchObject({
      status: "suspended",
      statusKind: "automatic",
      statusReason: "OVERDUE_OVER_90_DAYS",
      statusParts: {
        manual: { status: "on_hold", reason: "MANUAL_HOLD" },
        automatic: { status: "suspended", reason: "OVERDUE_OVER_90_DAYS" },
      },
    });
    expect((await order(id, due + 91 * DAY + HOUR)).decision).toBe("reject");
    const paidAt = due + 92 * DAY + HOUR;
    await recordAt(id, paidAt, [
      { externalId: "PAY-1", type: "payment", amount: 10_000_00, issuedAt: paidAt, invoiceExternalId: "INV-1" },
    ]);
    r = await monitorCustomer(id, paidAt, P);
    expect(await customer(id)).toMatchObject({ status: "on_hold", statusKind: "manual", statusReason: "MANUAL_HOLD" });
  });

  it("regression — a dishonoured payment replaced by later cash ends the suspension (no 12-month suspension); the dishonour then decays (no increase) per policy", async () => {
    const id = await approvedCustomer(40_000_00);
    const now = dayAt(0);
    await recordAt(id, now, [
      { externalId: "INV-1", type: "invoice", amount: 5_000_00, issuedAt: now - 10 * DAY, dueAt: now + 20 * DAY },
      {
        externalId: "PAY-1",
        type: "payment",
        amount: 5_000_00,
        issuedAt: now - DAY,
        invoiceExternalId: "INV-1",
        status: "dishonoured",
      },
    ]);
    await monitorCustomer(id, now + DAY, P);
    expect(await customer(id)).toMatchObject({ status: "suspended", statusReason: "PAYMENT_DISHONOURED" });
    await recordAt(id, now + 2 * DAY, [
      { externalId: "PAY-2", type: "payment", amount: 5_000_00, issuedAt: now + 2 * DAY, invoiceExternalId: "INV-1" },
    ]);
    await monitorCustomer(id, now + 2 * DAY + HOUR, P);
    const c = await customer(id);
    expect(c).toMatchObject({ status: "active", statusReason: "PENALTY_CURED", flags: { noLimitIncrease: true } });
    expect(c.tier).not.toBe("premium");
    // After the decay days the dishonour no longer blocks increases (it still counts in the score for 12 months).
    await monitorCustomer(id, now + (P.penalties.dishonouredDecayDays + 2) * DAY + HOUR, P);
    expect((await customer(id)).flags.noLimitIncrease).toBe(false);
  });

  it("a dishonoured payment suspends (automatic)", async () => {
    const id = await approvedCustomer(40_000_00);
    const now = dayAt(0);
    await recordAt(id, now, [
      { externalId: "INV-1", type: "invoice", amount: 5_000_00, issuedAt: now - 10 * DAY, dueAt: now + 20 * DAY },
      {
        externalId: "PAY-1",
        type: "payment",
        amount: 5_000_00,
        issuedAt: now - DAY,
        invoiceExternalId: "INV-1",
        status: "dishonoured",
      },
    ]);
    const r = await monitorCustomer(id, now + DAY, P);
    expect(r.statusChanged).toBe(true);
    expect(await customer(id)).toMatchObject({
      status: "suspended",
      statusKind: "automatic",
      statusReason: "PAYMENT_DISHONOURED",
      tier: "risky",
      classReasons: expect.arrayContaining(["DISHONOURED_NOT_REPLACED"]),
    });
    expect((await order(id, now + DAY)).decision).toBe("reject");
  });
});

describe("temporary limits", () => {
  it("warns 7 days before, expires on its day (removed, available credit drops), audited", async () => {
    const id = await approvedCustomer(40_000_00);
    const start = dayAt(0);
    const expiresAt = start - HOUR + 20 * DAY; // midnight, 20 days on
    await updateCreditFile(id, { temporaryLimit: { limit: 50_000_00, expiresAt: Timestamp.fromMillis(expiresAt) } });
    await recordAt(id, start, [
      { externalId: "INV-1", type: "invoice", amount: 45_000_00, issuedAt: start, dueAt: start + 60 * DAY },
    ]);

    const firstRaised = new Map<string, number>();
    for (let k = 1; k <= 21; k++) {
      const now = start + k * DAY;
      const r = await monitorCustomer(id, now, P);
      for (const t of r.raised) if (!firstRaised.has(t)) firstRaised.set(t, k);
      const c = await customer(id);
      if (k === 19) {
        expect(c.temporaryLimit).not.toBeNull();
        expect(c.availableCredit).toBe(5_000_00);
      }
      if (k === 20) {
        expect(c.temporaryLimit).toBeNull();
        expect(c.availableCredit).toBe(-5_000_00);
        expect(r.resolved).toContain("temporary_limit_expiring");
        expect((await alert(id, "temporary_limit_expiring"))!.note).toBe("TEMPORARY_LIMIT_EXPIRED");
      }
    }
    expect(firstRaised.get("temporary_limit_expiring")).toBe(13); // expires on day 20: 7 days before
    expect(firstRaised.get("temporary_limit_expired")).toBe(20);
    expect(firstRaised.get("over_limit")).toBe(20);
    expect((await alert(id, "temporary_limit_expired"))!.status).toBe("open");
    const entries = (await db().collection(`audit/customer_${id}/entries`).orderBy("seq").get()).docs.map((d) =>
      d.data(),
    );
    const expiry = entries.find((e) => e.action === "customer.monitor" && e.reason === "TEMPORARY_LIMIT_EXPIRED");
    expect(expiry?.after).toMatchObject({ temporaryLimit: null });
  });
});

describe("incentives", () => {
  /** Six calendar months of invoices paid on time before `asOf`'s month, and an open invoice now. */
  function history(asOf: number, monthly: number, openNow: number): RecordAt[] {
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
        invoiceExternalId: `INV-${i}`,
      });
    }
    out.push({
      externalId: "INV-NOW",
      type: "invoice",
      amount: openNow,
      issuedAt: asOf - 2 * DAY,
      dueAt: asOf + 28 * DAY,
    });
    return out;
  }

  it("six on-time months and high utilization: a small increase is approved by policy, once", async () => {
    const id = await approvedCustomer(40_000_00);
    const asOf = dayAt(3);
    await recordAt(id, asOf, history(asOf, 10_000_00, 30_000_00)); // 75 % utilization
    const r = await monitorCustomer(id, asOf, P);
    expect(r.proposal).toMatchObject({
      source: "policy_incentive",
      status: "approved",
      newLimit: 48_000_00,
      created: true,
    });
    const c = await customer(id);
    expect(c.creditLimit).toBe(48_000_00);
    expect(c.availableCredit).toBe(18_000_00);
    expect(c.flags.extendedTermsEligible).toBe(c.tier === "premium");
    const req = (
      await db()
        .doc(`limitRequests/${proposalId(id, "policy_incentive", asOf)}`)
        .get()
    ).data()!;
    expect(req).toMatchObject({
      source: "policy_incentive",
      status: "approved",
      currentLimit: 40_000_00,
      newLimit: 48_000_00,
      decidedBy: "policy:policy_incentive",
    });
    const last = (await db().collection(`audit/customer_${id}/entries`).orderBy("seq", "desc").limit(3).get()).docs.map(
      (d) => d.data(),
    );
    expect(last.find((e) => e.action === "limit.auto_increase")?.after).toMatchObject({ creditLimit: 48_000_00 });
    // The next days: nothing more (one increase per streak).
    expect((await monitorCustomer(id, asOf + DAY, P)).proposal).toBeNull();
    expect((await customer(id)).creditLimit).toBe(48_000_00);
  });

  it("a larger increase waits for an approver", async () => {
    const id = await approvedCustomer(100_000_00);
    const asOf = dayAt(3);
    await recordAt(id, asOf, history(asOf, 20_000_00, 80_000_00));
    const r = await monitorCustomer(id, asOf, P);
    expect(r.proposal).toMatchObject({ source: "policy_incentive", status: "pending", newLimit: 120_000_00 });
    expect((await customer(id)).creditLimit).toBe(100_000_00);
    expect(
      (
        await db()
          .doc(`limitRequests/${proposalId(id, "policy_incentive", asOf)}`)
          .get()
      ).data(),
    ).toMatchObject({ status: "pending", decidedAt: null });
  });
});
