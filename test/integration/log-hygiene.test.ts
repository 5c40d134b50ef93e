/**
 * Logs carry ids and codes only: no names, contact details, registration or bank
 * numbers, and no financial figures. Every line the functions write while the full flow
 * runs (and while calls fail) is captured — the firebase-functions logger, console, and
 * the process streams — and searched for the recognisable values sent in.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as fns from "../../functions/src/index.js";
import { verifyAuditTrail } from "../../functions/src/api/verifyAuditTrail.js";
import { clearPolicyCache } from "../../functions/src/services/policy.js";
import { captureLogs, type LogCapture } from "../support/arbitraries.js";
import { call, firestoreServer, users, type Who } from "../support/callables.js";

const PERSONAL = {
  contactName: "Zebulon Quxworthy",
  contactFirst: "Zebulon",
  contactLast: "Quxworthy",
  email: "zebulon.quxworthy@hygiene-test.example",
  emailUser: "zebulon.quxworthy",
  phone: "+44 20 7946 0958",
  phoneDigits: "79460958",
  company: "Vexbridge Hygienic Holdings",
  companyWord: "Vexbridge",
  registrationNo: "HYG-REG-7788123",
  address: "17 Marrowgate Lane, Hygieneville",
  addressWord: "Marrowgate",
  bankAccount: "GB29NWBK60161331926819",
  tradeReference: "Refco Pellinore",
  note: "Quietly approved for Mr Quxworthy",
};

/** Distinctive amounts in minor units; neither they nor their major-unit renderings may appear. */
const AMOUNTS = {
  requestedLimit: 43_219_87,
  totalAssets: 9_876_543_20,
  currentAssets: 3_456_789_12,
  totalLiabilities: 4_123_456_70,
  currentLiabilities: 1_234_567_89,
  equity: 5_753_086_50,
  retainedEarnings: 2_345_678_91,
  revenue: 12_345_678_93,
  ebit: 1_357_913_57,
  netIncome: 975_318_64,
  orderAmount: 31_415_92,
  overAuthority: 61_234_57,
  newTotalAssets: 8_765_432_10,
  newEquity: 4_641_975_40,
};

const statement = (over: Record<string, number | string> = {}) => ({
  periodEnd: "2025-12-31",
  currency: "USD",
  totalAssets: AMOUNTS.totalAssets,
  currentAssets: AMOUNTS.currentAssets,
  totalLiabilities: AMOUNTS.totalLiabilities,
  currentLiabilities: AMOUNTS.currentLiabilities,
  equity: AMOUNTS.equity,
  retainedEarnings: AMOUNTS.retainedEarnings,
  revenue: AMOUNTS.revenue,
  ebit: AMOUNTS.ebit,
  netIncome: AMOUNTS.netIncome,
  ...over,
});

const applicationInput = (over: Record<string, unknown> = {}) => ({
  company: {
    name: PERSONAL.company,
    registrationNo: PERSONAL.registrationNo,
    country: "GB",
    industry: "wholesale",
    foundedYear: 2004,
    address: PERSONAL.address,
    bankAccount: PERSONAL.bankAccount,
  },
  contacts: [{ name: PERSONAL.contactName, email: PERSONAL.email, phone: PERSONAL.phone }],
  requestedLimit: AMOUNTS.requestedLimit,
  currency: "USD",
  paymentTermsDays: 45,
  financials: statement(),
  tradeReferences: [{ name: PERSONAL.tradeReference, contact: PERSONAL.email, yearsTrading: 7 }],
  ...over,
});

/** Every rendering of an amount a log could carry: minor units, major units with and without separators. */
function renderings(minor: number): string[] {
  const major = (minor / 100).toFixed(2);
  const grouped = Number(major).toLocaleString("en-US", { minimumFractionDigits: 2 });
  return [String(minor), major, grouped, String(Math.trunc(minor / 100))].filter(
    (s) => s.replace(/\D/g, "").length >= 6,
  );
}

const FORBIDDEN = [...Object.values(PERSONAL), ...Object.values(AMOUNTS).flatMap(renderings)];

let logs: LogCapture;
const outcomes: string[] = [];

/** Call, and remember the outcome (failures are part of the flow). */
async function attempt(name: string, fn: unknown, data: unknown, who: Who): Promise<Record<string, unknown> | null> {
  if (!fn) {
    outcomes.push(`${name}: not exported`);
    return null;
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const r = await call(fn as any, data, who);
    outcomes.push(`${name}: ok`);
    return r as Record<string, unknown>;
  } catch (err) {
    outcomes.push(`${name}: ${(err as { code?: string }).code}`);
    return null;
  }
}

beforeAll(async () => {
  await firestoreServer().clear();
  clearPolicyCache();
  logs = await captureLogs(false);
  try {
    const f = fns as Record<string, unknown>;
    // the happy path
    const { applicationId } = (await attempt(
      "submit",
      f.submitCreditApplication,
      applicationInput(),
      users.applicant,
    ))!;
    await attempt("review", f.reviewCreditApplication, { applicationId }, users.analyst);
    const decided = await attempt(
      "decide",
      f.decideCreditApplication,
      { applicationId, decision: "approve", note: PERSONAL.note, ownerUid: users.sales.uid },
      users.manager,
    );
    const customerId = decided?.customerId as string;
    await attempt("checkOrder", f.checkOrder, { customerId, orderAmount: AMOUNTS.orderAmount }, users.sales);
    await attempt("checkOrder-big", f.checkOrder, { customerId, orderAmount: AMOUNTS.totalAssets }, users.analyst);
    await attempt(
      "updateFinancials",
      f.updateFinancials,
      {
        customerId,
        statement: statement({
          periodEnd: "2026-06-30",
          totalAssets: AMOUNTS.newTotalAssets,
          equity: AMOUNTS.newEquity,
        }),
      },
      users.analyst,
    );
    await attempt("reassess", f.reassessCustomer, { customerId }, users.manager);
    await attempt("verifyAuditTrail", verifyAuditTrail, { customerId }, users.auditor);
    // callables added since (contract of docs/API.md), best effort: only their logs matter here
    await attempt(
      "recordTransactions",
      f.recordTransactions,
      {
        customerId,
        transactions: [
          { externalId: "hyg-o1", type: "order", amount: AMOUNTS.orderAmount, issuedAt: "2026-01-10" },
          {
            externalId: "hyg-i1",
            type: "invoice",
            amount: AMOUNTS.orderAmount,
            issuedAt: "2026-01-12",
            dueAt: "2026-02-11",
          },
          {
            externalId: "hyg-p1",
            type: "payment",
            amount: AMOUNTS.currentLiabilities,
            issuedAt: "2026-01-20",
            invoiceExternalId: "hyg-i1",
          },
        ],
      },
      users.integration,
    );
    const limit = await attempt(
      "requestLimitChange",
      f.requestLimitChange,
      { customerId, newLimit: AMOUNTS.overAuthority, reason: PERSONAL.note },
      users.sales,
    );
    await attempt(
      "decideLimitChange",
      f.decideLimitChange,
      { requestId: limit?.requestId ?? "none", decision: "approve", note: PERSONAL.note },
      users.analyst,
    );
    await attempt(
      "setCreditStatus",
      f.setCreditStatus,
      { customerId, status: "on_hold", reason: PERSONAL.note },
      users.manager,
    );
    await attempt("getPortfolioReport", f.getPortfolioReport, {}, users.manager);
    await attempt(
      "updateCustomerProfile",
      f.updateCustomerProfile,
      {
        customerId,
        changes: {
          name: `${PERSONAL.company} Group`,
          address: PERSONAL.address.replace("1", "2"),
          bankAccount: `${PERSONAL.bankAccount}9`,
        },
        reason: PERSONAL.note,
      },
      users.manager,
    );
    await attempt(
      "updateCustomerProfile-bad",
      f.updateCustomerProfile,
      { customerId, changes: { bankAccount: PERSONAL.bankAccount, industry: PERSONAL.company }, reason: PERSONAL.note },
      users.integration,
    );

    // failing calls: bad input carrying the personal data, refusals, an internal error
    await attempt(
      "submit-bad-email",
      f.submitCreditApplication,
      applicationInput({
        contacts: [{ name: PERSONAL.contactName, email: `${PERSONAL.emailUser}@`, phone: PERSONAL.phone }],
      }),
      users.applicant,
    );
    await attempt(
      "submit-bad-currency",
      f.submitCreditApplication,
      applicationInput({ currency: "XXX" }),
      users.applicant,
    );
    await attempt("submit-duplicate-identity", f.submitCreditApplication, applicationInput(), users.applicant2);
    await attempt("submit-signed-out", f.submitCreditApplication, applicationInput(), null);
    const second = await attempt(
      "submit-2",
      f.submitCreditApplication,
      applicationInput({ requestedLimit: AMOUNTS.overAuthority * 2 }),
      users.applicant2,
    );
    await attempt("review-2", f.reviewCreditApplication, { applicationId: second?.applicationId }, users.analyst);
    await attempt(
      "decide-over-authority",
      f.decideCreditApplication,
      {
        applicationId: second?.applicationId,
        decision: "approve",
        approvedLimit: AMOUNTS.overAuthority,
        note: PERSONAL.note,
      },
      users.analyst,
    );
    await attempt(
      "decide-own",
      f.decideCreditApplication,
      { applicationId, decision: "reject", note: PERSONAL.note },
      users.applicant,
    );
    await attempt("checkOrder-not-owner", f.checkOrder, { customerId, orderAmount: AMOUNTS.orderAmount }, users.sales2);
    await attempt(
      "checkOrder-unknown",
      f.checkOrder,
      { customerId: "no-such-customer", orderAmount: AMOUNTS.orderAmount },
      users.analyst,
    );
    await attempt(
      "updateFinancials-currency",
      f.updateFinancials,
      { customerId, statement: statement({ currency: "EUR" }) },
      users.analyst,
    );
    await attempt(
      "updateFinancials-float",
      f.updateFinancials,
      { customerId, statement: statement({ netIncome: AMOUNTS.netIncome + 0.5 }) },
      users.analyst,
    );
    await attempt("setUserRole-internal", f.setUserRole, { uid: PERSONAL.emailUser, role: "analyst" }, users.admin);
  } finally {
    logs.restore();
  }
}, 120_000);

afterAll(() => {
  console.log(`log hygiene: ${logs.entries.length} lines captured; ${outcomes.join(", ")}`);
});

describe("log hygiene", () => {
  it("the capture sees the functions' logs (so an empty result means something)", () => {
    const all = logs.entries.join("\n");
    for (const event of [
      "application_submitted",
      "application_reviewed",
      "application_decided",
      "order_checked",
      "customer_reassessed",
      "callable_rejected",
      "callable_failed",
    ]) {
      expect(all, event).toContain(event);
    }
    expect(outcomes).toContain("submit: ok");
    expect(outcomes).toContain("decide: ok");
    expect(outcomes).toContain("decide-over-authority: permission-denied");
  });

  it.each(FORBIDDEN.map((s) => [s]))("no log line contains %s", (needle) => {
    const hits = logs.entries.filter((e) => e.toLowerCase().includes(needle.toLowerCase()));
    expect(hits.map((h) => h.slice(0, 300))).toEqual([]);
  });
});
