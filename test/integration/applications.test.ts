import { beforeEach, describe, expect, it } from "vitest";
import { getFirestore } from "firebase-admin/firestore";
import * as fns from "../../functions/src/index.js";
import { clearPolicyCache } from "../../functions/src/services/policy.js";
import { call, callError, databaseSnapshot, firestoreServer, users } from "../support/callables.js";
import { application, statement } from "../support/fixtures.js";
import { creditFile } from "../support/credit-file.js";

const db = () => getFirestore();

async function submitted(overrides: Record<string, unknown> = {}, who = users.applicant) {
  const r = await call(fns.submitCreditApplication, application(overrides), who);
  return r.applicationId as string;
}

async function reviewed(overrides: Record<string, unknown> = {}, who = users.applicant) {
  const id = await submitted(overrides, who);
  const review = await call(fns.reviewCreditApplication, { applicationId: id }, users.analyst);
  return { id, review };
}

async function approvedCustomer(overrides: Record<string, unknown> = {}, ownerUid: string = users.sales.uid) {
  const { id } = await reviewed(overrides);
  const r = await call(
    fns.decideCreditApplication,
    { applicationId: id, decision: "approve", note: "ok", ownerUid },
    users.manager,
  );
  return r.customerId as string;
}

beforeEach(async () => {
  await firestoreServer().clear();
  clearPolicyCache();
});

describe("submitCreditApplication", () => {
  it("stores the application for its applicant and audits it", async () => {
    const r = await call(fns.submitCreditApplication, application(), users.applicant);
    expect(r.status).toBe("submitted");
    const snap = await db().doc(`applications/${r.applicationId}`).get();
    expect(snap.data()?.applicantUid).toBe(users.applicant.uid);
    expect(snap.data()?.requestedLimit).toBe(40_000_00);
    const audit = await db().collection(`audit/application_${r.applicationId}/entries`).get();
    expect(audit.docs.map((d) => d.data().action)).toEqual(["application.submit"]);
    expect(snap.data()?.auditHead.seq).toBe(1);
  });

  it("rejects a signed-out caller", async () => {
    expect((await callError(fns.submitCreditApplication, application(), null)).code).toBe("unauthenticated");
  });

  it.each([
    ["requestedLimit", { requestedLimit: 12.5 }],
    ["requestedLimit", { requestedLimit: -100 }],
    ["currency", { currency: "usd" }],
    ["company.name", { company: { ...application().company, name: "" } }],
    ["contacts", { contacts: [] }],
    ["financials.totalAssets", { financials: { ...statement, totalAssets: "lots" } }],
    ["financials.periodEnd", { financials: { ...statement, periodEnd: "2025-02-31T99:00" } }],
    ["paymentTermsDays", { paymentTermsDays: 400 }],
  ])("bad %s gets invalid-argument naming the field and writes nothing", async (field, overrides) => {
    const before = databaseSnapshot();
    const err = await callError(fns.submitCreditApplication, application(overrides), users.applicant);
    expect(err.code).toBe("invalid-argument");
    expect(err.message).toContain(field);
    expect(databaseSnapshot()).toBe(before);
  });

  it("rejects a currency the policy does not accept, naming the field", async () => {
    const err = await callError(
      fns.submitCreditApplication,
      application({ currency: "XXX", financials: { ...statement, currency: "XXX" } }),
      users.applicant,
    );
    expect(err).toMatchObject({ code: "invalid-argument" });
    expect(err.message).toContain("currency");
  });

  it("a retried call with the same requestId returns the first result and writes nothing more", async () => {
    const first = await call(fns.submitCreditApplication, { ...application(), requestId: "req-1" }, users.applicant);
    const after = databaseSnapshot();
    const second = await call(fns.submitCreditApplication, { ...application(), requestId: "req-1" }, users.applicant);
    expect(second).toEqual(first);
    expect(databaseSnapshot()).toBe(after);
  });
});

describe("reviewCreditApplication", () => {
  it("scores the prospect, recommends a limit within the request, and moves it under review", async () => {
    const { id, review } = await reviewed();
    expect(review.score).toBeGreaterThanOrEqual(0);
    expect(review.score).toBeLessThanOrEqual(100);
    expect(["A", "B", "C", "D", "E"]).toContain(review.grade);
    expect(["premium", "standard", "risky"]).toContain(review.tier);
    expect(review.recommendedLimit).toBeLessThanOrEqual(40_000_00);
    expect(review.recommendedLimit % 1_000_00).toBe(0);
    expect(Array.isArray(review.reasons)).toBe(true);
    expect(review.fraudSignals).toEqual([]);
    expect((await db().doc(`applications/${id}`).get()).data()?.status).toBe("under_review");
    const priv = (await db().doc(`applications/${id}/private/assessment`).get()).data();
    expect(priv?.score).toBe(review.score);
    expect(priv?.factors.length).toBeGreaterThan(3);
  });

  it("flags an unbalanced balance sheet as a fraud signal instead of using it", async () => {
    const { review } = await reviewed({ financials: { ...statement, equity: 1_00 } });
    expect(review.fraudSignals).toContain("STATEMENT_UNBALANCED");
    expect(review.reasons).toContain("STATEMENT_UNBALANCED");
  });

  it("flags a second application with the same registration number", async () => {
    await submitted();
    const { review } = await reviewed({}, users.applicant2);
    expect(review.fraudSignals).toContain("IDENTITY_COLLISION_REGISTRATION");
    expect(review.fraudSignals).toContain("IDENTITY_COLLISION_EMAIL");
  });

  it.each([
    ["applicant", users.applicant, "permission-denied"],
    ["sales", users.sales, "permission-denied"],
    ["auditor", users.auditor, "permission-denied"],
    ["integration", users.integration, "permission-denied"],
    ["signed-out", null, "unauthenticated"],
  ] as const)("denies %s", async (_name, who, code) => {
    const id = await submitted();
    const before = databaseSnapshot();
    expect((await callError(fns.reviewCreditApplication, { applicationId: id }, who)).code).toBe(code);
    expect(databaseSnapshot()).toBe(before);
  });

  it("unknown id is not-found", async () => {
    expect((await callError(fns.reviewCreditApplication, { applicationId: "nope" }, users.analyst)).code).toBe(
      "not-found",
    );
  });
});

describe("decideCreditApplication", () => {
  it("approve creates the credit file with limit, terms, private documents and audit", async () => {
    const { id, review } = await reviewed();
    const r = await call(
      fns.decideCreditApplication,
      { applicationId: id, decision: "approve", note: "good file", ownerUid: users.sales.uid },
      users.analyst2,
    );
    expect(r.status).toBe("approved");
    const c = await creditFile(r.customerId);
    expect(c.creditLimit).toBe(review.recommendedLimit);
    expect(c.availableCredit).toBe(review.recommendedLimit);
    expect(c.exposure).toBe(0);
    expect(c.status).toBe("active");
    expect(c.ownerUid).toBe(users.sales.uid);
    expect(c.tier).toBe(review.tier);
    expect(c.nextReviewAt.toMillis()).toBeGreaterThan(Date.now());
    for (const doc of ["financials", "assessment", "contacts"]) {
      expect((await db().doc(`customers/${r.customerId}/private/${doc}`).get()).exists).toBe(true);
    }
    // confidential data is not on the customer document staff and sales read
    expect(c.contacts).toBeUndefined();
    expect(c.factors).toBeUndefined();
    const entries = await db().collection(`audit/customer_${r.customerId}/entries`).get();
    expect(entries.docs[0]!.data()).toMatchObject({
      action: "customer.create",
      actor: { uid: users.analyst2.uid },
      reason: "good file",
    });
    expect((await db().doc(`applications/${id}`).get()).data()).toMatchObject({
      status: "approved",
      customerId: r.customerId,
    });
  });

  it("reject records the decision and creates no customer", async () => {
    const { id } = await reviewed();
    const r = await call(
      fns.decideCreditApplication,
      { applicationId: id, decision: "reject", note: "no" },
      users.analyst,
    );
    expect(r).toEqual({ status: "rejected" });
    expect((await db().collection("customers").get()).size).toBe(0);
  });

  it("an analyst cannot approve above the analyst authority; a manager can", async () => {
    const { id } = await reviewed({ requestedLimit: 90_000_00 });
    const before = databaseSnapshot();
    const err = await callError(
      fns.decideCreditApplication,
      { applicationId: id, decision: "approve", approvedLimit: 60_000_00, note: "x" },
      users.analyst,
    );
    expect(err.code).toBe("permission-denied");
    expect(databaseSnapshot()).toBe(before);
    const ok = await call(
      fns.decideCreditApplication,
      { applicationId: id, decision: "approve", approvedLimit: 60_000_00, note: "x" },
      users.manager,
    );
    expect(ok.status).toBe("approved");
  });

  it("four eyes: the submitter cannot decide their own application", async () => {
    const { id } = await reviewed({}, users.manager);
    const before = databaseSnapshot();
    expect(
      (
        await callError(
          fns.decideCreditApplication,
          { applicationId: id, decision: "approve", note: "mine" },
          users.manager,
        )
      ).code,
    ).toBe("failed-precondition");
    expect(databaseSnapshot()).toBe(before);
  });

  it("cannot decide before review, nor twice", async () => {
    const id = await submitted();
    expect(
      (
        await callError(
          fns.decideCreditApplication,
          { applicationId: id, decision: "approve", note: "x" },
          users.manager,
        )
      ).code,
    ).toBe("failed-precondition");
    await call(fns.reviewCreditApplication, { applicationId: id }, users.analyst);
    await call(fns.decideCreditApplication, { applicationId: id, decision: "reject", note: "x" }, users.manager);
    expect(
      (
        await callError(
          fns.decideCreditApplication,
          { applicationId: id, decision: "approve", note: "x" },
          users.manager,
        )
      ).code,
    ).toBe("failed-precondition");
    expect((await callError(fns.reviewCreditApplication, { applicationId: id }, users.analyst)).code).toBe(
      "failed-precondition",
    );
  });

  it("sales, auditors and applicants cannot decide", async () => {
    const { id } = await reviewed();
    for (const who of [users.sales, users.auditor, users.applicant2, users.integration]) {
      expect(
        (await callError(fns.decideCreditApplication, { applicationId: id, decision: "approve", note: "x" }, who)).code,
      ).toBe("permission-denied");
    }
  });

  it("a note is required", async () => {
    const { id } = await reviewed();
    const err = await callError(fns.decideCreditApplication, { applicationId: id, decision: "approve" }, users.manager);
    expect(err.code).toBe("invalid-argument");
    expect(err.message).toContain("note");
  });
});

describe("checkOrder", () => {
  it("approves within available credit and sends larger orders to review", async () => {
    const customerId = await approvedCustomer();
    const c = await creditFile(customerId);
    const ok = await call(fns.checkOrder, { customerId, orderAmount: 1_000_00 }, users.sales);
    expect(ok).toMatchObject({ decision: c.tier === "risky" ? "review" : "approve", availableCredit: c.creditLimit });
    const big = await call(fns.checkOrder, { customerId, orderAmount: c.creditLimit + 1 }, users.integration);
    expect(big.decision).toBe("review");
    expect(big.reasons).toContain("EXCEEDS_AVAILABLE_CREDIT");
  });

  it("answers reject for a suspended customer and review for a held one", async () => {
    const customerId = await approvedCustomer();
    await db().doc(`customers/${customerId}`).update({ status: "suspended" });
    expect((await call(fns.checkOrder, { customerId, orderAmount: 100 }, users.analyst)).decision).toBe("reject");
    await db().doc(`customers/${customerId}`).update({ status: "on_hold" });
    expect((await call(fns.checkOrder, { customerId, orderAmount: 100 }, users.analyst)).decision).toBe("review");
  });

  it("sales only for their own customers; applicants and auditors never", async () => {
    const customerId = await approvedCustomer();
    expect((await callError(fns.checkOrder, { customerId, orderAmount: 100 }, users.sales2)).code).toBe(
      "permission-denied",
    );
    expect((await callError(fns.checkOrder, { customerId, orderAmount: 100 }, users.applicant)).code).toBe(
      "permission-denied",
    );
    expect((await callError(fns.checkOrder, { customerId, orderAmount: 100 }, users.auditor)).code).toBe(
      "permission-denied",
    );
    expect((await callError(fns.checkOrder, { customerId: "missing", orderAmount: 100 }, users.analyst)).code).toBe(
      "not-found",
    );
    expect((await callError(fns.checkOrder, { customerId, orderAmount: 0 }, users.analyst)).code).toBe(
      "invalid-argument",
    );
  });
});

describe("updateFinancials and reassessCustomer", () => {
  it("a new statement rescores the customer, keeps history and is audited", async () => {
    const customerId = await approvedCustomer();
    const weak = {
      ...statement,
      periodEnd: "2026-06-30",
      totalLiabilities: 4_500_000_00,
      equity: 500_000_00,
      netIncome: -300_000_00,
      ebit: -200_000_00,
      retainedEarnings: -500_000_00,
    };
    const before = await creditFile(customerId);
    const r = await call(fns.updateFinancials, { customerId, statement: weak }, users.analyst);
    expect(r.score).toBeLessThan(before.score);
    const fin = (await db().doc(`customers/${customerId}/private/financials`).get()).data()!;
    expect(fin.statements).toHaveLength(2);
    expect(fin.latest.periodEnd.toMillis()).toBe(Date.parse("2026-06-30T00:00:00Z"));
    const entries = await db().collection(`audit/customer_${customerId}/entries`).orderBy("seq").get();
    expect(entries.docs.map((d) => d.data().action)).toEqual(["customer.create", "customer.financials_update"]);
    expect(entries.docs[1]!.data().before.score).toBe(before.score);
  });

  it("rejects a statement in another currency, naming the field, writing nothing", async () => {
    const customerId = await approvedCustomer();
    const snapshot = databaseSnapshot();
    const err = await callError(
      fns.updateFinancials,
      { customerId, statement: { ...statement, currency: "EUR" } },
      users.analyst,
    );
    expect(err.code).toBe("invalid-argument");
    expect(err.message).toContain("statement.currency");
    expect(databaseSnapshot()).toBe(snapshot);
  });

  it("reassessment returns the recommendation and keeps a review record", async () => {
    const customerId = await approvedCustomer();
    const r = await call(fns.reassessCustomer, { customerId }, users.manager);
    expect(r).toMatchObject({
      grade: expect.any(String),
      tier: expect.any(String),
      recommendedLimit: expect.any(Number),
    });
    expect((await db().collection(`customers/${customerId}/reviews`).get()).size).toBe(1);
    for (const who of [users.sales, users.auditor, users.integration, users.applicant]) {
      expect((await callError(fns.reassessCustomer, { customerId }, who)).code).toBe("permission-denied");
    }
  });
});
