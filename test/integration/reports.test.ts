/**
 * The fuller portfolio report (collection figures, over-limit, blocked orders and applications
 * with their turnaround, class migration) and its monthly snapshots: written by the monthly
 * schedule's first step, idempotent by month, read back as the report's trends.
 */
import { beforeEach, describe, expect, it } from "vitest";
import * as fns from "../../functions/src/index.js";
import { firestore } from "../../functions/src/data/firebase.js";
import { DEFAULT_POLICY } from "../../functions/src/domain/policy.js";
import { addMonths, bestPossibleDso, dso, monthOf, monthStart } from "../../functions/src/domain/reports.js";
import { runJobLocally } from "../../functions/src/local/jobs.js";
import { clearPolicyCache } from "../../functions/src/services/policy.js";
import { portfolioReport } from "../../functions/src/services/portfolio.js";
import { getPortfolioReportOutput } from "../../functions/src/schemas/outputs.js";
import { call, firestoreServer, users } from "../support/callables.js";
import { application } from "../support/fixtures.js";
import { approvedCustomer } from "../support/workflow.js";

const db = () => firestore();
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

beforeEach(async () => {
  await firestoreServer().clear();
  clearPolicyCache();
});

describe("getPortfolioReport: the fuller report", () => {
  it("DSO and best possible DSO, days delinquent, customers over limit, blocked orders and applications with their turnaround", async () => {
    const now = Date.now();
    const a = await approvedCustomer(40_000_00, { registrationNo: "REP-A" });
    const b = await approvedCustomer(20_000_00, { registrationNo: "REP-B" });
    // a: 9,000.00 twenty days past due; b: 3,000.00 not yet due and 25,000.00 more: over its 20,000.00 limit
    await call(
      fns.recordTransactions,
      {
        customerId: a,
        transactions: [
          {
            externalId: "I1",
            type: "invoice",
            amount: 9_000_00,
            issuedAt: iso(now - 50 * DAY),
            dueAt: iso(now - 20 * DAY),
          },
        ],
      },
      users.integration,
    );
    await call(
      fns.recordTransactions,
      {
        customerId: b,
        transactions: [
          {
            externalId: "I2",
            type: "invoice",
            amount: 3_000_00,
            issuedAt: iso(now - 5 * DAY),
            dueAt: iso(now + 25 * DAY),
          },
          {
            externalId: "I3",
            type: "invoice",
            amount: 25_000_00,
            issuedAt: iso(now - 1 * DAY),
            dueAt: iso(now + 29 * DAY),
          },
        ],
      },
      users.integration,
    );
    // two orders blocked at the check (a is asked beyond its available credit): one released, one rejected
    const blocks: string[] = [];
    for (const ref of ["PO-1", "PO-2", "PO-3"])
      blocks.push(
        (
          await call(
            fns.checkOrder,
            { customerId: a, orderAmount: 35_000_00, reserve: true, orderRef: ref },
            users.sales,
          )
        ).blockId,
      );
    await call(
      fns.releaseOrderBlock,
      { blockId: blocks[0], decision: "release", note: "known customer" },
      users.manager,
    );
    await call(fns.releaseOrderBlock, { blockId: blocks[1], decision: "reject", note: "too much" }, users.manager);
    // one application waiting for its review
    const app = application();
    await call(
      fns.submitCreditApplication,
      { ...app, company: { ...app.company, registrationNo: "REP-C" } },
      users.applicant,
    );

    const r = getPortfolioReportOutput.parse(await call(fns.getPortfolioReport, {}, users.manager));
    expect(r.period).toBe(monthOf(Date.now()));
    const receivables = 37_000_00;
    expect(r.totals.openInvoiceBalance).toBe(receivables);
    expect(r.dso).toBe(dso(receivables, 37_000_00));
    expect(r.bestPossibleDso).toBe(bestPossibleDso(28_000_00, 37_000_00));
    expect(r.averageDaysDelinquent).toBe(Math.round((r.dso! - r.bestPossibleDso!) * 10) / 10);
    // b: 28,000.00 against 20,000.00; a: 35,000.00 released on top of 9,000.00 against 40,000.00
    expect(r.overLimit).toEqual({ customers: 2, amountOver: 8_000_00 + 4_000_00 });
    expect(r.orderBlocks).toMatchObject({ open: 1, blocked: 3, released: 1, rejected: 1, timedDecisions: 2 });
    expect(r.orderBlocks.averageReleaseHours).toBeGreaterThanOrEqual(0);
    expect(r.orderBlocks.averageReleaseHours).toBeLessThan(1);
    expect(r.applications).toMatchObject({ pending: 1, submitted: 3, approved: 2, rejected: 0, timedDecisions: 2 });
    expect(r.applications.averageDecisionDays).toBe(0);
    // no reviews yet, no snapshots yet
    expect(r.migration.reviewed).toBe(0);
    expect(r.history).toEqual([]);
    expect(r.cei).toBeNull();
    // the decisions carry what the turnaround sums
    const released = (await db().doc(`orderBlocks/${blocks[0]}`).get()).data()!;
    expect(released.decidedMonth).toBe(monthOf(Date.now()));
    expect(Number.isInteger(released.turnaroundSeconds)).toBe(true);
  });
});

describe("monthly snapshots (reports/{yyyy-mm})", () => {
  it("the monthly schedule writes the closed month first; the next month's snapshot has its reviews' class migration and the CEI since the one before; the report answers them as its trends", async () => {
    const a = await approvedCustomer(40_000_00, { registrationNo: "SNAP-A" });
    await approvedCustomer(20_000_00, { registrationNo: "SNAP-B" });
    const now = Date.now();
    await call(
      fns.recordTransactions,
      {
        customerId: a,
        transactions: [
          {
            externalId: "I1",
            type: "invoice",
            amount: 12_000_00,
            issuedAt: iso(now - 10 * DAY),
            dueAt: iso(now + 20 * DAY),
          },
        ],
      },
      users.integration,
    );
    const thisMonth = monthOf(now);
    const first = monthStart(addMonths(thisMonth, 1)) + 3 * 3_600_000; // the 1st of next month, 03:00 UTC
    const second = monthStart(addMonths(thisMonth, 2)) + 3 * 3_600_000;

    const run1 = await runJobLocally("monthlyReassessment", first, DEFAULT_POLICY);
    expect(run1.snapshot).toMatchObject({ period: thisMonth, customers: 2, reviewed: 0, keptMigration: false });
    // the active customers are reviewed (the second shares the first's contacts: an identity collision holds it)
    const active = (await db().collection("customers").where("status", "==", "active").count().get()).data().count;
    expect(active).toBeGreaterThan(0);
    expect(run1.reviewed).toBe(active);
    const s1 = (await db().doc(`reports/${thisMonth}`).get()).data()!;
    expect(s1).toMatchObject({ period: thisMonth, source: "monthlyJob", baseCurrency: "USD", cei: null });
    expect(s1.totals).toMatchObject({ customers: 2, exposure: 12_000_00, creditLimit: 60_000_00 });
    expect(s1.applications).toMatchObject({ approved: 2, timedDecisions: 2 });
    // a month of the demo history is rewritten by the job, its made-up class migration not kept
    await db().doc(`reports/${thisMonth}`).update({ source: "demo", "migration.reviewed": 7 });
    expect((await runJobLocally("monthlyReassessment", first, DEFAULT_POLICY)).snapshot).toMatchObject({
      period: thisMonth,
      reviewed: 0,
      keptMigration: false,
    });
    expect((await db().doc(`reports/${thisMonth}`).get()).get("source")).toBe("monthlyJob");
    // the reviews left their month and class move on the heads
    const head = (await db().doc(`customers/${a}`).get()).data()!;
    expect(head.reviewPeriod).toBe(addMonths(thisMonth, 1));
    expect(head.reviewedTier).toBe(head.tier);

    const run2 = await runJobLocally("monthlyReassessment", second, DEFAULT_POLICY);
    const nextMonth = addMonths(thisMonth, 1);
    expect(run2.snapshot).toMatchObject({ period: nextMonth, reviewed: active, keptMigration: false });
    const s2 = (await db().doc(`reports/${nextMonth}`).get()).data()!;
    expect(s2.migration.reviewed).toBe(active);
    const diagonal = ["premium", "standard", "risky"].reduce((s, t) => s + s2.migration.matrix[t][t], 0);
    expect(s2.migration.reviewed - diagonal).toBeGreaterThanOrEqual(0);
    expect(s2.cei).toMatchObject({ beginning: 12_000_00, ending: 12_000_00, endingCurrent: expect.any(Number) });
    expect(s2.cei.days).toBeGreaterThan(27);
    expect(s2.cei.from).toBe(iso(first));

    // run again in the same month, after its reviews moved the heads on: the same document,
    // rewritten, the class migration already counted kept
    const run2again = await runJobLocally("monthlyReassessment", second + 3_600_000, DEFAULT_POLICY);
    expect(run2again.snapshot).toMatchObject({ period: nextMonth, reviewed: active, keptMigration: true });
    const reports = await db().collection("reports").get();
    expect(reports.docs.map((d) => d.id).sort()).toEqual([thisMonth, nextMonth]);
    expect((await db().doc(`reports/${nextMonth}`).get()).get("takenAt").toMillis()).toBe(second + 3_600_000);
    const audit = (await db().collection("audit/system/entries").get()).docs.map((d) => d.get("action"));
    expect(audit.filter((x) => x === "report.snapshot")).toHaveLength(4);

    // the report two months on: both snapshots as its trends, oldest first, and the CEI since the newest
    const later = second + 10 * DAY;
    const r = getPortfolioReportOutput.parse(
      JSON.parse(JSON.stringify(await portfolioReport({}, later, DEFAULT_POLICY))),
    );
    expect(r.history.map((h) => h.period)).toEqual([thisMonth, nextMonth]);
    expect(r.history[0]!.totals.customers).toBe(2);
    expect(r.cei?.from).toBe(iso(second + 3_600_000));
    // a snapshot edited into something that does not parse is left out, never shown
    await db().doc(`reports/${thisMonth}`).update({ totals: "edited" });
    expect((await portfolioReport({}, later, DEFAULT_POLICY)).history.map((h) => h.period)).toEqual([nextMonth]);
  });
});
