/**
 * Decision memos: every decided document keeps its note and reason codes, who decided in which
 * role and when, on itself — readable by credit staff and auditors without the audit trail
 * (firestore.rules; the access matrix checks who reads them).
 */
import { beforeEach, describe, expect, it } from "vitest";
import { getFirestore } from "firebase-admin/firestore";
import * as fns from "../../functions/src/index.js";
import { clearPolicyCache } from "../../functions/src/services/policy.js";
import { approvedCustomer } from "../support/workflow.js";
import { call, callError, databaseSnapshot, firestoreServer, users } from "../support/callables.js";
import { creditFile } from "../support/credit-file.js";
import { application } from "../support/fixtures.js";

const db = () => getFirestore();
const doc = async (path: string) => (await db().doc(path).get()).data()!;
const lastEntry = async (chain: string) => {
  const q = await db().collection(`audit/${chain}/entries`).orderBy("seq", "desc").limit(1).get();
  return q.docs[0]!.data();
};

beforeEach(async () => {
  await firestoreServer().clear();
  clearPolicyCache();
});

const memoShape = (by: { uid: string; role: string | null }, note: string, codes: string[]) => ({
  note,
  reasonCodes: codes,
  decidedBy: by.uid,
  decidedByRole: by.role,
  decidedAt: expect.anything(),
});

describe("decision memos on the decided documents", () => {
  it("an application: the memo is in its department half (the applicant reads the application itself)", async () => {
    const { applicationId } = await call(fns.submitCreditApplication, application(), users.applicant);
    await call(fns.reviewCreditApplication, { applicationId }, users.analyst);
    // bad reason codes name the field, nothing written
    const before = databaseSnapshot();
    const bad = await callError(
      fns.decideCreditApplication,
      { applicationId, decision: "reject", note: "no", reasonCodes: ["thin file"] },
      users.manager,
    );
    expect(bad.code).toBe("invalid-argument");
    expect(bad.message).toContain("reasonCodes.0");
    expect(databaseSnapshot()).toBe(before);

    await call(
      fns.decideCreditApplication,
      {
        applicationId,
        decision: "reject",
        note: "Statements do not support the request",
        reasonCodes: ["WEAK_FINANCIALS"],
      },
      users.manager,
    );
    const review = await doc(`applications/${applicationId}/private/assessment`);
    expect(review).toMatchObject(
      memoShape(users.manager, "Statements do not support the request", ["WEAK_FINANCIALS", "APPLICATION_REJECTED"]),
    );
    expect(await doc(`applications/${applicationId}`)).toMatchObject({
      status: "rejected",
      decidedBy: users.manager.uid,
      decidedByRole: "manager",
    });
    expect(await doc(`applications/${applicationId}`)).not.toHaveProperty("note");
    const entry = await lastEntry(`application_${applicationId}`);
    expect(entry).toMatchObject({
      action: "application.decide",
      reason: "Statements do not support the request",
      after: { reasonCodes: ["WEAK_FINANCIALS", "APPLICATION_REJECTED"] },
    });
  });

  it("an approval above the recommendation says so in its codes", async () => {
    const { applicationId } = await call(
      fns.submitCreditApplication,
      application({ requestedLimit: 45_000_00 }),
      users.applicant,
    );
    const review = await call(fns.reviewCreditApplication, { applicationId }, users.analyst);
    const limit = review.recommendedLimit + 1_000_00;
    await call(
      fns.decideCreditApplication,
      { applicationId, decision: "approve", approvedLimit: limit, note: "Long relationship" },
      users.manager,
    );
    expect((await doc(`applications/${applicationId}/private/assessment`)).reasonCodes).toEqual([
      "APPLICATION_APPROVED",
      "ABOVE_RECOMMENDED_LIMIT",
    ]);
  });

  it("a limit request: a person's approval or rejection, and a decrease the policy decided at once", async () => {
    const id = await approvedCustomer(40_000_00);
    const up = await call(
      fns.requestLimitChange,
      { customerId: id, newLimit: 45_000_00, reason: "season" },
      users.sales,
    );
    await call(
      fns.decideLimitChange,
      { limitRequestId: up.limitRequestId, decision: "approve", note: "Pays early", reasonCodes: ["PAYS_EARLY"] },
      users.analyst,
    );
    expect(await doc(`limitRequests/${up.limitRequestId}`)).toMatchObject({
      status: "approved",
      ...memoShape(users.analyst, "Pays early", ["PAYS_EARLY", "LIMIT_INCREASE_APPROVED"]),
    });
    expect(await lastEntry(`customer_${id}`)).toMatchObject({
      action: "limit.approve",
      after: { reasonCodes: ["PAYS_EARLY", "LIMIT_INCREASE_APPROVED"] },
    });

    const up2 = await call(
      fns.requestLimitChange,
      { customerId: id, newLimit: 60_000_00, reason: "more" },
      users.sales,
    );
    await call(
      fns.decideLimitChange,
      { limitRequestId: up2.limitRequestId, decision: "reject", note: "Not now" },
      users.manager,
    );
    expect(await doc(`limitRequests/${up2.limitRequestId}`)).toMatchObject({
      status: "rejected",
      ...memoShape(users.manager, "Not now", ["LIMIT_REQUEST_REJECTED"]),
    });

    const down = await call(
      fns.requestLimitChange,
      { customerId: id, newLimit: 30_000_00, reason: "risk" },
      users.analyst,
    );
    expect(await doc(`limitRequests/${down.limitRequestId}`)).toMatchObject({
      status: "approved",
      note: null,
      reasonCodes: ["LIMIT_DECREASE"],
      decidedBy: "policy:decrease",
      decidedByRole: null,
    });
    expect(
      (
        await callError(
          fns.decideLimitChange,
          {
            limitRequestId: up2.limitRequestId,
            decision: "approve",
            note: "x",
            reasonCodes: Array(11).fill("TOO_MANY"),
          },
          users.manager,
        )
      ).message,
    ).toContain("reasonCodes");
  });

  it("a blocked order: release and rejection keep the decider's memo; a cancellation names who cancelled", async () => {
    const id = await approvedCustomer(10_000_00);
    const b1 = await call(
      fns.checkOrder,
      { customerId: id, orderAmount: 20_000_00, reserve: true, orderRef: "PO-1" },
      users.sales,
    );
    await call(
      fns.releaseOrderBlock,
      { blockId: b1.blockId, decision: "release", note: "Prepaid in part", reasonCodes: ["PARTIAL_PREPAYMENT"] },
      users.analyst,
    );
    expect(await doc(`orderBlocks/${b1.blockId}`)).toMatchObject({
      status: "released",
      ...memoShape(users.analyst, "Prepaid in part", ["PARTIAL_PREPAYMENT", "ORDER_RELEASED"]),
    });
    const b2 = await call(
      fns.checkOrder,
      { customerId: id, orderAmount: 5_000_00, reserve: true, orderRef: "PO-2" },
      users.sales,
    );
    await call(fns.releaseOrderBlock, { blockId: b2.blockId, decision: "reject", note: "Over limit" }, users.manager);
    expect(await doc(`orderBlocks/${b2.blockId}`)).toMatchObject({
      status: "rejected",
      ...memoShape(users.manager, "Over limit", ["ORDER_REJECTED"]),
    });
    const b3 = await call(
      fns.checkOrder,
      { customerId: id, orderAmount: 6_000_00, reserve: true, orderRef: "PO-3" },
      users.sales,
    );
    await call(fns.cancelReservation, { customerId: id, orderRef: "PO-3" }, users.integration);
    expect(await doc(`orderBlocks/${b3.blockId}`)).toMatchObject({
      status: "cancelled",
      ...memoShape(users.integration, "ORDER_CANCELLED", ["ORDER_CANCELLED"]),
    });
  });

  it("a status change: its own document with the memo; the file names it and its first reason code (no more MANUAL)", async () => {
    const id = await approvedCustomer();
    const before = databaseSnapshot();
    expect(
      (
        await callError(
          fns.setCreditStatus,
          { customerId: id, status: "on_hold", reason: "x", reasonCodes: ["ok", "BAD CODE"] },
          users.manager,
        )
      ).message,
    ).toContain("reasonCodes.0");
    expect(
      (await callError(fns.setCreditStatus, { customerId: id, status: "on_hold", reason: "x" }, users.analyst)).code,
    ).toBe("permission-denied");
    expect(databaseSnapshot()).toBe(before);

    const held = await call(
      fns.setCreditStatus,
      { customerId: id, status: "on_hold", reason: "Customer disputes three invoices", reasonCodes: ["DISPUTES_OPEN"] },
      users.manager,
    );
    expect(held).toMatchObject({ status: "on_hold", statusKind: "manual", statusChangeId: expect.any(String) });
    const change = await doc(`customers/${id}/statusChanges/${held.statusChangeId}`);
    expect(change).toMatchObject({
      customerId: id,
      before: { status: "active", statusKind: null },
      after: { status: "on_hold", statusKind: "manual", statusReason: "DISPUTES_OPEN" },
      ...memoShape(users.manager, "Customer disputes three invoices", ["DISPUTES_OPEN", "MANUAL_HOLD"]),
    });
    expect(await creditFile(id)).toMatchObject({
      status: "on_hold",
      statusReason: "DISPUTES_OPEN",
      statusChangeId: held.statusChangeId,
    });

    const suspended = await call(
      fns.setCreditStatus,
      { customerId: id, status: "suspended", reason: "No answer" },
      users.admin,
    );
    expect(await creditFile(id)).toMatchObject({
      statusReason: "MANUAL_SUSPENSION",
      statusChangeId: suspended.statusChangeId,
    });
    const active = await call(
      fns.setCreditStatus,
      { customerId: id, status: "active", reason: "Settled" },
      users.manager,
    );
    expect(await doc(`customers/${id}/statusChanges/${active.statusChangeId}`)).toMatchObject({
      after: { status: "active", statusReason: null },
      reasonCodes: ["REACTIVATED"],
      decidedByRole: "manager",
    });
    expect((await db().collection(`customers/${id}/statusChanges`).get()).size).toBe(3);
    expect(await lastEntry(`customer_${id}`)).toMatchObject({
      action: "customer.status",
      after: { statusChangeId: active.statusChangeId, reasonCodes: ["REACTIVATED"] },
    });
  });
});
